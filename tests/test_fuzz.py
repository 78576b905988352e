"""No input, however broken, makes the parser raise."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imr_search.letters.enrich import enrich_letter
from imr_search.letters.parse import parse_letter

from .conftest import GOLDEN

LETTERS = [p.read_text(encoding="utf-8") for p in sorted(GOLDEN.glob("*/*.txt"))]
MARKERS = [
    "Upheld",
    "Overturned",
    ":",
    "\f",
    "\n",
    "Case Number:",
    "Application",
    "was the original request.",
    "IMR eligible",
    "Decision rationale:",
    "CLINICAL CASE SUMMARY",
    "IMR ISSUES, DECISIONS AND RATIONALES",
    "Claims Administrator guideline:",
    "Board Certified in",
    "\x02",
    "-\n",
]


@st.composite
def mutated_letters(draw):
    text = draw(st.sampled_from(LETTERS))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["cut", "delete", "insert", "truncate"]))
        if action == "cut":
            end = draw(st.integers(at, min(len(text), at + 400)))
            text = text[:at] + text[end:]
        elif action == "delete":
            text = text[:at] + text[at + 1 :]
        elif action == "insert":
            piece = draw(st.one_of(st.sampled_from(MARKERS), st.text(max_size=20)))
            text = text[:at] + piece + text[at:]
        else:
            text = text[:at]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_letters())
def test_mutated_letters_never_raise(text):
    letter = enrich_letter(parse_letter(text, "fuzz.txt"))
    for item in letter.items:
        assert item.outcome in ("Upheld", "Overturned")
        assert item.position >= 1
    letter.to_dict()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=3000))
def test_random_text_never_raises(text):
    enrich_letter(parse_letter(text, "random.txt")).to_dict()
