"""The one Whoosh the engine is built on, checked before any of it is imported.

The engine reads and writes Whoosh-Reloaded 2.7.5's files and codec internals directly
(engine/writer.py, engine/ranking.py, engine/store.py); another version may lay them out
otherwise, so any other is refused with one line saying what to install.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata

DISTRIBUTION, VERSION = "Whoosh-Reloaded", "2.7.5"
# The original Whoosh installs the same package, `whoosh`, over or under this one.
RIVAL = "Whoosh"


class WrongWhoosh(Exception):
    """The installed Whoosh is not the one the engine is built on; the message says so."""


def installed(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


@cache
def check_whoosh() -> None:
    """Raises WrongWhoosh unless Whoosh-Reloaded 2.7.5, and no other Whoosh, is installed."""
    found, rival = installed(DISTRIBUTION), installed(RIVAL)
    if found == VERSION and rival is None:
        return
    seen = [
        f"{name} {version}" for name, version in ((DISTRIBUTION, found), (RIVAL, rival)) if version
    ]
    fix = f"pip install '{DISTRIBUTION.lower()}=={VERSION}'"
    if rival:
        fix = f"pip uninstall -y whoosh {DISTRIBUTION.lower()} && {fix}"
    raise WrongWhoosh(
        f"this version needs {DISTRIBUTION} {VERSION} exactly, but finds "
        f"{' and '.join(seen) or 'no Whoosh'}; run `{fix}`"
    )
