import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
CORPUS = ROOT / "corpus"
# The installed console script, for tests that run the real command in a new process, and
# the environment to run it in: its output held in Python's buffers until flushed, as it is
# by default (the tests' own environment may say otherwise).
COMMAND = str(Path(sys.executable).with_name("imr-search"))
BUFFERED = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


def run_console(before: str, *args: str, **environment: str) -> subprocess.CompletedProcess:
    """The console script's `main` in a new process, given `args`, after the code `before`
    (an exit handler that reports what the process held, say), in BUFFERED with
    `environment` set."""
    code = f"import sys; sys.argv = ['imr-search', *sys.argv[1:]]\n{before}\n"
    code += "from imr_search.console import main\nmain()\n"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**BUFFERED, **environment},
    )


def truth_rows() -> list[dict]:
    with open(GOLDEN / "truth.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory) -> Path:
    """A real index of the sample corpus, built once and only read by the tests given it."""
    from imr_search.indexer import index_paths

    folder = tmp_path_factory.mktemp("corpus-index") / "ix"
    index_paths([CORPUS], folder, jobs=2)
    return folder


@pytest.fixture(scope="session")
def letters():
    """The sample corpus's letters, parsed afresh: input for tests that write an index
    themselves. Not a source of expected answers, which come from tests/oracles.py."""
    from imr_search.letters.files import find_letter_files, read_letter

    return [read_letter(path) for path in find_letter_files([CORPUS])]


def whoosh_index(index_dir: Path):
    """The Whoosh index of an index folder's live store, for tests that ask Whoosh itself."""
    from whoosh.index import open_dir

    from imr_search.engine.store import INDEX_NAME, live_store

    return open_dir(str(live_store(index_dir)), indexname=INDEX_NAME)


def export_rows(text: str) -> list[dict]:
    """A CSV export's rows, after the "#" lines that open it (how it was obtained)."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return list(csv.DictReader(lines))


# What differs from one index and one run to the next in a summary's provenance, as the
# README's examples show it.
README_STORE, README_TIME = "store-5083d5e480a5", "2026-12-03T19:21:08+00:00"


def as_in_readme(text: str) -> str:
    """Output with this index's store and this run's time as the README shows them."""
    text = re.sub(r"store-[0-9a-f]{12}", README_STORE, text)
    return re.sub(r'"searched_at": "[^"]+"', f'"searched_at": "{README_TIME}"', text)


def timeless(value):
    """A JSON value without its provenance's time: two answers a second apart agree."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items() if k != "searched_at"}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value
