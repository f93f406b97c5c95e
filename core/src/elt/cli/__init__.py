"""The ``elt`` command line: a thin click layer over :mod:`elt.project` and friends.

Commands parse arguments, call one library function and render what it returns; errors are
turned into messages and exit codes in one place (:mod:`elt.cli.app`). Nothing outside this
package imports it.
"""

from __future__ import annotations

from elt.cli.app import cli, main

__all__ = ["cli", "main"]
