"""The one Whoosh the engine is built on, checked before any of it is imported.

The engine reads and writes Whoosh-Reloaded 2.7.5's files and codec internals directly
(engine/writer.py, engine/ranking.py, engine/store.py); another version may lay them out
otherwise, so any other is refused with one line saying what to install.
"""

from __future__ import annotations

import os
import re
import sys
from functools import cache

DISTRIBUTION, VERSION = "Whoosh-Reloaded", "2.7.5"
# The original Whoosh installs the same package, `whoosh`, over or under this one.
RIVAL = "Whoosh"


class WrongWhoosh(Exception):
    """The installed Whoosh is not the one the engine is built on; the message says so."""


def installed(distribution: str, folders: dict[str, str | None] | None = None) -> str | None:
    """The version of `distribution` that Python would import: that of its first metadata
    folder on `sys.path` (`folders`, else listed now), where `importlib.metadata` finds it
    too. Read from the folders' names here because importing `importlib.metadata` (and the
    email parser it uses) took 45 ms of every query's start; this takes about a
    millisecond. A folder whose name holds no version (an egg-info of a source checkout)
    is read by `importlib.metadata`."""
    folders = metadata_folders() if folders is None else folders
    key = project_key(distribution)
    if key not in folders:
        return None
    return folders[key] or metadata_version(distribution)


def metadata_folders() -> dict[str, str | None]:
    """Each installed project's key -> the version its first metadata folder on `sys.path`
    names (None where the name holds none), from one listing of each folder. The current
    folder is not looked in: installers never put a distribution there, and it may be a
    folder of letters."""
    found: dict[str, str | None] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry) if entry else ()
        except OSError:
            continue
        for name in names:
            folder = METADATA_FOLDER.match(name)
            if folder:
                found.setdefault(project_key(folder["project"]), folder["version"])
    return found


# A distribution's metadata folder: Whoosh_Reloaded-2.7.5.dist-info, Whoosh-2.7.4-py3.11.egg-info
METADATA_FOLDER = re.compile(
    r"^(?P<project>.+?)(?:-(?P<version>\d[^-]*?)(?:-.*?)?)?\.(?:dist|egg)-info$"
)


def metadata_version(distribution: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def project_key(name: str) -> str:
    """A project's name as installers normalise it: "Whoosh-Reloaded" is whoosh_reloaded."""
    return re.sub(r"[-_.]+", "_", name).lower()


@cache
def check_whoosh() -> None:
    """Raises WrongWhoosh unless Whoosh-Reloaded 2.7.5, and no other Whoosh, is installed."""
    folders = metadata_folders()
    found, rival = installed(DISTRIBUTION, folders), installed(RIVAL, folders)
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
