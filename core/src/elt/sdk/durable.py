"""Making a plugin's renamed file survive a power loss: fsync of the folder that holds it.

The same as :func:`elt.files.fsync_directory`, which the core layers use: plugins import
only ``elt.sdk``, ``elt.protocol`` and ``elt.errors`` (DESIGN.md), and ``elt.files`` may
not import ``elt.sdk`` (its package imports singer-sdk), so each side keeps these six lines.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["fsync_directory"]


def fsync_directory(directory: Path) -> None:
    """Make a rename or unlink in ``directory`` survive a power loss."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
