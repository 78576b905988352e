"""The only code that touches Whoosh: the schema (from fields.py), the writer, postings,
matching and ranking, facet tables, the store with its snapshots and stored letters."""

import functools
import importlib.machinery
import sys
import types

from ..whoosh_pin import check_whoosh

check_whoosh()

# Whoosh-Reloaded imports the `cached_property` backport for one decorator the standard
# library has had since Python 3.8; the backport imports asyncio, 20 to 50 ms of every
# query's start. The standard library's serves it the same (a value computed on first
# access and kept in the instance).
if "cached_property" not in sys.modules:
    standard = types.ModuleType("cached_property")
    standard.__spec__ = importlib.machinery.ModuleSpec("cached_property", None)
    standard.cached_property = functools.cached_property
    sys.modules["cached_property"] = standard
