"""Serving the app: the bind checks, the listening socket, uvicorn until SIGINT or SIGTERM.

The socket is bound here, before uvicorn starts, so a taken port is an error that says so
(and ``--port 0`` picks a free one, told through ``on_ready``). uvicorn's access log goes to
stderr at ``info``; paths and queries are all it holds: the token travels in a header, a
cookie or a form body, never in a URL.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable

import uvicorn

from elt.errors import UsageError
from elt.ui.app import create_app
from elt.ui.page import Opener
from elt.ui.security import check_bind, is_loopback

__all__ = ["GRACEFUL_SECONDS", "listen", "serve"]

# open server-sent event streams (a followed log) get this long to end at shutdown
GRACEFUL_SECONDS = 3


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port`` (0: a free port); UsageError when taken."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise UsageError(
            f"cannot listen on {host}: {error.strerror}", hint="Use --host 127.0.0.1"
        ) from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        taken = error.errno == errno.EADDRINUSE
        raise UsageError(
            f"cannot listen on {host} port {port}: "
            + ("another process listens there" if taken else error.strerror or str(error)),
            hint="Choose another --port" if taken else "Choose another --host",
        ) from None
    sock.listen(128)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(
    open_project: Opener,
    *,
    host: str = "127.0.0.1",
    port: int = 5080,
    token: str | None = None,
    read_only: bool = False,
    log_level: str = "warning",
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the page over ``open_project()``'s project until SIGINT or SIGTERM.

    Refuses (ConfigError) a bind other machines can reach without a ``token``, and opens
    the project once first, so that an invalid plugins.yml stops here with its error.
    ``on_ready(url)`` is called once the socket listens.
    """
    check_bind(host, token)
    open_project()
    app = create_app(open_project, token=token, read_only=read_only, loopback=is_loopback(host))
    sock = listen(host, port)
    config = uvicorn.Config(
        app,
        log_level=log_level,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        server_header=False,
        lifespan="off",
    )
    if on_ready is not None:
        on_ready(url_of(sock))
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
