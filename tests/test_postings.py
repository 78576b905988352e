"""postings.py gives, term for term, what Whoosh's analyzers and formats give for the
schema's text fields: the same terms, frequencies, weights and encoded positions; and the
schema's positions format reads as Whoosh's own."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.formats import Positions

from imr_search.engine.postings import prose_postings
from imr_search.engine.schema import build_schema, prose_analyzer
from imr_search.fields import FIELDS, Kind

SCHEMA = build_schema()


def whoosh_postings(fieldname: str, text: str) -> list:
    return sorted(SCHEMA[fieldname].index(text))


def ours(text: str) -> list:
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
]


@pytest.mark.parametrize("text", CASES)
@pytest.mark.parametrize(
    "fieldname", [f.name for f in FIELDS if f.kind is Kind.PROSE and not f.either]
)
def test_same_postings_as_whoosh(fieldname, text):
    assert ours(text) == whoosh_postings(fieldname, text)


WORD = st.text(alphabet="abcAB-/.#%|é1 ", min_size=1, max_size=9)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORD, max_size=30).map(" ".join))
def test_same_postings_as_whoosh_for_any_text(text):
    assert ours(text) == whoosh_postings("rationale", text)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORD, max_size=30).map(" ".join))
def test_positions_read_as_whoosh_reads_its_own(text):
    """Each term's count, weight and positions, as Whoosh's own Positions format gives them."""

    def read(format):
        return {
            term: (
                format.decode_frequency(value),
                format.decode_weight(value),
                format.decode_positions(value),
            )
            for term, _, _, value in format.word_values(text, prose_analyzer())
        }

    assert read(SCHEMA["rationale"].format) == read(Positions())
