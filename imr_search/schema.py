"""The index schema, in one place: one Whoosh document per disputed item.

Each document carries its letter's fields too, so that `"acute exacerbation" AND
outcome:Upheld` is about one item's rationale and that same item's outcome.
"""

from __future__ import annotations

import re
from functools import lru_cache

from whoosh.analysis import (
    CommaSeparatedTokenizer,
    Filter,
    IDTokenizer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
)
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.lang.porter import stem

# Bump when documents or analyzers change in a way an old index cannot serve.
SCHEMA_VERSION = 3

# Words with joiners stay whole, as users type them: "L4-L5", "C5-C6", "10/325", "#60",
# "EMG/NCV", "0.025%".
TOKEN = r"#?\w+(?:[-/.]\w+)*%?"


JOINERS = re.compile(r"[-/.#%]+")


@lru_cache(maxsize=100_000)  # asked of every word indexed; a corpus repeats its words
def parts_of(word: str) -> tuple[str, ...]:
    """The parts of a joined word ("l4-l5" -> "l4", "l5"; "#60" -> "60"), none for others."""
    parts = tuple(part for part in JOINERS.split(word) if part)
    return parts if len(parts) > 1 or (parts and parts[0] != word) else ()


class PartsFilter(Filter):
    """Also index the parts of a joined token at its position, so that `L4` finds "L4-L5"
    and `emg` finds "EMG/NCV"."""

    def __call__(self, tokens):
        for token in tokens:
            whole = token.text  # before later filters (the stemmer) change the token
            yield token
            if token.mode == "query":  # the whole token finds its own parts
                continue
            for part in parts_of(whole):
                token.text = part
                yield token
            token.text = whole


def prose_analyzer():
    """Stemmed, lower-cased, stop words kept: "not medically necessary" keeps its "not"."""
    return RegexTokenizer(TOKEN) | LowercaseFilter() | PartsFilter() | StemFilter()


class ShinglesFilter(Filter):
    """Each run of two and of three neighbouring words as one term ("acut exacerb", "not
    medic necessari"), so that a phrase of two or three words is one posting list instead
    of several lists and a check of positions. A joined word stands for itself or any of
    its parts, as in the positional index ("necessary.Because" gives "medic necessari" and
    "medic necessary.becaus"). A `|` token separates texts; no shingle crosses it."""

    def __call__(self, tokens):
        run: list[tuple[str, ...]] = []  # the forms of the words since the last text break
        for token in tokens:
            if token.text != TEXT_BREAK:
                run.append(word_forms(token.text))
                continue
            yield from shingle_tokens(token, run)
            run = []
        if run:
            yield from shingle_tokens(token, run)


def shingle_tokens(token, run: list[tuple[str, ...]]):
    for text in shingles(run):
        token.text = text
        yield token


def shingles(run: list[tuple[str, ...]]) -> list[str]:
    """The two- and three-word shingles of a run of words, given as their forms, each as
    often as it occurs."""
    pairs = [
        [f"{a} {b}" for a in first for b in second]
        for first, second in zip(run, run[1:], strict=False)
    ]
    triples = [
        f"{pair} {c}"
        for held, third in zip(pairs, run[2:], strict=False)
        for pair in held
        for c in third
    ]
    return [pair for held in pairs for pair in held] + triples


@lru_cache(maxsize=100_000)  # a corpus repeats its words; the stemmer is pure Python
def word_forms(word: str) -> tuple[str, ...]:
    """A lower-cased word as the prose analyzer indexes it: stemmed, whole and by parts."""
    return tuple(dict.fromkeys(stem(form) for form in [word, *parts_of(word)]))


TEXT_BREAK = "|"
SHINGLE_WORDS = (2, 3)


def shingles_analyzer():
    return RegexTokenizer(TOKEN + r"|\|") | LowercaseFilter() | ShinglesFilter()


def facet_value(value: str) -> str:
    """One spelling for one value: "Physical Medicine and Rehabilitation" and
    "Physical Medicine & Rehabilitation" count as one."""
    value = re.sub(r"\s+", " ", value.replace("&", " and ")).strip(" ,;.")
    return value.lower()


class FacetValueFilter(Filter):
    """`facet_value` on each token, at indexing and at query time alike."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = facet_value(token.text)
            yield token


def facet_field() -> KEYWORD:
    """A comma-separated list of values, stored as written, indexed as `facet_value`s."""
    field = KEYWORD(stored=True, commas=True, scorable=False)
    field.analyzer = CommaSeparatedTokenizer() | FacetValueFilter()
    return field


# The fields `--facet` counts and `stats --by` groups by.
FACETS = (
    "outcome",
    "specialty",
    "license_state",
    "category",
    "drug",
    "drug_class",
    "guideline_source",
    "year",
    "sex",
)
# Fields queried when a query names none; `prose_analyzer` analyses them (and the shingles
# field again).
DEFAULT_FIELDS = ("item", "rationale", "summary", "guideline")
DATE_FIELDS = (
    "decision_date",
    "date_assigned",
    "injury_date",
    "ur_denial_date",
    "application_received",
)


# Whoosh indexes a number once per precision step for fast ranges; letters need day and
# year precision only, so coarse steps index a quarter of the terms at no cost to ranges
# users ask for. (Fields without a lengths column are slow to write in Whoosh: each of
# their postings asks the storage whether the column file exists.)
def date_field(stored: bool = True, sortable: bool = False) -> DATETIME:
    field = DATETIME(stored=stored, sortable=sortable)
    field.shift_step = 16
    return field


def build_schema() -> Schema:
    prose = prose_analyzer()
    return Schema(
        doc_id=ID(unique=True, stored=True),
        letter_key=ID(stored=True, sortable=True),
        case=ID(stored=True, sortable=True, analyzer=IDTokenizer() | LowercaseFilter()),
        item_no=NUMERIC(stored=True, sortable=True, shift_step=16),
        item=TEXT(analyzer=prose, stored=True),
        outcome=KEYWORD(stored=True, lowercase=True, sortable=True, scorable=False),
        specialty=facet_field(),
        license_state=facet_field(),
        category=facet_field(),
        drug=facet_field(),
        drug_class=facet_field(),
        guideline_source=facet_field(),
        guideline=TEXT(analyzer=prose, stored=True),
        rationale=TEXT(analyzer=prose, stored=True),
        summary=TEXT(analyzer=prose, stored=True),
        # The item, rationale, guideline and summary again as shingles, for phrases.
        shingles=TEXT(analyzer=shingles_analyzer(), phrase=False),
        decision_date=date_field(sortable=True),
        date_assigned=date_field(),
        injury_date=date_field(),
        ur_denial_date=date_field(),
        application_received=date_field(),
        year=NUMERIC(stored=True, sortable=True, shift_step=16),
        age=NUMERIC(stored=True, shift_step=16),
        sex=KEYWORD(stored=True, lowercase=True, scorable=False),
        path=STORED(),
    )
