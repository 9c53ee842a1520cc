"""hal-media-gateway: one HAL hypermedia API and one login in front of several media systems.

The core (this package) knows HAL, the status table, configuration, the upstream
client and the registry; it knows no backend by name. Backends are served by
adapters (the ``adapters`` package), found by kind through entry points.
"""
