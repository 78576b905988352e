"""A command imports only what it uses: `--help` no engine, a JSON query no terminal
tables, PDF library, parser or indexer. What each command really imports is read from a
new process running it, so that an import slipped back to the top of a module shows."""

import json
import subprocess
import sys

import pytest

RUN = (
    "import json, sys; sys.argv = ['imr-search', *sys.argv[1:]]\n"
    "from imr_search.console import main\n"
    "try:\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
)


def imported(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, check=False
    )
    return set(json.loads(done.stderr.splitlines()[-1]))


def packages(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


ENGINE = {"numpy", "whoosh"}
TERMINAL = {"rich"}
READING = {
    "pypdfium2",
    "imr_search.letters.parse",
    "imr_search.letters.enrich",
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


def test_a_query_as_a_table_imports_rich_but_no_parser_or_indexer(index_dir):
    modules = imported("query", "flexeril", "--index", str(index_dir))
    assert packages(modules) >= TERMINAL
    assert not modules & READING
