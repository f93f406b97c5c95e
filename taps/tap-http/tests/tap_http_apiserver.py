"""A real local HTTP server for tests: routes are plain functions, every request is recorded.

A route takes a :class:`Request` and returns a :class:`Reply`; the server answers on
127.0.0.1 on a free port from its own threads, so the tap under test speaks real HTTP
(sockets, headers, gzip, timeouts) to it, in process or as a subprocess.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    encoding: str | None = None

    def payload(self) -> bytes:
        data = self.raw if self.raw is not None else json.dumps(self.body).encode()
        if self.encoding == "gzip":
            return gzip.compress(data)
        if self.encoding == "deflate":
            return zlib.compress(data)
        return data


Route = Callable[[Request], Reply]


class ApiServer:
    """Serves ``routes`` (path -> function) until :meth:`stop`; keeps every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                server.requests.append(request)
                route = server.routes.get(parts.path)
                reply = route(request) if route else Reply(404, {"error": "no such route"})
                if reply.delay:
                    time.sleep(reply.delay)
                data = reply.payload()
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "application/json", **reply.headers}
                    if reply.encoding:
                        headers["Content-Encoding"] = reply.encoding
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def route(self, path: str) -> Callable[[Route], Route]:
        """Decorator registering a route function for ``path``."""

        def register(function: Route) -> Route:
            self.routes[path] = function
            return function

        return register

    def hits(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
