"""A document's postings, as the schema's fields give them, in fewer steps.

Whoosh analyses a text through a chain of generators, one call per token per stage, then
encodes each term's positions; a letter's summary passes through it once for each of its
items. Here a text is tokenized by one regular expression and each distinct word's indexed
forms are looked up once (the writer keeps a text's postings while they recur). The result
is the same as `field.index(value)` term for term (tests/test_postings.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from whoosh.lang.porter import stem

from .schema import PARAGRAPH, SENTENCE, encoded_positions
from .sentences import boundaries
from .words import WORDS, parts_of


@dataclass(frozen=True, slots=True)
class Postings:
    """A document's postings in one field, as columns: for each distinct term, what
    Whoosh's `field.index` gives (term, frequency, weight, value)."""

    terms: list[bytes]
    frequencies: list[int]
    weights: list[float]
    values: list[bytes]

    @classmethod
    def of(cls, postings) -> Postings:
        """From (term, frequency, weight, value) tuples."""
        columns = list(zip(*postings, strict=True))
        return cls(*map(list, columns)) if columns else EMPTY

    def __len__(self) -> int:
        return len(self.terms)


EMPTY = Postings([], [], [], [])


@lru_cache(maxsize=200_000)  # a corpus repeats its words
def indexed_terms(word: str) -> tuple[str, ...]:
    """The terms the prose analyzer puts at a word's position: the word lower-cased and
    stemmed, then each of its parts stemmed (repeats kept, as the analyzer yields them)."""
    lowered = word.lower()
    return tuple(stem(form) for form in (lowered, *parts_of(lowered)))


def prose_postings(text: str) -> Postings:
    """What a prose field (`schema.prose_field`) indexes."""
    positions: dict[str, list[int]] = {}
    for position, word in enumerate(WORDS.findall(text)):
        for term in indexed_terms(word):
            held = positions.get(term)
            if held is None:
                positions[term] = [position]
            else:
                held.append(position)
    frequencies = [len(held) for held in positions.values()]
    return Postings(
        [term.encode("utf-8") for term in positions],
        frequencies,
        [float(frequency) for frequency in frequencies],
        [encoded_positions(held) for held in positions.values()],
    )


def marks_postings(text: str) -> Postings:
    """What a prose field's marks field (`schema.marks_field`) indexes for `text`."""
    sentences, paragraphs = boundaries(text)
    held = [(SENTENCE, sentences), (PARAGRAPH, paragraphs)] if sentences else []
    return Postings(
        [mark.encode("ascii") for mark, _ in held],
        [len(starts) for _, starts in held],
        [float(len(starts)) for _, starts in held],
        [encoded_positions(starts) for _, starts in held],
    )
