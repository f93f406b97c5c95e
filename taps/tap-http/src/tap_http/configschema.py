"""The JSON Schema of tap-http's settings: validation, ``TAP_HTTP_*`` env vars and --about.

Every secret is marked ``secret=True`` (``writeOnly`` in the schema), which keeps it out of
--about and singer-sdk's logs. README.md documents each setting with an example.

elt.sdk refuses a top-level key the schema does not declare; :func:`refuse_unknown_nested`
does the same inside ``auth``, ``pagination`` and each stream, where a typo
(``record_path``) would otherwise be ignored and the run go on with the default.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from singer_sdk import typing as th

from elt.errors import ConfigError
from tap_http.auth import AUTH_TYPES
from tap_http.pagination import STYLES

__all__ = ["CONFIG_SCHEMA", "refuse_unknown_nested"]

_ANY_OBJECT = th.ObjectType(additional_properties=True)

PAGINATION = th.ObjectType(
    th.Property(
        "style",
        th.StringType,
        allowed_values=list(STYLES),
        description="; ".join(f"{name} ({style.summary})" for name, style in STYLES.items())
        + ". Default none.",
    ),
    th.Property("page_param", th.StringType, description="page: the page number param."),
    th.Property("start_page", th.IntegerType, description="page: first page number (1)."),
    th.Property("size_param", th.StringType, description="page: the page size param, if any."),
    th.Property(
        "page_size", th.IntegerType, description="page: value of size_param; offset: the limit."
    ),
    th.Property("offset_param", th.StringType, description="offset: offset param ('offset')."),
    th.Property("limit_param", th.StringType, description="offset: limit param ('limit')."),
    th.Property("cursor_path", th.StringType, description="cursor: JSONPath of the token."),
    th.Property("cursor_param", th.StringType, description="cursor: param it is sent as."),
    th.Property("next_url_path", th.StringType, description="next_url: JSONPath of the URL."),
    th.Property(
        "total_path",
        th.StringType,
        description="JSONPath of a total record count; the walk stops once that many records "
        "were read. Without it, it stops at the first empty page.",
    ),
    th.Property(
        "max_pages",
        th.IntegerType,
        description="Most pages one walk may take; an API with more stops the run (exit "
        "75). Unset: no cap (loops are caught either way).",
    ),
)

AUTH = th.ObjectType(
    th.Property("type", th.StringType, allowed_values=list(AUTH_TYPES), description="Auth kind."),
    th.Property("token", th.StringType, secret=True, description="bearer: the token."),
    th.Property("username", th.StringType, description="basic: user name."),
    th.Property("password", th.StringType, secret=True, description="basic: password."),
    th.Property("name", th.StringType, description="api_key: header or query param name."),
    th.Property("api_key", th.StringType, secret=True, description="api_key: the key."),
    th.Property(
        "location",
        th.StringType,
        allowed_values=["header", "query"],
        description="api_key: where the key goes. Default header.",
    ),
    th.Property("token_url", th.StringType, description="oauth2: token endpoint."),
    th.Property("client_id", th.StringType, description="oauth2: client id."),
    th.Property("client_secret", th.StringType, secret=True, description="oauth2: secret."),
    th.Property("scopes", th.StringType, description="oauth2: space-separated scopes."),
)

STREAM = th.ObjectType(
    th.Property("name", th.StringType, required=True, description="Stream name."),
    th.Property(
        "path",
        th.StringType,
        required=True,
        description="Path under api_url (or a full URL); {field} placeholders are filled "
        "from the parent stream's records.",
    ),
    th.Property("method", th.StringType, description="HTTP method. Default GET."),
    th.Property("params", _ANY_OBJECT, description="Query params, over the global params."),
    th.Property("headers", _ANY_OBJECT, description="Headers, over the global headers."),
    th.Property("body", _ANY_OBJECT, description="JSON request body (for POST searches)."),
    th.Property(
        "records_path",
        th.StringType,
        description="JSONPath of the records in a JSON body. Default $[*] (a top-level "
        "array). Ignored for JSON Lines, where every line is a record.",
    ),
    th.Property(
        "response_format",
        th.StringType,
        allowed_values=["auto", "json", "jsonl"],
        description="auto: JSON Lines when the Content-Type says so, else JSON.",
    ),
    th.Property("primary_keys", th.ArrayType(th.StringType), description="Key fields."),
    th.Property(
        "replication_key",
        th.StringType,
        description="Field bookmarked for incremental runs; records at or below the "
        "bookmark are dropped.",
    ),
    th.Property(
        "bookmark_param",
        th.StringType,
        description="Param template sending the bookmark, e.g. updated_since={bookmark}.",
    ),
    th.Property(
        "resend_bookmarked",
        th.BooleanType,
        default=False,
        description="Also send records whose key equals the bookmark (for APIs whose "
        "timestamps are coarser than their updates; needs an upserting target).",
    ),
    th.Property(
        "partition_window",
        th.StringType,
        description="Opt-in: --partitions cuts the time from the bookmark to now into "
        "windows this wide (7d, 12h, 30m, 90s), read in parallel. Needs "
        "partition_end_param.",
    ),
    th.Property(
        "partition_end_param",
        th.StringType,
        description="Param template sending a window's end, e.g. updated_before={end}.",
    ),
    th.Property(
        "is_sorted",
        th.BooleanType,
        description="The API returns records in ascending replication_key order: the "
        "bookmark then advances during the sync and an interrupted run resumes where it "
        "stopped. Unset, a warning says so once a run; false silences it.",
    ),
    th.Property(
        "schema",
        _ANY_OBJECT,
        description="JSON Schema of the records; inferred from the first page if unset.",
    ),
    th.Property("pagination", PAGINATION, description="Overrides the global pagination."),
    th.Property("parent", th.StringType, description="Stream whose records fill the path."),
    th.Property(
        "parent_keys",
        _ANY_OBJECT,
        description='Placeholder -> parent field, e.g. {"user_id": "id"}. Default: the '
        "placeholder name is the parent field.",
    ),
)

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property("api_url", th.StringType, required=True, description="Base URL of the API."),
    th.Property("headers", _ANY_OBJECT, description="Headers sent with every request."),
    th.Property("params", _ANY_OBJECT, description="Query params sent with every request."),
    th.Property(
        "timeout",
        th.NumberType,
        default=300,
        description="Seconds one request may take in all, to the last byte of the body.",
    ),
    th.Property(
        "max_response_bytes",
        th.IntegerType,
        default=268435456,
        description="Largest body of one response, decompressed (256 MiB); a larger one "
        "stops the run (exit 75) naming the URL.",
    ),
    th.Property("verify_ssl", th.BooleanType, default=True, description="Check TLS certs."),
    th.Property(
        "ca_bundle",
        th.StringType,
        description="PEM file of CAs to trust instead of certifi's (a private CA).",
    ),
    th.Property("user_agent", th.StringType, description="User-Agent header."),
    th.Property("start_date", th.DateTimeType, description="First bookmark of a first run."),
    th.Property("auth", AUTH, description="How requests authenticate."),
    th.Property(
        "allowed_hosts",
        th.ArrayType(th.StringType),
        description="Origins (https://host[:port]) or hosts besides api_url's that may receive "
        "auth, headers, params and body; links and redirects elsewhere get none of them.",
    ),
    th.Property("pagination", PAGINATION, description="Default pagination of every stream."),
    th.Property(
        "max_requests_per_second",
        th.NumberType,
        description="Rate limit across all streams. Default unlimited.",
    ),
    th.Property("max_tries", th.IntegerType, default=5, description="Tries per request."),
    th.Property(
        "backoff_factor",
        th.NumberType,
        default=1,
        description="First retry wait in seconds; doubles per try (jittered).",
    ),
    th.Property("backoff_max", th.NumberType, default=60, description="Longest retry wait."),
    th.Property("streams", th.ArrayType(STREAM), required=True, description="The streams."),
).to_dict()


def _known(schema: th.ObjectType) -> frozenset[str]:
    return frozenset(schema.type_dict["properties"])


_AUTH_KEYS = _known(AUTH)
_PAGINATION_KEYS = _known(PAGINATION)
_STREAM_KEYS = _known(STREAM)


def refuse_unknown_nested(config: Mapping[str, Any]) -> None:
    """A :class:`ConfigError` naming every undeclared key inside ``auth``, ``pagination``
    and the streams, each with the closest declared name (all in one paragraph)."""
    problems: list[str] = []

    def check(value: Any, known: frozenset[str], where: str) -> None:
        if not isinstance(value, Mapping):
            return
        for key in sorted(k for k, v in value.items() if k not in known and v is not None):
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
            suggestion = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"unknown setting {where}.{key}{suggestion}")

    check(config.get("auth"), _AUTH_KEYS, "auth")
    check(config.get("pagination"), _PAGINATION_KEYS, "pagination")
    streams = config.get("streams")
    for index, stream in enumerate(streams if isinstance(streams, list) else []):
        check(stream, _STREAM_KEYS, f"streams[{index}]")
        if isinstance(stream, Mapping):
            check(stream.get("pagination"), _PAGINATION_KEYS, f"streams[{index}].pagination")
    if problems:
        raise ConfigError(
            "; ".join(problems),
            where="tap-http config",
            hint="Remove or correct it: `tap-http --about` lists every setting tap-http takes",
        )
