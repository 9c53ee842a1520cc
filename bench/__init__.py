"""Benchmarks of the gateway, measured over real loopback sockets (``make bench``)."""
