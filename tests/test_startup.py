"""A command imports only what it uses: `--help` no engine, a JSON query no terminal
tables, PDF library, parser or indexer. What each command really imports is read from a
new process running it, so that an import slipped back to the top of a module shows."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import run_console

# What the command's process holds, told at its end by an exit handler (the console
# script ends the process itself).
MODULES_AT_EXIT = (
    "import atexit, json\n"
    "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))"
)


def imported(*args: str) -> set[str]:
    return set(json.loads(run_console(MODULES_AT_EXIT, *args).stderr.splitlines()[-1]))


def packages(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


ENGINE = {"numpy", "whoosh"}
TERMINAL = {"rich"}
# What Whoosh imports and a query never uses: the cached_property backport's asyncio,
# whoosh.compat's urllib.request and the English morphology of Whoosh's Variations query
# (engine/__init__.py stands in for each).
UNUSED_BY_WHOOSH = {"asyncio", "urllib.request", "http.client", "email", "whoosh.lang.morph_en"}
READING = {
    "pypdfium2",
    "imr_search.letters.files",
    "imr_search.letters.extract",
    "imr_search.letters.parse",
    "imr_search.letters.enrich",
    "imr_search.letters.models",  # the parsed records: `show` and the indexer build them
    "imr_search.indexer",
}


def test_help_imports_no_engine_and_no_rich():
    for args in (["--help"], ["query", "--help"], ["watch", "--help"]):
        modules = imported(*args)
        assert not packages(modules) & (ENGINE | TERMINAL), args
        assert not modules & READING, args


@pytest.mark.parametrize("format", ["json", "csv", "cite"])
def test_a_query_for_programs_imports_no_tables_pdf_library_parser_or_indexer(index_dir, format):
    modules = imported("query", "flexeril", "--index", str(index_dir), "--format", format)
    assert packages(modules) >= ENGINE  # it did search
    assert not packages(modules) & TERMINAL
    assert not modules & READING
    assert not modules & UNUSED_BY_WHOOSH


def test_whooshs_urlretrieve_still_fetches_and_urllib_request_is_the_real_one(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(bytes(range(256)) * 3)
    code = (
        "import sys, imr_search.engine.query, whoosh.compat\n"
        "assert 'urllib.request' not in sys.modules\n"
        "whoosh.compat.urlretrieve(sys.argv[1], sys.argv[2])\n"
        "import urllib.request\n"
        "print(urllib.request.__file__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, source.as_uri(), str(tmp_path / "copy.bin")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert (tmp_path / "copy.bin").read_bytes() == source.read_bytes()
    assert Path(done.stdout.strip()).name == "request.py"


def test_an_import_of_urllib_request_while_whoosh_is_imported_gets_the_real_module():
    """Another thread importing urllib.request while the stand-in is in place (here, an
    import made from inside Whoosh's own): it gets the real module's names, and the real
    module is what stays."""
    code = (
        "import builtins, sys\n"
        "import imr_search.engine as engine\n"
        "del sys.modules['whoosh.compat']\n"
        "before, seen = builtins.__import__, []\n"
        "def meanwhile(name, *args, **kwargs):\n"
        "    if name == 'queue' and not seen:  # whoosh.compat's next import\n"
        "        from urllib.request import urlopen, Request\n"
        "        seen.append((urlopen.__module__, Request.__module__))\n"
        "    return before(name, *args, **kwargs)\n"
        "builtins.__import__ = meanwhile\n"
        "engine.import_with_stand_in('urllib.request', ('urlretrieve',), 'whoosh.compat')\n"
        "builtins.__import__ = before\n"
        "import urllib.request\n"
        "print(seen, urllib.request.__file__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seen, file = done.stdout.rsplit(" ", 1)
    assert seen == "[('urllib.request', 'urllib.request')]"
    assert Path(file.strip()).name == "request.py"


def test_whooshs_variations_are_still_the_english_morphologys():
    """The words a Variations query searches, with the engine's stand-in for Whoosh's English
    morphology and without it (a process that never imports the engine)."""
    words = ["render", "decompress", "study", "physical", "walking"]
    engine = (
        "import json, sys, imr_search.engine.query\n"
        "from whoosh.query.terms import variations  # what Variations calls\n"
        "assert 'whoosh.lang.morph_en' not in sys.modules\n"
        "print(json.dumps([sorted(variations(w)) for w in sys.argv[1:]]))\n"
        "import whoosh.lang.morph_en\n"
        "print(whoosh.lang.morph_en.__file__)\n"
    )
    plain = (
        "import json, sys\n"
        "from whoosh.lang.morph_en import variations\n"
        "print(json.dumps([sorted(variations(w)) for w in sys.argv[1:]]))\n"
    )
    with_stand_in, file = subprocess.run(
        [sys.executable, "-c", engine, *words], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    without = subprocess.run(
        [sys.executable, "-c", plain, *words], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(with_stand_in) == json.loads(without)
    assert all(len(found) > 3 for found in json.loads(without))
    assert Path(file).name == "morph_en.py"


def test_a_query_as_a_table_imports_rich_but_no_parser_or_indexer(index_dir):
    modules = imported("query", "flexeril", "--index", str(index_dir))
    assert packages(modules) >= TERMINAL
    assert not modules & READING


@pytest.mark.skipif(
    (os.cpu_count() or 1) < 2 or not Path("/proc/self/task").is_dir(),
    reason="numpy starts no BLAS threads on one core; threads are counted in /proc",
)
def test_a_query_starts_no_blas_threads_and_a_users_setting_stands(index_dir):
    """numpy's BLAS would start a thread per core as it is imported (nothing here multiplies
    matrices); the threads the command's process holds after a search are counted."""
    count = (
        "import atexit, os\n"
        "atexit.register(lambda: print(len(os.listdir('/proc/self/task')), file=sys.stderr))"
    )
    args = ["query", "flexeril", "--index", str(index_dir), "--format", "json"]

    def threads(**environment: str) -> int:
        return int(run_console(count, *args, **environment).stderr.splitlines()[-1])

    assert threads() == 1
    assert threads(OPENBLAS_NUM_THREADS="2") == 2
