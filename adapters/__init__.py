"""Backend adapters: one package per upstream kind, each with its simulator.

The contract every adapter implements is :mod:`gateway.spi.adapter`. Adapters are found by
kind through the ``hal_gateway.adapters`` entry points declared in ``pyproject.toml``.
"""
