"""Azure Media Services Connector: adapter and simulator."""

from adapters.azure.adapter import AzureAdapter

__all__ = ["AzureAdapter"]
