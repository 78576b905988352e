"""The index schema, in one place: one Whoosh document per disputed item.

Each document carries its letter's fields too, so that `"acute exacerbation" AND
outcome:Upheld` is about one item's rationale and that same item's outcome.
"""

from __future__ import annotations

import re
import struct

import numpy as np
from whoosh.analysis import (
    STOP_WORDS,
    CommaSeparatedTokenizer,
    Filter,
    IDTokenizer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    Token,
    Tokenizer,
)
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Positions

from ..fields import INDEXED, Field, Kind
from .sentences import boundaries
from .words import TOKEN, parts_of

# Bump when documents or analyzers change in a way an old index cannot serve.
SCHEMA_VERSION = 6


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


class PositionArray(Positions):
    """Whoosh's Positions format with each posting's positions as an array of
    little-endian 32-bit integers rather than a pickled list of gaps: a phrase decodes the
    positions of thousands of postings as one numpy array (ranking.py), and writing them is
    a copy. Its count and weight are the array's length; Whoosh's phrase and span queries
    read it through `decode_positions` as they read their own."""

    def encode(self, poslist) -> bytes:
        return encoded_positions(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return decoded_positions(valuestring).tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // POSITION_DTYPE.itemsize

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost


POSITION_DTYPE = np.dtype("<u4")


def encoded_positions(positions: list[int]) -> bytes:
    return struct.pack(f"<{len(positions)}I", *positions)


def decoded_positions(valuestring: bytes) -> np.ndarray:
    return np.frombuffer(valuestring, dtype=POSITION_DTYPE)


def positions_of(values) -> tuple[np.ndarray, np.ndarray]:
    """The positions held in a sequence of posting values, as one array, and how many
    each value holds."""
    counts = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    return decoded_positions(b"".join(values)), counts // POSITION_DTYPE.itemsize


def prose_field() -> TEXT:
    """A text field of prose: `prose_analyzer`, stored, positions as `PositionArray`."""
    field = TEXT(analyzer=prose_analyzer(), stored=True)
    field.format = PositionArray(field_boost=field.format.field_boost)
    return field


# Each prose field has a field of marks beside it, never searched itself: a term at the first
# word of each sentence and one at the first word of each paragraph, at the positions its
# words have there. Deleted, merged and counted with the document like any other postings.
MARKED = tuple(field.name for field in INDEXED if field.kind is Kind.PROSE)
SENTENCE, PARAGRAPH = "s", "p"


def marks_name(name: str) -> str:
    """The field that holds the sentence and paragraph marks of the prose field `name`."""
    return f"{name}_marks"


MARKS_OF = {marks_name(name): name for name in MARKED}  # marks field -> its prose field


def with_marks(document: dict) -> dict:
    """A document with the marks of each of its prose texts (the texts themselves)."""
    for name in MARKED:
        if document.get(name):
            document[marks_name(name)] = document[name]
    return document


class MarksTokenizer(Tokenizer):
    """The marks of a text (sentences.py) as tokens: SENTENCE at the position of the first
    word of each sentence, PARAGRAPH at that of each paragraph."""

    def __call__(self, value, positions=False, start_pos=0, mode="", **kwargs):
        if mode == "query":
            return
        token = Token(positions, mode=mode, **kwargs)
        sentences, paragraphs = boundaries(value)
        for text, starts in ((SENTENCE, sentences), (PARAGRAPH, paragraphs)):
            for position in starts:
                token.text, token.boost, token.stopped = text, 1.0, False
                token.pos = start_pos + position
                yield token


def marks_field() -> TEXT:
    field = TEXT(analyzer=MarksTokenizer())
    field.format = PositionArray()
    field.scorable = False
    return field


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


# Whoosh indexes a number once per precision step, for ranges over fewer terms. Ranges on
# dates and on the year and age are read from the value tables (facets.RANGE_FIELDS), so
# numbers are indexed once, at full precision (`shift_step=0`): a quarter of the terms of
# a date. Whoosh's own range queries still read them, a term at a time.
def date_field(sortable: bool = False) -> DATETIME:
    field = DATETIME(stored=True, sortable=sortable)
    field.shift_step = 0
    return field


def whoosh_field(field: Field):
    """The Whoosh field for a field of the table, by its kind."""
    kind = field.kind
    if kind is Kind.PROSE:
        return prose_field()
    if kind is Kind.VALUES:
        return facet_field()
    if kind is Kind.KEYWORD:
        return KEYWORD(stored=True, lowercase=True, sortable=field.sortable, scorable=False)
    if kind is Kind.ID:
        if field.exact:
            return ID(stored=True, sortable=field.sortable)
        return ID(stored=True, sortable=field.sortable, analyzer=IDTokenizer() | LowercaseFilter())
    if kind is Kind.NUMBER:
        return NUMERIC(stored=True, sortable=field.sortable, shift_step=0)
    if kind is Kind.DATE:
        return date_field(sortable=field.sortable)
    return STORED()


def build_schema() -> Schema:
    fields = {field.name: whoosh_field(field) for field in INDEXED}
    return Schema(**fields, **{marks_name(name): marks_field() for name in MARKED})


# English words too common to tell texts apart (Whoosh's list), for `similar`.
COMMON_WORDS = STOP_WORDS


def prose_terms(text: str) -> list[str]:
    """The terms a prose field's query would look up for `text`: lower-cased and stemmed."""
    return [token.text for token in prose_analyzer()(text, mode="query")]
