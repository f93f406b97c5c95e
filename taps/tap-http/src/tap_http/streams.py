"""``HttpStream``: one configured endpoint as a singer-sdk ``RESTStream``.

Each configured stream gets its own subclass (:func:`stream_class`) because singer-sdk
links a child to its parent through the class attribute ``parent_stream_type``. Requests
are built in :meth:`HttpStream.get_http_request` from the settings, the pagination token
and the bookmark; failures singer-sdk raises are turned into elt errors that name the
stream and the URL with its secrets redacted.

singer-sdk's record loop costs ~40 µs a record (a copy, deselection, type conformance, a
message object and a writer call each), ten times what fetching and parsing a record takes.
When :class:`~elt.sdk.streams.LeanStream` hands :meth:`HttpStream.sync_records` its lean
writer (no stream map, elt's writer), records are taken a page at a time, filtered by the
bookmark, shaped by :class:`~tap_http.shape.RecordShape` and written as RECORD lines by one
:func:`elt.sdk.encode_records` call; bookmarks, STATE every ``STATE_MSG_FREQUENCY`` records,
record counts and child streams work as in the SDK's loop. With stream maps (or when the
SDK asks for records without messages, for its BATCH files) the SDK's loop runs as it is.
Requests go through the tap's transport (:meth:`HttpStream.send_request`).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import islice
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Final

import backoff
import requests
from singer_sdk.exceptions import InvalidStreamSortException
from singer_sdk.streams.rest import HTTPRequest, PageContext

from elt.errors import ConfigError, EltError, ServiceError
from elt.protocol.partitions import PartitionRequest
from elt.sdk import OrjsonWriter, encode_records, record_prefix
from elt.sdk.partitions import PartitionedStream, StreamPlan, partition_field_error
from elt.sdk.rest import TransportStream
from tap_http.bookmarks import newer_than
from tap_http.pages import PageReader
from tap_http.pagination import HttpPaginator, make_paginator
from tap_http.retries import wait_times
from tap_http.settings import StreamSettings, path_fields
from tap_http.shape import RecordShape
from tap_http.transport import TransientError
from tap_http.windows import check_window, in_window, now, plan_windows

if TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk.authenticators import APIAuthenticatorBase

    from tap_http.tap import TapHttp

__all__ = ["HttpStream", "stream_class"]

# Records written together on the lean path: a typical page, so per-batch costs vanish.
CHUNK_RECORDS: Final = 1000


class _UnsortedNotice(logging.Filter):
    """Drops singer-sdk's "Stream is assumed to be unsorted" warning, logged for every
    partition of every run with no way to act on it; :meth:`HttpStream._say_how_to_resume`
    says it once a run instead, naming the setting that changes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Stream is assumed to be unsorted")


_UNSORTED_NOTICE: Final = _UnsortedNotice()


