import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
CORPUS = ROOT / "corpus"


def truth_rows() -> list[dict]:
    with open(GOLDEN / "truth.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture
def corpus_dir() -> Path:
    return CORPUS
