"""A backend kind defined outside the gateway: the example of docs/adding-a-backend.md.

"shelf" is a tiny book catalogue with an API key. Its adapter and simulator import
only :mod:`gateway.spi`, and the suite registers them through the same entry-point
groups an installed distribution uses (``hal_gateway.adapters``,
``hal_gateway.simulators``).
"""
