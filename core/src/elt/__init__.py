"""elt: a fast, Singer-standard ELT connector framework."""

from __future__ import annotations

__all__ = ["DISTRIBUTION", "__version__"]

#: The name elt is installed by (``pip install elt-core``): ``elt`` on the package index is
#: another project. The import package and the command are ``elt``.
DISTRIBUTION = "elt-core"


def __getattr__(name: str) -> str:
    # looked up on first use: importlib.metadata costs ~50 ms, paid by every elt command
    # and plugin start otherwise
    if name != "__version__":
        raise AttributeError(f"module 'elt' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"
