"""postings.py gives, term for term, what Whoosh's analyzers and formats give for the
schema's text fields: the same terms, frequencies, weights and encoded positions."""

from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imr_search.postings import prose_postings, shingles_of, shingles_postings
from imr_search.schema import DEFAULT_FIELDS, TEXT_BREAK, build_schema

SCHEMA = build_schema()


def whoosh_postings(fieldname: str, text: str) -> list:
    return sorted(SCHEMA[fieldname].index(text))


def ours(fieldname: str, text: str) -> list:
    if fieldname == "shingles":
        postings = shingles_postings(text, lru_cache(maxsize=8)(shingles_of))
    else:
        postings = prose_postings(text)
    columns = (postings.terms, postings.frequencies, postings.weights, postings.values)
    return sorted(zip(*columns, strict=True))


CASES = [
    "",
    "Flexeril 10mg #60 is not medically necessary.",
    "MRI of the L4-L5 and L5-S1 levels; EMG/NCV of the upper extremities",
    "Norco 10/325 #90, 0.025% capsaicin, x-x y-y-y, a.b.c",
    "not medically necessary not medically necessary not medically",
    "Patient patient PATIENT pain, pain-free; pain/pain",
    "Ünïcode wörds ÀND Straße, naïve café",
    "left | right || middle | | end",
    f" {TEXT_BREAK} ".join(["item one", "rationale two words", "", "summary three"]),
]


@pytest.mark.parametrize("text", CASES)
@pytest.mark.parametrize("fieldname", [*DEFAULT_FIELDS, "shingles"])
def test_same_postings_as_whoosh(fieldname, text):
    assert ours(fieldname, text) == whoosh_postings(fieldname, text)


WORD = st.text(alphabet="abcAB-/.#%|é1 ", min_size=1, max_size=9)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORD, max_size=30).map(" ".join))
@pytest.mark.parametrize("fieldname", ["rationale", "shingles"])
def test_same_postings_as_whoosh_for_any_text(fieldname, text):
    assert ours(fieldname, text) == whoosh_postings(fieldname, text)


def test_a_repeated_text_is_analysed_once():
    shingles = lru_cache(maxsize=8)(shingles_of)
    summary = "chronic low back pain with radiculopathy"
    for item in ("Flexeril", "Norco", "MRI"):
        shingles_postings(f"{item} {TEXT_BREAK} {summary}", shingles)
    assert shingles.cache_info().misses == 4  # three items, one summary
