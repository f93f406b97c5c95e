"""Adding and removing jobs and schedules in plugins.yml (``elt job``, ``elt schedule``).

The same round-trip editing as :mod:`elt.project.edit` (comments and layout kept, the
whole file validated before it is written): a task naming an unknown plugin, a schedule
naming an unknown job or environment, or a cron expression that does not parse is refused
with the YAML path and line it would have had, and the file is left as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from elt.errors import ProjectError, UsageError
from elt.project.edit import _check_name, _child, _open, _save
from elt.project.loader import load_project
from elt.project.model import CatchUp, blocks_of, valid_plugin_name
from elt.project.problems import did_you_mean, render_loc
from elt.project.project import PROJECT_FILE
from elt.project.yamlio import line_of

__all__ = ["JobAdded", "ScheduleAdded", "add_job", "add_schedule", "remove_job", "remove_schedule"]


@dataclass(frozen=True)
class JobAdded:
    """A job appended to plugins.yml, and the YAML path of its entry."""

    name: str
    tasks: tuple[str, ...]
    path: str


@dataclass(frozen=True)
class ScheduleAdded:
    """A schedule appended to plugins.yml, and the YAML path of its entry."""

    name: str
    interval: str
    path: str


def add_job(root: Path, name: str, tasks: list[str]) -> JobAdded:
    """Append a job running ``tasks`` (each ``TAP [MAPPER...] TARGET``) in order."""
    _check_name(valid_plugin_name, name)
    if not tasks:
        raise UsageError("a job needs at least one task", hint='elt job add NAME "TAP TARGET"')
    manifest = load_project(root, interpolate=False).manifest
    text, document = _open(root)
    _refuse_duplicate(document, "jobs", [j.name for j in manifest.jobs], name, "job")
    entry = CommentedMap(name=name)
    entry["tasks"] = CommentedSeq(" ".join(blocks_of(task)) for task in tasks)
    entries = _child(document, "jobs", CommentedSeq)
    entries.append(entry)
    _save(root, text, document)
    return JobAdded(name, tuple(entry["tasks"]), render_loc(("jobs", len(entries) - 1)))


def remove_job(root: Path, name: str) -> str:
    """Remove a job no schedule uses; returns the YAML path it had."""
    manifest = load_project(root, interpolate=False).manifest
    users = [s.name for s in manifest.schedules if s.job == name]
    if users:
        raise UsageError(
            f'job "{name}" is used by schedule {", ".join(users)}',
            hint="Remove those schedules first (elt schedule remove NAME)",
        )
    return _remove(root, "jobs", [j.name for j in manifest.jobs], name, "job")


def add_schedule(
    root: Path,
    name: str,
    *,
    interval: str,
    timezone: str | None = None,
    job: str | None = None,
    run: str | None = None,
    env: str | None = None,
    retries: int | None = None,
    retry_delay: float | None = None,
    catch_up: CatchUp | None = None,
) -> ScheduleAdded:
    """Append a schedule of a job or of one run; options left None are not written."""
    _check_name(valid_plugin_name, name)
    if (job is None) == (run is None):
        raise UsageError(
            "a schedule runs a job or one run: give exactly one of --job and --run",
            hint='elt schedule add NAME --job JOB --interval @daily, or --run "TAP TARGET"',
        )
    manifest = load_project(root, interpolate=False).manifest
    text, document = _open(root)
    names = [s.name for s in manifest.schedules]
    _refuse_duplicate(document, "schedules", names, name, "schedule")
    entry = CommentedMap(name=name)
    values: tuple[tuple[str, Any], ...] = (
        ("job", job),
        ("run", None if run is None else " ".join(blocks_of(run))),
        ("interval", interval),
        ("timezone", timezone),
        ("env", env),
        ("retries", retries),
        ("retry_delay", retry_delay),
        ("catch_up", None if catch_up is None else catch_up.value),
    )
    for key, value in values:
        if value is not None:
            entry[key] = value
    entries = _child(document, "schedules", CommentedSeq)
    entries.append(entry)
    _save(root, text, document)
    return ScheduleAdded(name, interval, render_loc(("schedules", len(entries) - 1)))


def remove_schedule(root: Path, name: str) -> str:
    """Remove a schedule; returns the YAML path it had."""
    manifest = load_project(root, interpolate=False).manifest
    return _remove(root, "schedules", [s.name for s in manifest.schedules], name, "schedule")


def _refuse_duplicate(document: Any, key: str, names: list[str], name: str, what: str) -> None:
    if name in names:
        line = line_of(document, (key, names.index(name)))
        raise ProjectError(
            f'a {what} named "{name}" already exists ({render_loc((key, names.index(name)))})',
            where=f"{PROJECT_FILE}:{line}",
            hint=f"Choose another name, or remove it first (elt {what} remove {name})",
        )


def _remove(root: Path, key: str, names: list[str], name: str, what: str) -> str:
    if name not in names:
        known = f"Known {what}s: {', '.join(names)}." if names else f"There are no {what}s."
        raise UsageError(
            f'no {what} named "{name}"',
            hint=" ".join(filter(None, [did_you_mean(name, names), known])),
        )
    text, document = _open(root)
    index = names.index(name)
    del document[key][index]
    if not document[key]:
        del document[key]
    _save(root, text, document)
    return render_loc((key, index))
