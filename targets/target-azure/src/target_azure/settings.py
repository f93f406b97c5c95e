"""target-azure's own settings, and the :class:`AzureStore` they describe.

One way to authenticate, in this order: ``connection_string``; ``account_url`` with
``account_key``; ``account_url`` with ``sas_token``; ``account_url`` alone, which uses
DefaultAzureCredential (managed identity, workload identity, environment, ``az login``) from
the optional ``azure-identity`` package (``pip install 'target-azure[identity]'``) — optional
because it pulls in MSAL and friends that key, SAS and connection-string users never need.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azure.storage.blob import BlobServiceClient, ExponentialRetry

from elt.errors import ConfigError
from elt.sdk.lake.objectstore import store_prefix
from target_azure.store import DEFAULT_BLOCK_SIZE, AzureStore

__all__ = ["SETTINGS", "connect"]

_SECRET = {"type": ["string", "null"], "secret": True, "writeOnly": True}
MAX_BLOCK_SIZE = 4000 * 1024 * 1024

SETTINGS: dict[str, dict[str, Any]] = {
    "container": {
        "type": "string",
        "required": True,
        "description": "The container to write to (it must exist).",
    },
    "connection_string": {
        **_SECRET,
        "description": "A storage account connection string (it holds the key or a SAS).",
    },
    "account_url": {
        "type": ["string", "null"],
        "description": "The blob endpoint, e.g. `https://myaccount.blob.core.windows.net`; "
        "with `account_key`, `sas_token`, or neither for DefaultAzureCredential.",
    },
    "account_key": {**_SECRET, "description": "The storage account's access key."},
    "sas_token": {**_SECRET, "description": "A SAS token for the account or container."},
    "block_size": {
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": MAX_BLOCK_SIZE,
        "default": DEFAULT_BLOCK_SIZE,
        "description": "Bytes per staged block; the memory one open file holds, and 50,000 "
        "blocks bound a blob's size.",
    },
}

RETRY = ExponentialRetry(initial_backoff=1, increment_base=2, retry_total=3, random_jitter_range=1)
"""Retries after about 1, 3 and 5 s on throttling, 5xx and connection errors, then the run
fails: the bookmark has not moved, so the next run picks up where this one stopped. (The
SDK's default waits 15 s, 18 s and 24 s.)"""


def connect(config: Mapping[str, Any], *, prefix: str = "") -> AzureStore:
    """The store the settings in ``config`` describe, rooted at ``prefix`` (no request is
    sent yet). The lake writer hands over keys that already carry its `prefix` setting."""
    container = config.get("container")
    if not container:
        raise ConfigError("the `container` setting is required", hint="name an existing one")
    block_size = int(config.get("block_size") or DEFAULT_BLOCK_SIZE)
    if not 0 < block_size <= MAX_BLOCK_SIZE:
        raise ConfigError(f"`block_size` is {block_size}; Azure blocks are 1 B to 4000 MiB")
    secrets = tuple(config.get(name) for name in ("connection_string", "account_key", "sas_token"))
    service = _service(config)
    return AzureStore(
        service.get_container_client(container),
        store_prefix(prefix),
        block_size=block_size,
        secrets=secrets,
    )


def _service(config: Mapping[str, Any]) -> BlobServiceClient:
    conn, url = config.get("connection_string"), config.get("account_url")
    key, sas = config.get("account_key"), config.get("sas_token")
    if conn:
        if url or key or sas:
            raise ConfigError(
                "`connection_string` already says where and how to connect",
                hint="unset `account_url`, `account_key` and `sas_token`, or the connection string",
            )
        try:
            return BlobServiceClient.from_connection_string(conn, retry_policy=RETRY)
        except ValueError as exc:  # its message may quote the string: say only what is wrong
            raise ConfigError(
                "`connection_string` is not a valid storage connection string",
                hint="copy it from the storage account's Access keys page",
            ) from exc
    if not url:
        raise ConfigError(
            "set `connection_string`, or `account_url` (with `account_key`, `sas_token`, or "
            "neither for DefaultAzureCredential)"
        )
    if key and sas:
        raise ConfigError("set `account_key` or `sas_token`, not both")
    credential: Any = key or sas or _default_credential()
    return BlobServiceClient(url, credential=credential, retry_policy=RETRY)


def _default_credential() -> Any:
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError as exc:
        raise ConfigError(
            "no `account_key`, `sas_token` or `connection_string`, and azure-identity is not "
            "installed for DefaultAzureCredential",
            hint="set one of them, or install `target-azure[identity]`",
        ) from exc
    return DefaultAzureCredential()
