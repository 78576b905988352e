"""A query that matches nothing suggests the words it may have meant: from the letters'
own words and the drug names, each expected word found here in the letters' text."""

import json
import re

import pytest
from typer.testing import CliRunner

from imr_search.cli import app
from imr_search.search import search

from .oracles import raw_item, truth_items


def item_words() -> set[str]:
    """Every word of the items' own text (heading, citations, rationale), lower-cased."""
    words = set()
    for item in truth_items():
        raw = raw_item(item)
        for text in (item.item, raw.claims_guideline, raw.maximus_guideline, raw.rationale):
            words |= {word.lower() for word in re.findall(r"[A-Za-z]+", text)}
    return words


def misspelled(word: str) -> str:
    """The word with its two middle letters swapped and a letter doubled."""
    middle = len(word) // 2
    return word[: middle - 1] + word[middle] + word[middle - 1] + word[middle:]


WORDS = ["radiculopathy", "cyclobenzaprine", "acupuncture", "exacerbation", "gabapentin"]


@pytest.mark.parametrize("word", WORDS)
def test_a_misspelled_word_suggests_the_word(index_dir, word):
    known = item_words()
    assert word in known
    typo = misspelled(word)
    assert typo not in known and typo != word
    result = search(index_dir, typo)
    assert result.total == 0
    # the letters' forms of the word: the word itself, or it with another ending
    forms = {form for form in known if form[: len(word) - 3] == word[: len(word) - 3]}
    assert set(result.suggestions) & forms, (typo, result.suggestions)


def test_a_misspelled_drug_suggests_its_names_from_the_drug_table(index_dir):
    result = search(index_dir, "norcco AND mri")
    assert result.total == 0
    assert "norco" in result.suggestions


def test_no_suggestions_where_something_matched_or_nothing_is_near(index_dir):
    assert search(index_dir, "radiculopathy").suggestions == ()
    assert search(index_dir, "qqqqqqqq").suggestions == ()


def test_suggestions_on_stderr_and_in_the_json_summary(index_dir):
    typo = misspelled("radiculopathy")
    out = CliRunner().invoke(app, ["query", typo, "--index", str(index_dir), "-f", "json"])
    assert out.exit_code == 1
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["total"] == 0 and "radiculopathy" in summary["suggestions"]
    assert "did you mean radiculopathy" in out.stderr


def test_stats_with_nothing_matching_suggests_too(index_dir):
    typo = misspelled("radiculopathy")
    args = ["stats", typo, "--by", "year", "--index", str(index_dir)]
    out = CliRunner().invoke(app, [*args, "-f", "json"])
    assert out.exit_code == 1
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["items"] == 0 and "radiculopathy" in summary["suggestions"]
    assert "did you mean radiculopathy" in out.stderr
    found = CliRunner().invoke(
        app, ["stats", "radiculopathy", "--by", "year", "--index", str(index_dir), "-f", "json"]
    )
    assert found.exit_code == 0 and "suggestions" not in json.loads(found.stdout.splitlines()[-1])


def test_a_connectors_letters_are_no_word_to_correct(index_dir):
    result = search(index_dir, "cyclobenzeprine pre/2 pain")
    assert result.total == 0
    assert "prn" not in result.suggestions and "cyclobenzaprine" in result.suggestions
