"""A document's postings, as the schema's fields give them, in fewer steps.

Whoosh analyses a text through a chain of generators, one call per token per stage, then
encodes each term's positions; an item's rationale, guideline and summary pass through it
twice (as words with positions and as shingles) and a letter's summary once for each of its
items. Here a text is tokenized by one regular expression and each distinct word's indexed
forms are looked up once (the writer keeps a text's postings while they recur). The result
is the same as `field.index(value)` term for term (tests/test_postings.py).
"""

from __future__ import annotations

import pickle
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

from whoosh.lang.porter import stem
from whoosh.system import pack_uint

from .schema import TEXT_BREAK, TOKEN, parts_of, shingles, word_forms

WORDS = re.compile(TOKEN)


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


def encoded_positions(positions: list[int]) -> bytes:
    """Whoosh's `Positions.encode`: the count, then the pickled gaps between positions."""
    if len(positions) == 1:
        return one_position(positions[0])
    gaps = [positions[0], *(b - a for a, b in zip(positions, positions[1:], strict=False))]
    return pack_uint(len(gaps)) + pickle.dumps(gaps, 2)


@lru_cache(maxsize=4096)
def one_position(position: int) -> bytes:
    return pack_uint(1) + pickle.dumps([position], 2)


def prose_postings(text: str) -> Postings:
    """What a prose field (`schema.prose_analyzer`, Whoosh's Positions format) indexes."""
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


def shingles_of(text: str) -> list[str]:
    """The shingles of a text holding no text break (`schema.ShinglesFilter`)."""
    return shingles([word_forms(word.lower()) for word in WORDS.findall(text)])


def shingles_postings(value: str, shingles_of_text) -> Postings:
    """What the shingles field (Whoosh's Frequency format) indexes: the shingles of each text
    between text breaks, counted together. `shingles_of_text` is `shingles_of`, perhaps
    cached: a letter's summary is in the shingles of each of its items."""
    counts = Counter(chain.from_iterable(map(shingles_of_text, value.split(TEXT_BREAK))))
    frequencies = list(counts.values())
    return Postings(
        [term.encode("utf-8") for term in counts],
        frequencies,
        [float(count) for count in frequencies],
        [pack_uint(count) for count in frequencies],
    )
