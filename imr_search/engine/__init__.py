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


def import_with_stand_in(name: str, functions: tuple[str, ...], importer: str) -> None:
    """Imports module `importer` while module `name` is a stand-in, for a module that
    Whoosh imports at its start and a query never uses. Then the stand-in goes, and a later
    import gets the real module. Whatever is asked of the stand-in (one of `functions`
    when called, as `importer` keeps it, or any other name another thread's import asks
    meanwhile) comes from the real module, the stand-in gone first."""

    def real() -> types.ModuleType:
        if sys.modules.get(name) is standing:
            del sys.modules[name]
        return importlib.import_module(name)

    def calling_the_real(function: str):
        def call(*args, **kwargs):
            return getattr(real(), function)(*args, **kwargs)

        call.__name__ = call.__qualname__ = function
        return call

    def attribute(attribute: str):
        if attribute.startswith("__"):  # what the import system asks of any module (`__path__`)
            raise AttributeError(attribute)
        return getattr(real(), attribute)

    delegates = {function: calling_the_real(function) for function in functions}
    standing = stand_in(name, __getattr__=attribute, **delegates)
    sys.modules[name] = standing
    try:
        importlib.import_module(importer)
    finally:
        if sys.modules.get(name) is standing:
            del sys.modules[name]


# whoosh.compat imports `urlretrieve`, which nothing in Whoosh calls, and with it
# urllib.request (http.client, email, ssl): 25 to 35 ms of every query's start.
if "urllib.request" not in sys.modules:
    import_with_stand_in("urllib.request", ("urlretrieve",), "whoosh.compat")
# whoosh.query.terms imports `variations` for its Variations query, which no query here
# builds; the English morphology it comes from compiles its patterns on import, about 5 ms
# of every query's start.
if "whoosh.lang.morph_en" not in sys.modules:
    import_with_stand_in("whoosh.lang.morph_en", ("variations",), "whoosh.query.terms")
