"""Usage errors that never echo what was typed: a mistaken argument may be a secret.

Click quotes the offending argument back (``No such option '-----BEGIN PRIVATE KEY-----…'``
for a value that starts with ``-``, ``Got unexpected extra argument (hunter2)``, ``Invalid
value for '--retries': 'tok_…'``). :func:`without_values` rewrites such an error before it
is shown: every word the command line held is replaced by ``(not shown)`` wherever the
message quotes it, except the names of options, which are not values; the two messages
that quote an argument bare are reworded. What click suggests ("Did you mean '--store'?")
and the usage line are kept: they come from the command's own definition.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import click

__all__ = ["without_values"]

HIDDEN = "(not shown)"
_EXTRA = re.compile(r"Got unexpected extra arguments? \((?P<args>.*)\)\Z", re.S)


def without_values(error: click.UsageError, typed: Sequence[str]) -> click.UsageError:
    """``error`` as a UsageError whose message quotes none of the words in ``typed``."""
    if isinstance(error, click.NoSuchOption):
        message = (
            "No such option (the argument is not shown: it may be a value; put -- before a "
            "value that starts with '-')."
        )
        if error.possibilities:  # names of the command's own options, not values
            names = ", ".join(repr(p) for p in sorted(error.possibilities))
            many = len(error.possibilities) > 1
            message += f" (Did you mean one of: {names}?)" if many else f" Did you mean {names}?"
        return _like(error, message)
    message = error.format_message()
    extra = _EXTRA.match(message)
    if extra is not None:
        count = len(extra["args"].split())
        if count == 1:
            return _like(error, "Got unexpected extra argument (not shown: it may be a value).")
        return _like(
            error, f"Got unexpected extra arguments ({count}, not shown: they may be values)."
        )
    options = _option_names(error.ctx)
    for word in sorted(_words(typed) - options, key=len, reverse=True):
        for quoted in (repr(word), f"'{word}'", f'"{word}"'):
            message = message.replace(quoted, HIDDEN)
    return _like(error, message)


def _like(error: click.UsageError, message: str) -> click.UsageError:
    """A plain UsageError with ``message``, shown as ``error`` would be (usage line, exit 2)."""
    return click.UsageError(message, ctx=error.ctx)


def _words(typed: Iterable[str]) -> set[str]:
    """What the command line held: each argument, and the value of ``--option=value``."""
    words = set()
    for argument in typed:
        words.add(argument)
        if argument.startswith("-") and "=" in argument:
            words.add(argument.partition("=")[2])
    return {word for word in words if word}


def _option_names(ctx: click.Context | None) -> set[str]:
    """The option names of the commands from ``ctx`` up to the root (never values)."""
    names: set[str] = set()
    while ctx is not None:
        for param in ctx.command.params:
            if isinstance(param, click.Option):
                names.update(param.opts, param.secondary_opts)
        ctx = ctx.parent
    return names
