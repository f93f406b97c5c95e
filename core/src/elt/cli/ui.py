"""``elt ui``: serve the web page of the project (elt.ui, the ``ui`` extra).

The command is here so that ``elt ui`` is one more command; the page itself, Starlette and
uvicorn are imported only when it runs.
"""

from __future__ import annotations

import click

from elt.cli.session import Session, pass_session
from elt.errors import ConfigError

__all__ = ["ui"]

_UI_PACKAGES = frozenset({"starlette", "uvicorn", "jinja2", "multipart", "python_multipart"})


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Any but a loopback address needs a token.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=5080,
    show_default=True,
    help="Port to listen on (0: any free one).",
)
@click.option(
    "--token",
    envvar="ELT_UI_TOKEN",
    metavar="TOKEN",
    help="Ask every request for this token (16 characters or more). Prefer $ELT_UI_TOKEN: "
    "a command line is visible in `ps`.",
)
@click.option("--read-only", is_flag=True, help="Show everything, start and change nothing.")
@pass_session
def ui(session: Session, host: str, port: int, token: str | None, read_only: bool) -> None:
    """Serve a web page to watch, understand and act on the project's pipelines.

    Runs (the history, filtered, paged and charted per pipeline), each run (its streams,
    attempts, error and log, live while it runs), schedules with Run now, jobs, state
    (clear or set, confirmed, refused while a run holds it) and plugins' settings (secrets
    as ********), from the same history, logs, state backend and plugins.yml as the other
    commands. Stop it with Ctrl-C.

    It listens on 127.0.0.1 unless --host says otherwise; any other address refuses to
    start without a token, which every request must then carry (Authorization: Bearer
    TOKEN, or the login form's cookie). Actions are POSTs with a CSRF token.

    \b
    Examples:
      elt ui                                   # http://127.0.0.1:5080
      elt -e prod ui --read-only --port 8080
      ELT_UI_TOKEN=$(cat ~/.elt-ui-token) elt ui --host 0.0.0.0
    """
    try:
        from elt.ui import serve
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in _UI_PACKAGES:
            raise
        raise ConfigError(
            f"elt ui needs the ui extra ({error.name} is not installed)",
            hint="pip install 'elt-core[ui]'",
        ) from None
    from elt.api import Project

    root, environment = session.root(), session.environment

    def open_project() -> Project:
        return Project.open(root, environment=environment)

    def ready(url: str) -> None:
        mode = ", read-only" if read_only else ""
        login = ", token required" if token else ""
        click.echo(f"elt ui: serving {url}{mode}{login}; Ctrl-C stops it", err=True)

    serve(
        open_project,
        host=host,
        port=port,
        token=token or None,
        read_only=read_only,
        log_level=session.log_level,
        on_ready=ready,
    )
