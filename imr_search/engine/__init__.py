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

# whoosh.compat imports `urlretrieve`, which nothing in Whoosh calls, and with it
# urllib.request (http.client, email, ssl): 25 to 35 ms of every query's start. While
# whoosh.compat is imported, urllib.request is a stand-in whose `urlretrieve` imports the
# real one when called; then the stand-in goes, and a later import gets the real module.
if "urllib.request" not in sys.modules:

    def urlretrieve(*args, **kwargs):
        return importlib.import_module("urllib.request").urlretrieve(*args, **kwargs)

    sys.modules["urllib.request"] = stand_in("urllib.request", urlretrieve=urlretrieve)
    try:
        import whoosh.compat  # noqa: F401
    finally:
        del sys.modules["urllib.request"]
