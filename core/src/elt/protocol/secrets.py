"""What counts as a secret by its name, and credentials spotted in free text.

One rule for every place a name decides: a setting (``elt config``, the run log's config
line, the history's overrides: :func:`elt.project.is_secret`), a query parameter or a
header a plugin prints (tap-http's URLs), a key in a line of text. So a ``key`` passed in
``--config tap-http.params={"key": …}`` is hidden in the run log exactly where tap-http hides
``?key=…`` in its own messages.

The name pattern is broad on purpose (a leaked secret costs more than a hidden port):
``password``, ``token``, ``secret``, ``api_key``, ``private_key``, ``signature``… as a
word of the name (``client_secret``, ``x-api-key``, ``auth_token``), and ``key`` alone —
not ``primary_key`` or ``key_properties``, which are no secrets. A name that says where
a secret is rather than what it is (``token_url``, ``credentials_path``) is not one.

:func:`redact_credentials` hides what a plugin or a server may print without elt knowing
the value: the credential after ``Bearer``/``Basic``/``Token`` (an echoed
``Authorization`` header), and the value after a secret name in ``name=value``,
``name: value`` or ``"name": "value"`` (an OAuth2 token response, a query string).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["REDACTED", "is_secret_name", "redact_credentials"]

REDACTED: Final = "********"

_SECRET_WORD: Final = re.compile(
    r"(?:^|_)(?:password|passwd|pwd|secret|token|api_key|apikey|private_key|client_secret"
    r"|credentials|access_key|authorization|connection_string|signature|sig|cookie)(?:_|$)"
    r"|^key$"
)
# Where a secret is, not what it is: token_url, credentials_path, api_key_param.
_LOCATOR: Final = re.compile(r"_(?:url|uri|path|file|location|param|name|type)$")
_SEPARATORS: Final = re.compile(r"[^a-z0-9]+")

# a credential has a digit or a sign among its letters, which a word ("Basic question") has not
_SCHEME_CREDENTIAL: Final = re.compile(
    r"(?i)(?P<lead>\b(?:Bearer|Basic|Token)\s+)"
    r"(?P<value>(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,})"
)
# the quotes may be escaped: a JSON body quoted in a JSON log line
_NAMED_VALUE: Final = re.compile(
    r"(?P<name>[A-Za-z][A-Za-z0-9_.-]*)(?P<sep>\\?['\"]?\s*[:=]\s*\\?['\"]?)"
    r"(?!(?i:Bearer|Basic|Token)\s)(?P<value>[^\s'\"&,;}\]\\]+)"
)


def is_secret_name(name: str) -> bool:
    """Whether a value called ``name`` is a secret (see the module docstring)."""
    normalized = _SEPARATORS.sub("_", name.lower()).strip("_")
    if _LOCATOR.search(normalized):
        return False
    return _SECRET_WORD.search(normalized) is not None


def redact_credentials(text: str) -> str:
    """``text`` with credentials that show by their place replaced by ``********``."""
    text = _SCHEME_CREDENTIAL.sub(lambda m: m["lead"] + REDACTED, text)
    return _NAMED_VALUE.sub(_hide_if_secret, text)


def _hide_if_secret(match: re.Match[str]) -> str:
    if match["value"] == REDACTED or not is_secret_name(match["name"]):
        return match[0]
    return match["name"] + match["sep"] + REDACTED
