"""Checks that need the whole of plugins.yml, and typing of config values.

The models check each entry on its own; here we check what entries say about each other:
plugin names are unique across all kinds (a name is also an environment-variable prefix,
a state id part and a virtualenv directory, so a tap and a target may not share one),
``inherit_from`` names a plugin of the same kind without a cycle, and environments name
plugins and environments that exist, jobs and schedules have unique names and name jobs,
environments and plugins that exist (each task a tap, then mappers, then a target). Then
every config value that has a declared setting is checked against its kind and coerced,
so ``port: "5432"`` reaches the plugin as 5432.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from elt.project.kinds import coerce
from elt.project.model import (
    EnvironmentSpec,
    Manifest,
    PluginKind,
    PluginSpec,
    SettingSpec,
    blocks_of,
    env_prefix,
)
from elt.project.problems import Loc, Problem, did_you_mean, render_loc
from elt.project.project import Plugin, Project

__all__ = ["check_references", "coerce_config"]


def check_references(manifest: Manifest) -> list[Problem]:
    """Every problem with names and references between entries, in file order."""
    problems = _plugin_names(manifest)
    for kind in PluginKind:
        problems += _inheritance(manifest, kind)
    for index, spec in _plugins(manifest):
        problems += _duplicates(
            [s.name for s in spec.settings], ("plugins", index[0], index[1], "settings"), "setting"
        )
    problems += _environments(manifest)
    problems += _jobs_and_schedules(manifest)
    return problems


def coerce_config(
    manifest: Manifest, *, unresolved: bool = False
) -> tuple[Manifest, list[Problem]]:
    """Coerce config values and defaults to their declared kinds.

    Requires a manifest whose references check out. With ``unresolved`` (a file that was
    not interpolated, as when editing) values containing ``${`` are left unchecked, since
    only their interpolated text has a kind.
    """
    project = Project(Path(), manifest)
    problems: list[Problem] = []
    sections: dict[str, list[PluginSpec]] = {kind.section: [] for kind in PluginKind}
    for plugin in project.plugins:
        loc: Loc = ("plugins", plugin.kind.section, plugin.index)
        config = _coerced(plugin.spec.config, plugin, (*loc, "config"), problems, unresolved)
        settings = [
            setting.model_copy(
                update={
                    "default": _coerced_value(
                        setting,
                        setting.default,
                        (*loc, "settings", at, "default"),
                        problems,
                        unresolved,
                    )
                }
            )
            for at, setting in enumerate(plugin.spec.settings)
        ]
        spec = plugin.spec.model_copy(update={"config": config, "settings": settings})
        sections[plugin.kind.section].append(spec)
    environments = [
        _coerced_environment(project, e, index, problems, unresolved)
        for index, e in enumerate(manifest.environments)
    ]
    plugins = manifest.plugins.model_copy(update=sections)
    return manifest.model_copy(update={"plugins": plugins, "environments": environments}), problems


def _coerced_environment(
    project: Project,
    environment: EnvironmentSpec,
    index: int,
    problems: list[Problem],
    unresolved: bool,
) -> EnvironmentSpec:
    sections: dict[str, list[Any]] = {}
    for kind in PluginKind:
        entries = []
        for at, entry in enumerate(environment.plugins.of(kind)):
            loc: Loc = ("environments", index, "plugins", kind.section, at, "config")
            plugin = project.plugin(entry.name)
            config = _coerced(entry.config, plugin, loc, problems, unresolved)
            entries.append(entry.model_copy(update={"config": config}))
        sections[kind.section] = entries
    plugins = environment.plugins.model_copy(update=sections)
    return environment.model_copy(update={"plugins": plugins})


def _coerced(
    config: Mapping[str, Any], plugin: Plugin, loc: Loc, problems: list[Problem], unresolved: bool
) -> dict[str, Any]:
    return {
        key: _coerced_value(plugin.setting(key), value, (*loc, key), problems, unresolved)
        for key, value in config.items()
    }


def _coerced_value(
    setting: SettingSpec | None, value: Any, loc: Loc, problems: list[Problem], unresolved: bool
) -> Any:
    if setting is None or (unresolved and isinstance(value, str) and "${" in value):
        return value
    try:
        return coerce(setting.kind, value)
    except ValueError as error:
        problems.append(Problem(loc, str(error)))
        return value


def _plugins(manifest: Manifest) -> list[tuple[tuple[str, int], PluginSpec]]:
    return [
        ((kind.section, index), spec)
        for kind in PluginKind
        for index, spec in enumerate(manifest.plugins.of(kind))
    ]


def _plugin_names(manifest: Manifest) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, Loc] = {}
    prefixes: dict[str, tuple[str, Loc]] = {}
    for (section, index), spec in _plugins(manifest):
        loc: Loc = ("plugins", section, index)
        if spec.name in seen:
            first = render_loc(seen[spec.name])
            problems.append(
                Problem((*loc, "name"), f'duplicate plugin name "{spec.name}", first at {first}')
            )
            continue
        prefix = env_prefix(spec.name)
        if prefix in prefixes:
            other, at = prefixes[prefix]
            problems.append(
                Problem(
                    (*loc, "name"),
                    f'"{spec.name}" and "{other}" ({render_loc(at)}) share the settings '
                    f"variable prefix {prefix}_",
                    "Rename one of them",
                )
            )
        seen[spec.name] = loc
        prefixes[prefix] = (spec.name, loc)
    return problems


def _inheritance(manifest: Manifest, kind: PluginKind) -> list[Problem]:
    specs = manifest.plugins.of(kind)
    own = {spec.name: spec for spec in specs}
    others = {
        spec.name: other
        for other in PluginKind
        if other is not kind
        for spec in manifest.plugins.of(other)
    }
    problems: list[Problem] = []
    reported: set[frozenset[str]] = set()
    for index, spec in enumerate(specs):
        parent = spec.inherit_from
        if parent is None:
            continue
        loc: Loc = ("plugins", kind.section, index, "inherit_from")
        if parent in others:
            problems.append(
                Problem(
                    loc,
                    f'"{parent}" is a {others[parent].value}; a {kind.value} can only '
                    f"inherit from a {kind.value}",
                )
            )
        elif parent not in own:
            hint = did_you_mean(parent, [n for n in own if n != spec.name]) or None
            problems.append(Problem(loc, f'unknown {kind.value} "{parent}"', hint))
        else:
            chain = _chain(spec.name, own)
            if chain is not None and frozenset(chain) not in reported:
                reported.add(frozenset(chain))
                problems.append(Problem(loc, f"inheritance cycle: {' -> '.join(chain)}"))
    return problems


def _chain(start: str, specs: Mapping[str, PluginSpec]) -> list[str] | None:
    """The names from ``start`` around its inheritance cycle, or None if there is none."""
    path = [start]
    current = specs[start].inherit_from
    while current is not None and current in specs:
        if current in path:
            return [*path[path.index(current) :], current] if current == start else None
        path.append(current)
        current = specs[current].inherit_from
    return None


def _duplicates(names: list[str], loc: Loc, what: str) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            problems.append(Problem((*loc, index, "name"), f'duplicate {what} name "{name}"'))
        seen.add(name)
    return problems


def _environments(manifest: Manifest) -> list[Problem]:
    names = [e.name for e in manifest.environments]
    problems = _duplicates(names, ("environments",), "environment")
    default = manifest.default_environment
    if default is not None and default not in names:
        hint = did_you_mean(default, names) or "Declare it under environments:"
        problems.append(Problem(("default_environment",), f'unknown environment "{default}"', hint))
    for index, environment in enumerate(manifest.environments):
        for kind in PluginKind:
            declared = [spec.name for spec in manifest.plugins.of(kind)]
            loc: Loc = ("environments", index, "plugins", kind.section)
            entries = [entry.name for entry in environment.plugins.of(kind)]
            problems += _duplicates(entries, loc, kind.value)
            for at, name in enumerate(entries):
                if name not in declared:
                    hint = (
                        did_you_mean(name, declared) or f"Declare it under plugins.{kind.section}"
                    )
                    problems.append(
                        Problem((*loc, at, "name"), f'unknown {kind.value} "{name}"', hint)
                    )
    return problems


def _jobs_and_schedules(manifest: Manifest) -> list[Problem]:
    problems = _duplicates([j.name for j in manifest.jobs], ("jobs",), "job")
    problems += _duplicates([s.name for s in manifest.schedules], ("schedules",), "schedule")
    for index, job in enumerate(manifest.jobs):
        for at, task in enumerate(job.tasks):
            problems += _task(manifest, task, ("jobs", index, "tasks", at))
    jobs = [job.name for job in manifest.jobs]
    environments = [e.name for e in manifest.environments]
    for index, schedule in enumerate(manifest.schedules):
        loc: Loc = ("schedules", index)
        if schedule.run is not None:
            problems += _task(manifest, schedule.run, (*loc, "run"))
        if schedule.job is not None and schedule.job not in jobs:
            hint = did_you_mean(schedule.job, jobs) or "Declare it under jobs: (elt job add)"
            problems.append(Problem((*loc, "job"), f'unknown job "{schedule.job}"', hint))
        if schedule.env is not None and schedule.env not in environments:
            hint = did_you_mean(schedule.env, environments) or "Declare it under environments:"
            problems.append(Problem((*loc, "env"), f'unknown environment "{schedule.env}"', hint))
    return problems


def _task(manifest: Manifest, task: str, loc: Loc) -> list[Problem]:
    """Problems with one ``TAP [MAPPER...] TARGET`` line: each name a plugin of its place."""
    kinds = {spec.name: kind for kind in PluginKind for spec in manifest.plugins.of(kind)}
    blocks = blocks_of(task)
    places = [
        PluginKind.TAP,
        *[PluginKind.MAPPER] * (len(blocks) - 2),
        PluginKind.TARGET,
    ]
    problems = []
    for name, place in zip(blocks, places, strict=True):
        kind = kinds.get(name)
        if kind is None:
            declared = [n for n, k in kinds.items() if k is place]
            hint = did_you_mean(name, declared) or f"Add it with: elt add {place.value} {name}"
            problems.append(Problem(loc, f'unknown {place.value} "{name}" in "{task}"', hint))
        elif kind is not place:
            problems.append(
                Problem(
                    loc,
                    f'"{name}" is a {kind.value} where "{task}" needs a {place.value} '
                    "(TAP [MAPPER...] TARGET)",
                )
            )
    return problems
