"""The only code that touches Whoosh: the schema (from fields.py), the writer, postings,
matching and ranking, facet tables, the store with its snapshots and stored letters."""

import functools
import importlib
import importlib.machinery
import sys
import types

from ..whoosh_pin import check_whoosh

check_whoosh()


def stand_in(name: str, **names) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    module.__dict__.update(names)
    return module


# Whoosh-Reloaded imports the `cached_property` backport for one decorator the standard
# library has had since Python 3.8; the backport imports asyncio, 20 to 50 ms of every
# query's start. The standard library's serves it the same (a value computed on first
# access and kept in the instance).
if "cached_property" not in sys.modules:
    sys.modules["cached_property"] = stand_in(
        "cached_property", cached_property=functools.cached_property
    )


def import_whoosh_without_urllib_request() -> None:
    """whoosh.compat imports `urlretrieve`, which nothing in Whoosh calls, and with it
    urllib.request (http.client, email, ssl): 25 to 35 ms of every query's start. While
    whoosh.compat is imported, urllib.request is a stand-in; then it goes, and a later
    import gets the real module. Whatever is asked of the stand-in (Whoosh's
    `urlretrieve` when called, or another thread's import meanwhile) comes from the real
    module, the stand-in gone first."""

    def real():
        if sys.modules.get("urllib.request") is standing:
            del sys.modules["urllib.request"]
        return importlib.import_module("urllib.request")

    def urlretrieve(*args, **kwargs):
        return real().urlretrieve(*args, **kwargs)

    def attribute(name: str):
        if name.startswith("__"):  # what the import system asks of any module (`__path__`)
            raise AttributeError(name)
        return getattr(real(), name)

    standing = stand_in("urllib.request", urlretrieve=urlretrieve, __getattr__=attribute)
    sys.modules["urllib.request"] = standing
    try:
        import whoosh.compat  # noqa: F401
    finally:
        if sys.modules.get("urllib.request") is standing:
            del sys.modules["urllib.request"]


if "urllib.request" not in sys.modules:
    import_whoosh_without_urllib_request()
