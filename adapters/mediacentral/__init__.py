"""Avid MediaCentral (CTMS): adapter and simulator."""

from adapters.mediacentral.adapter import MediaCentralAdapter

__all__ = ["MediaCentralAdapter"]
