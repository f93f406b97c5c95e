"""Taking the secrets out of a value before it is written to plugins.yml.

plugins.yml is committed; ``.env`` (mode 0600, git-ignored) is not. ``elt config set`` keeps
a secret in ``.env`` whichever rule makes it one (:func:`elt.project.settings.is_secret`:
declared in plugins.yml or by the plugin's ``--about``, kind password, a secret-looking
name) and also when it hides inside a value:

- a URL with a password (``postgresql://u:PASSWORD@h/db``): the whole value goes to
  ``.env``, as a secret setting's does;
- an object or list holding secrets (``auth: {type: bearer, token: …}``): it stays in
  plugins.yml with each secret replaced by a reference, ``token: ${TAP_HTTP_AUTH_TOKEN}``,
  and the secret goes to ``.env`` under that name. The variable is then only a reference:
  a ``${VAR}`` that plugins.yml refers to is never taken as a setting of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from elt.project.kinds import value_text
from elt.project.model import setting_variable
from elt.project.settings import is_secret, url_password

__all__ = ["SeparatedValue", "separate_secrets"]


@dataclass(frozen=True)
class SeparatedValue:
    """What to write where: ``whole_secret`` sends the value itself to ``.env``; otherwise
    ``value`` goes to plugins.yml and ``variables`` (name -> text) to ``.env``."""

    value: object
    whole_secret: bool
    variables: Mapping[str, str] = field(default_factory=dict)


def separate_secrets(plugin: str, setting: str, value: object, *, secret: bool) -> SeparatedValue:
    """Split ``value`` of ``plugin``'s ``setting`` into what plugins.yml and .env may hold."""
    if secret or url_password(value) is not None:
        return SeparatedValue(value, whole_secret=True)
    if not isinstance(value, Mapping | list):
        return SeparatedValue(value, whole_secret=False)
    variables: dict[str, str] = {}
    kept = _replace(plugin, setting, value, variables, secret=False)
    return SeparatedValue(kept, whole_secret=False, variables=variables)


def _replace(
    plugin: str, path: str, value: object, variables: dict[str, str], *, secret: bool
) -> object:
    if isinstance(value, Mapping):
        return {
            key: _replace(
                plugin, f"{path}_{key}", item, variables, secret=secret or is_secret(str(key))
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            _replace(plugin, f"{path}_{index}", item, variables, secret=secret)
            for index, item in enumerate(value)
        ]
    if value is None or isinstance(value, bool):
        return value
    if secret or url_password(value) is not None:
        text = value_text(value)
        if text.startswith("${") and text.endswith("}"):
            return value  # already a reference
        variable = setting_variable(plugin, path)
        variables[variable] = text
        return f"${{{variable}}}"
    return value
