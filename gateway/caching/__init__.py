"""HTTP caching: strong ETags, conditional requests, and the per-identity response cache."""
