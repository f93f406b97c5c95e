"""``elt run``: pipe a tap into a target and keep the state bookmark."""

from __future__ import annotations

import click

from elt.cli.progress import progress_for, stream_table, unit_table
from elt.cli.render import format_option, json_text
from elt.cli.session import Session, pass_session
from elt.cli.tasks import (
    config_option,
    env_option,
    executor_option,
    progress_option,
    retry_options,
)
from elt.project import parse_overrides
from elt.run import DEFAULT_STOP_TIMEOUT

__all__ = ["run"]


@click.command()
@click.argument("blocks", nargs=-1, required=True, metavar="TAP [MAPPER...] TARGET")
@click.option(
    "--state-id",
    metavar="ID",
    help="Where the bookmark is kept. Default: <environment>:<tap>-to-<target>.",
)
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Extract everything: start the tap without the stored state (new state is stored).",
)
@click.option(
    "--stop-timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_STOP_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long a plugin gets to exit after SIGTERM before it is killed.",
)
@click.option(
    "--no-install",
    "no_install",
    is_flag=True,
    help="Fail if a plugin is not installed, instead of installing it first.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Run even if another run holds the state id (its lock is taken, with a warning).",
)
@retry_options("a failure a retry can fix (service unreachable, plugin exit 75 or killed)")
@click.option(
    "--record-lines",
    is_flag=True,
    help="Send RECORD lines even between elt's own plugins (no csv BATCH fast path).",
)
@env_option()
@config_option()
@executor_option()
@progress_option()
@format_option("text")
@click.option("--json", "json_output", is_flag=True, help="Same as --format json.")
@pass_session
def run(
    session: Session,
    *,
    blocks: tuple[str, ...],
    state_id: str | None,
    full_refresh: bool,
    stop_timeout: float,
    no_install: bool,
    force: bool,
    retries: int,
    retry_delay: float,
    record_lines: bool,
    env: str | None,
    config_items: tuple[str, ...],
    executor: str | None,
    progress_interval: float,
    output: str,
    json_output: bool,
) -> None:
    """Extract with TAP and load with TARGET, continuing from the last bookmark.

    The tap's output is piped into the target, through each MAPPER in turn if any are
    named (e.g. meltano-map-transform with stream_maps). Each state the target emits after
    committing is stored at once, so a failed or interrupted run keeps everything up to
    the last commit, and the next run continues from there with no gap and no duplicate.
    Plugin logs go to .elt/logs/<state id>/<run id>.log and, with --log-level info, to the
    console. A failure names the plugin, its exit code and the end of its log (exit 70).
    Two runs of one state id cannot overlap: the second one stops at once (exit 2) naming
    the first, unless --force (for a run you know is dead; a remote lock expires by itself).
    Plugins that are not installed yet are installed first (see `elt install`).

    Each run is recorded in the run history (`elt runs list`). With --retries, a failure a
    retry can fix (a service unreachable or refusing, exit 75; a plugin that exited 75 or
    was killed by a signal) is retried after --retry-delay seconds, doubled each time; bad
    config, bad data and a plugin's own errors are not. Each attempt continues from the
    bookmark the failed one committed. The alerts in plugins.yml are sent after the last
    attempt.

    --env runs in that environment (like the global -e). --config PLUGIN.SETTING=VALUE sets
    a setting of one of the run's plugins for this run only, over plugins.yml, .env and
    environment variables, its VALUE read as by `elt config set` (repeat it for more). The
    history records the overrides, secret ones as ********.

    --executor local:N or a Dask scheduler address (tcp://HOST:8786, tls://…) splits
    the run into units: one per selected stream, one per partition of a stream its tap
    partitions (tap-postgres key ranges, tap-csv files, tap-http date windows). Units run
    at the same time (N here, or on the cluster's workers), each a pipe of its own; a
    stream's bookmark advances once all its units committed, and a rerun after a failure
    redoes only the units not done. The final table then lists the units (stream,
    partition, worker, rows, seconds, status, attempt). Default: $ELT_EXECUTOR, else
    executor: in plugins.yml, else local (one pipe here).

    While it runs, a terminal shows rows, rows/s and time per stream, from the counts the
    plugins log (elt's own every second, most others every minute); elsewhere one line per
    stream goes to stderr every --progress-interval seconds. Every run ends with a table
    of its streams (--format json: the same as JSON on stdout).

    \b
    Examples:
      elt run tap-csv target-postgres
      elt -e prod --log-level info run tap-csv target-postgres
      elt run tap-csv target-postgres --full-refresh
      elt run tap-csv target-postgres --state-id backfill-2024 --format json
      elt run tap-csv hash-emails target-postgres
      elt run tap-http target-postgres --retries 3 --retry-delay 30
      elt run tap-http target-postgres --env prod --config tap-http.start_date=2024-01-01
      elt run tap-postgres target-postgres --executor local:4
      elt run tap-http target-gcs --executor tcp://scheduler:8786
    """
    project = session.api(env)
    request = project.request(
        blocks,
        overrides=parse_overrides(project.loaded, config_items, blocks),
        state_id=state_id,
        full_refresh=full_refresh,
        retries=retries,
        retry_delay=retry_delay,
        stop_timeout=stop_timeout,
        force=force,
        record_lines=record_lines,
        install=not no_install,
        executor=executor,
    )
    with progress_for(progress_interval)(request.tap, request.target) as progress:
        result = project.execute(request, watcher=progress)
    if output == "json" or json_output:
        click.echo(json_text(result.as_dict()))
        return
    states = f"{result.states_stored} state{'' if result.states_stored == 1 else 's'}"
    chain = " -> ".join(blocks)
    rows = sum(result.rows.values())
    moved = f"{rows} row{'' if rows == 1 else 's'} {result.rows_kind}, " if result.rows else ""
    click.echo(
        f"{chain}: done in {result.duration:.1f} s, {moved}{states} stored under {result.state_id}"
    )
    if result.streams:
        click.echo(stream_table(result.streams))
    if result.units:
        click.echo(unit_table(result.units))
    click.echo(f"log: {result.log_path}")
