"""target-azure: Singer streams into Azure Blob Storage as lake files."""

from __future__ import annotations

from target_azure.settings import SETTINGS, connect
from target_azure.store import AzureStore, AzureUpload
from target_azure.target import TargetAzure

__all__ = ["SETTINGS", "AzureStore", "AzureUpload", "TargetAzure", "connect"]
