"""Azure Media Services Connector: the adapter."""

from adapters.azure.adapter import AzureAdapter

__all__ = ["AzureAdapter"]
