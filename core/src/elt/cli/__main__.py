"""``python -m elt.cli``: how ``elt scheduler`` starts its runs with this very elt."""

from __future__ import annotations

from elt.cli.app import main

main()
