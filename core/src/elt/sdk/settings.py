"""What an elt plugin does with a setting it does not declare: refuse it, or warn once.

A setting is implemented (declared in the plugin's config schema, so ``--about`` lists it),
refused, or — only where it cannot change the data — accepted with one warning; it is never
silently ignored. A typo (``fles`` for ``files``) would otherwise run "successfully" on the
defaults, and a setting of another implementation of the same plugin (MeltanoLabs'
``use_copy``, ``ssh_tunnel``…) would be taken as if it did something.

A plugin class names the settings it knows of but does not implement in ``setting_rules``:
a key or an :mod:`fnmatch` glob (``replication_*``) mapped to :func:`refused` ("what to use
instead") or :func:`warned` ("why it cannot change the data"). Every other undeclared key is
refused with the closest declared name as a suggestion. All refusals of one config are
reported together, in one paragraph, exit 78.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Literal

from elt.errors import ConfigError

__all__ = ["SettingRule", "check_settings", "refused", "warned"]


@dataclass(frozen=True)
class SettingRule:
    """``refuse`` a setting (exit 78, saying ``reason``) or ``warn`` once and go on."""

    action: Literal["refuse", "warn"]
    reason: str


def refused(reason: str) -> SettingRule:
    """A setting the plugin does not implement; ``reason`` says what to use instead."""
    return SettingRule("refuse", reason)


def warned(reason: str) -> SettingRule:
    """A setting that cannot change the data here; ``reason`` says why it has no effect."""
    return SettingRule("warn", reason)


def check_settings(
    plugin: str,
    config: Mapping[str, Any],
    *,
    declared: Collection[str],
    rules: Mapping[str, SettingRule],
    logger: logging.Logger,
) -> None:
    """Raise a :class:`ConfigError` for every undeclared key of ``config`` not warned of.

    Keys whose value is None are what an orchestrator writes for a setting left unset, so
    they are neither refused nor warned about.
    """
    problems: list[str] = []
    for key in sorted(k for k, v in config.items() if k not in declared and v is not None):
        rule = _rule_for(key, rules)
        if rule is None:
            problems.append(f"unknown setting {key!r}{_suggestion(key, declared)}")
        elif rule.action == "refuse":
            problems.append(f"setting {key!r} is not supported: {rule.reason}")
        else:
            logger.warning("Setting %r has no effect in %s: %s", key, plugin, rule.reason)
    if problems:
        raise ConfigError(
            "; ".join(problems),
            where=f"{plugin} config",
            hint=f"remove or correct it: `{plugin} --about` lists every setting {plugin} takes",
        )


def _rule_for(key: str, rules: Mapping[str, SettingRule]) -> SettingRule | None:
    if key in rules:
        return rules[key]
    for pattern, rule in rules.items():
        if fnmatchcase(key, pattern):
            return rule
    return None


def _suggestion(key: str, declared: Collection[str]) -> str:
    close = difflib.get_close_matches(key, list(declared), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