class HttpStream(TransportStream, PartitionedStream):
    """Records of one configured endpoint; ``settings`` says which and how."""

    settings: StreamSettings

    def __init__(self, tap: TapHttp, schema: dict[str, Any]) -> None:
        super().__init__(
            tap,
            name=self.settings.name,
            schema=schema,
            path=self.settings.path,
            http_method=self.settings.method,
        )
        self.http_tap = tap
        self.primary_keys = list(self.settings.primary_keys)
        self.replication_key = self.settings.replication_key
        self._reader = self._new_reader()
        self._paginator = make_paginator(self.settings.pagination, self._reader, self.name)
        self._bookmark: Any = None
        self._is_new: Callable[[Any], bool] = newer_than(None)
        self._told_how_to_resume = False
        logging.getLogger("singer_sdk").addFilter(_UNSORTED_NOTICE)

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @property
    def timeout(self) -> float:  # type: ignore[override]
        return self.http_tap.transport.timeout

    @property
    def requests_session(self) -> requests.Session:
        """The tap's one session, so connections are reused across streams."""
        return self.http_tap.transport.session

    @property
    def authenticator(self) -> APIAuthenticatorBase:
        return self.http_tap.http_authenticator

    @property
    def http_headers(self) -> dict[str, Any]:
        return {**(self.config.get("headers") or {}), **self.settings.headers}

    def get_url(self, context: Mapping[str, Any] | None) -> str:
        path = self.settings.path
        values = {name: (context or {}).get(name) for name in path_fields(path)}
        for name, value in values.items():
            path = path.replace(f"{{{name}}}", self._url_encode(str(value)))
        return path if "://" in path else f"{self.url_base}/{path.lstrip('/')}"

    def get_http_request(self, *, page: PageContext[Any]) -> HTTPRequest:
        """The request for one page: configured params, the bookmark, then the page's
        position, which the walk's paginator puts in (a parameter, or the next link's URL).

        A request to an origin not trusted with the configuration (a next link, a stream
        path elsewhere) carries none of it: no ``headers``, ``params`` or ``body``, only
        the page position and the bookmark (:mod:`tap_http.origins`).
        """
        context = page.stream_context
        position: dict[str, Any] = {}
        url = self._paginator.apply(page.next_page_token, position, self.get_url(context))
        trusted = self.http_tap.origins.trusts(url)
        params: dict[str, Any] = {}
        if trusted:
            params.update(self.config.get("params") or {})
            params.update(self.settings.params)
        if self.settings.bookmark_param and self._bookmark is not None:
            name, _, template = self.settings.bookmark_param.partition("=")
            params[name] = template.format(bookmark=_text(self._bookmark))
        if self.partition is not None and self.settings.partition_end_param:
            name, _, template = self.settings.partition_end_param.partition("=")
            params[name] = template.format(end=self.partition.partition["end"])
        transport = self.http_tap.transport
        params.update(position if trusted else transport.untrusted_params(position.items()))
        return HTTPRequest(
            url=url,
            method=self.http_method,
            headers=self.http_headers if trusted else {},
            params=params,
            data=self.settings.body if trusted else None,
        )

    def get_new_paginator(self) -> HttpPaginator:
        """A paginator for a new walk; it also puts each of its tokens into the walk's
        requests (:meth:`get_http_request`)."""
        self._reader = self._new_reader()
        self._paginator = make_paginator(self.settings.pagination, self._reader, self.name)
        return self._paginator

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        return self._reader.records(response)

    def get_records(self, context: Mapping[str, Any] | None) -> Iterable[dict[str, Any]]:
        self._bookmark = self._starting_bookmark(context)
        self._is_new = newer_than(self._bookmark, or_equal=self.settings.resend_bookmarked)
        if self.partition is not None:
            start, end = self.partition.partition["start"], self.partition.partition["end"]
            first = start == _text(self._bookmark) if self._bookmark is not None else False
            self._is_new = in_window(
                start, end, from_start=first and self.settings.resend_bookmarked
            )
            self._bookmark = start
        with self._reported_failures(context):
            yield from super().get_records(context)

    def first_page(self, context: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        """The records of the first page, without bookmark, for schema inference; the
        response is kept for the sync (:class:`~tap_http.discovery.FirstPages`)."""
        paginator = self.get_new_paginator()
        with self._reported_failures(context):
            request = self._prepare_request(context=context, page=paginator)
            response = self.request_decorator(self._request)(request, context)
            self.http_tap.first_pages.keep(self.name, request, response)
            return list(self.parse_response(response))

    @contextmanager
    def _reported_failures(self, context: Mapping[str, Any] | None) -> Iterator[None]:
        """Request failures as elt errors naming the stream; retries exhausted say so."""
        where = f"stream {self.name!r}"
        try:
            yield
        except TransientError as exc:
            tries = self.backoff_max_tries()
            raise ServiceError(
                f"gave up after {tries} {'try' if tries == 1 else 'tries'}: {exc.message}",
                where=f"{where}, {exc.where}" if exc.where else where,
                hint=exc.hint,
            ) from exc
        except EltError as exc:
            if not (exc.where or "").startswith("stream "):
                exc.where = f"{where}, {exc.where}" if exc.where else where
            raise

    def post_process(
        self, row: dict[str, Any], context: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        key = self.settings.replication_key
        if key and not self._is_new(row.get(key)):
            return None
        return row

    @property
    def is_sorted(self) -> bool:
        """The ``is_sorted`` setting: the bookmark advances during the sync (resumable)."""
        return bool(self.settings.is_sorted)

    def sync_records(
        self,
        context: Mapping[str, Any] | None,
        *,
        lean: OrjsonWriter | None,
        write_messages: bool,
    ) -> Iterator[dict[str, Any]]:
        self._say_how_to_resume()
        try:
            if lean is not None:
                self._sync_lean(context, lean)
                return
            yield from super().sync_records(context, lean=None, write_messages=write_messages)
        except InvalidStreamSortException as exc:
            key = self.replication_key
            raise ConfigError(
                f"is_sorted is true but the records are not in ascending {key!r} order ({exc})",
                where=f"stream {self.name!r}",
                hint="Set is_sorted to false (the bookmark then advances when the stream "
                "completes). The bookmark may have passed records that arrived out of order: "
                "run once with --full-refresh",
            ) from exc

    # --- date windows (elt-partitions, tap_http.windows) ---------------------------------

    def plan_partitions(self) -> StreamPlan | None:
        width = self.settings.partition_window
        if width is None or self.parent_stream_type or self.child_streams:
            return None
        start = self._starting_bookmark(None)
        bound = now()
        windows = None if start is None else plan_windows(start, bound, width)
        return None if windows is None else StreamPlan(windows, bound.isoformat())

    def check_partition(self, request: PartitionRequest) -> None:
        width = self.settings.partition_window
        if width is None or self.parent_stream_type or self.child_streams:
            raise partition_field_error(
                "stream",
                f"stream {self.name!r} is not cut into date windows (partition_window unset, "
                "or it has a parent or children)",
            )
        check_window(request, width)

    def finish_partition_state(self, state: dict[str, Any]) -> None:
        """A window's read ends with the bookmark at the plan's bound."""
        assert self.partition is not None
        state["replication_key"] = self.replication_key
        state["replication_key_value"] = self.partition.bound
        self.state_manager.is_flushed = False

    def _say_how_to_resume(self) -> None:
        """Once per stream and run: an incremental stream not declared sorted restarts from
        its old bookmark when interrupted, and ``is_sorted`` is the one thing to change."""
        if self._told_how_to_resume or not self.replication_key:
            return
        self._told_how_to_resume = True
        if self.settings.is_sorted is None:
            self.logger.warning(
                "Stream %r is not declared sorted, so its bookmark advances only when the "
                "stream completes and an interrupted run starts it over. If the API returns "
                "records in ascending %r order, set the stream's is_sorted to true to make "
                "progress resumable (is_sorted: false silences this message).",
                self.name,
                self.replication_key,
            )

    def _sync_lean(self, context: Mapping[str, Any] | None, writer: OrjsonWriter) -> None:
        """The SDK's record loop for one partition, a page at a time (module docstring)."""
        current = dict(context) if context else None
        partition = self._get_state_partition_context(current)
        self._write_starting_replication_value(current)
        shape = RecordShape(self.name, self.schema, self.mask, self.logger)
        prefix = record_prefix(self.name)
        key = self.replication_key
        limit = self.ABORT_AT_RECORD_COUNT
        emitted = since_state = 0
        records = iter(self.get_records(current))
        with self.get_record_counter() as counter, self.get_sync_timer() as timer:
            counter.with_context(current)
            timer.with_context(current)
            while chunk := list(islice(records, CHUNK_RECORDS)):
                if key:
                    is_new = self._is_new
                    chunk = [record for record in chunk if is_new(record.get(key))]
                over = limit is not None and emitted + len(chunk) > limit
                if over:
                    chunk = chunk[: max(0, limit - emitted)]  # type: ignore[operator]
                shaped = shape.apply(chunk, partition)
                if self.selected and shaped:
                    writer.write_lines(encode_records(prefix, shaped, self._stream_version))
                    self.state_manager.is_flushed = False
                    if key:
                        self._bookmark_newest(shaped, key, current)
                    emitted += len(shaped)
                    since_state += len(shaped)
                    counter.increment(len(shaped))
                    if since_state >= self.STATE_MSG_FREQUENCY:
                        self._write_state_message()
                        since_state = 0
                self._sync_children_of(chunk, current)
                if over:
                    self._check_max_record_limit(emitted)
            if current == partition:
                self._finalize_state(self.get_context_state(current))
        if not context:
            self._finalize_state(self.stream_state)
        self._write_state_message()

    def _bookmark_newest(
        self, records: Iterable[dict[str, Any]], key: str, context: Mapping[str, Any] | None
    ) -> None:
        """Advance the stream's bookmark to the newest of ``records`` in one step."""
        valued = [record for record in records if record.get(key) is not None]
        if valued:
            if self.is_sorted:  # singer-sdk's order check, on the oldest of the batch
                self._increment_stream_state(min(valued, key=itemgetter(key)), context=context)
            self._increment_stream_state(max(valued, key=itemgetter(key)), context=context)

    def _sync_children_of(
        self, records: Iterable[dict[str, Any]], context: Mapping[str, Any] | None
    ) -> None:
        if not self.child_streams:
            return
        child_context = None if context is None else copy.copy(dict(context))
        for record in records:
            for child in self.generate_child_contexts(record=record, context=child_context):
                self._sync_children(copy.copy(child))

    def get_child_context(
        self, record: dict[str, Any], context: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """The values each child's path needs, from this record (``parent_keys`` renames)."""
        child_context: dict[str, Any] = {}
        for child in self.child_streams:
            settings: StreamSettings = child.settings  # type: ignore[attr-defined]
            for name in path_fields(settings.path):
                field = settings.parent_keys.get(name, name)
                if record.get(field) is None:
                    raise ConfigError(
                        f"a record of parent stream {self.name!r} has no {field!r} for "
                        f"{{{name}}} in the path {settings.path!r}",
                        where=f"stream {child.name!r}",
                        hint="Map the placeholder to a parent field with parent_keys.",
                    )
                child_context[name] = record[field]
        return child_context

    def backoff_wait_generator(self) -> Any:
        return wait_times(
            float(self.config.get("backoff_factor", 1.0)),
            float(self.config.get("backoff_max", 60.0)),
        )

    def backoff_jitter(self, value: float) -> float:
        """Jitter is already in :func:`~tap_http.retries.wait_times`, never on Retry-After."""
        return value

    def backoff_max_tries(self) -> int:
        return int(self.config.get("max_tries", 5))

    def request_decorator(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Retry what :mod:`tap_http.transport` calls transient, and nothing else."""
        decorator: Callable[[Callable[..., Any]], Callable[..., Any]] = backoff.on_exception(
            self.backoff_wait_generator,
            TransientError,
            max_tries=self.backoff_max_tries,
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=None,
        )
        return decorator(func)

    def backoff_handler(self, details: Details) -> None:
        exc = details.get("exception")
        self.logger.warning(
            "Try %d of %d failed (%s); retrying in %.1fs",
            details["tries"],
            self.backoff_max_tries(),
            exc,
            details.get("wait") or 0.0,
        )

    def build_prepared_request(self, *args: Any, **kwargs: Any) -> requests.PreparedRequest:
        """The request unsigned: :meth:`Transport.send` signs what may carry credentials."""
        request = requests.Request(*args, **kwargs)
        # requests types Request.headers as read-only; the copy is once per request
        headers = dict(request.headers)
        headers.setdefault("User-Agent", self.user_agent)
        request.headers = headers
        return self.requests_session.prepare_request(request)

    def send_request(
        self, prepared_request: requests.PreparedRequest, context: Mapping[str, Any] | None
    ) -> requests.Response:
        """Through the tap's transport: a page kept from discovery, else sent after the rate
        limit, signed only for a trusted origin (:mod:`tap_http.transport`)."""
        kept = self.http_tap.first_pages.take(self.name, prepared_request)
        if kept is not None:
            return kept
        self.http_tap.rate_limiter.wait()
        response = self.http_tap.transport.send(prepared_request, authenticate=self.authenticator)
        self._write_request_duration_log(
            endpoint=self.path, response=response, context=context, extra_tags=None
        )
        return response

    def _starting_bookmark(self, context: Mapping[str, Any] | None) -> Any:
        if not self.settings.replication_key:
            return None
        value = self.get_starting_replication_key_value(context)
        return value if value is not None else self.config.get("start_date")

    def _new_reader(self) -> PageReader:
        return PageReader(
            self.settings.records_path,
            self.settings.response_format,
            self.http_tap.secret_params,
        )


def stream_class(
    settings: StreamSettings, parent: type[HttpStream] | None = None
) -> type[HttpStream]:
    """A subclass of :class:`HttpStream` for one configured stream."""
    attributes: dict[str, Any] = {"settings": settings, "parent_stream_type": parent}
    name = "HttpStream_" + "".join(c if c.isalnum() else "_" for c in settings.name)
    return type(name, (HttpStream,), attributes)


def _text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
