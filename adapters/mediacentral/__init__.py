"""Avid MediaCentral (CTMS): the adapter."""

from adapters.mediacentral.adapter import MediaCentralAdapter

__all__ = ["MediaCentralAdapter"]
