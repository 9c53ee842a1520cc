"""Backend adapters: one package per upstream kind, and in it that kind's simulator.

The contract every adapter implements is :mod:`gateway.spi.adapter`, every simulator
:mod:`gateway.spi.simulator`. Adapters are found by kind through the
``hal_gateway.adapters`` entry points declared in ``pyproject.toml``, simulators
(``adapters/<kind>/simulator/``) through ``hal_gateway.simulators``; no adapter imports
a simulator. :mod:`adapters.simulation` holds what the simulators share.
"""
