"""``elt invoke``: one plugin run by hand, with the project's config, attached to the terminal.

The plugin gets the same config file a run gives it (mode 0600, in a private directory removed
afterwards) and ``--config`` before the caller's arguments, and inherits stdin, stdout and
stderr, so ``elt invoke tap-csv --discover > catalog.json`` or piping records through
``elt invoke target-jsonl`` behaves like the bare executable. Ctrl-C reaches the plugin (it is
in the terminal's process group); elt waits for it and reports its exit code. It dies with
elt (:func:`elt.run.orphans.die_with_elt`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from elt.project import Project, SettingSource
from elt.run.invoker import plugin_config, prepare
from elt.run.orphans import die_with_elt
from elt.run.private import private_directory

__all__ = ["dump_config", "invoke_plugin"]


def invoke_plugin(
    project: Project, name: str, args: Sequence[str], *, environment: str | None
) -> int:
    """Run plugin ``name`` with ``--config <file> args...``; return its exit code.

    Raises ConfigError for a missing required setting and PluginError when the executable
    cannot be found, before anything starts.
    """
    plugin = project.plugin(name)
    with private_directory("invoke") as workdir:
        invocation = prepare(project, plugin, environment=environment, workdir=workdir)
        process = subprocess.Popen(
            invocation.argv(*args),
            cwd=invocation.cwd,
            env=dict(invocation.env),
            preexec_fn=die_with_elt(),  # noqa: PLW1509 (see die_with_elt)
        )
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:  # the plugin got the SIGINT too; let it finish
                continue


def dump_config(
    project: Project, name: str, *, environment: str | None, unsafe: bool = False
) -> dict[str, object]:
    """The config ``elt invoke`` would hand to plugin ``name``; secrets redacted unless
    ``unsafe``."""
    resolved = plugin_config(project, project.plugin(name), environment=environment)
    return {
        s.name: s.shown(reveal=unsafe)
        for s in resolved.settings
        if s.source is not SettingSource.UNSET
    }
