"""Terms and connectors: two sides within n words, in one sentence or in one paragraph of
the same field, a word's count, and a word as written (Westlaw's `#word`), matched over
arrays of positions.

A side is a word (`#word` as written), a pattern, a phrase, alternatives joined by OR, or
a connector itself. Its occurrences in a set of documents are spans: the key of the position
of its first word and of its last (the document's place in the set, shifted, plus the
position), in order of their starts. A connector's own occurrences, as the side of another,
are those of its two sides' occurrences that met it; an occurrence never meets itself. Both
sides are matched within one field of one item, and where bare words search several fields,
the connector holds when it holds in any of them.

Sentences and paragraphs are those marked at indexing (sentences.py, schema.marks_field):
an occurrence is in the sentence whose first word is the last mark at or before its start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from whoosh import query as wq

from .answers import in_order
from .documents import LETTER_FIELDS, with_letter_fields
from .ranking import (
    PATTERNS,
    POSITION_BITS,
    ArrayQuery,
    Matches,
    Segment,
    phrase_runs,
    places_and_positions,
)
from .schema import MARKED, PARAGRAPH, SENTENCE, marks_name
from .words import JOINERS, WORDS, parts_of

WORD, SENTENCES, PARAGRAPHS = "word", "sentence", "paragraph"
POSITION_MASK = (1 << POSITION_BITS) - 1
MARK_OF_UNIT = {SENTENCES: SENTENCE, PARAGRAPHS: PARAGRAPH}


@dataclass(frozen=True)
class Connector:
    """What a connector asks, and how the user spelled it."""

    # As written: "/s", "w/5", "+3", "pre/2", "not w/5". Not in the repr, which names what
    # it asks (a kept test's name: ranking.described).
    spelling: str = field(repr=False)
    unit: str  # WORD, SENTENCES or PARAGRAPHS
    distance: int = 0  # words, for WORD
    ordered: bool = False  # the left side first
    apart: bool = False  # Lexis `not w/n`: the left side where the right is not near


@dataclass(frozen=True)
class Spans:
    """Occurrences in a set of documents: start and end keys, in order of starts (then of
    ends), each once."""

    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def empty(cls) -> Spans:
        nothing = np.zeros(0, dtype=np.int64)
        return cls(nothing, nothing)

    @classmethod
    def joined(cls, parts: list[Spans]) -> Spans:
        """The spans of all `parts`, each once (alternatives may name the same words), in
        order of starts, then of ends."""
        if len(parts) < 2:
            return parts[0] if parts else cls.empty()
        starts = np.concatenate([part.starts for part in parts])
        ends = np.concatenate([part.ends for part in parts])
        order = np.lexsort((ends, starts))
        starts, ends = starts[order], ends[order]
        first = np.ones(len(starts), dtype=bool)  # of its start and end
        first[1:] = (starts[1:] != starts[:-1]) | (ends[1:] != ends[:-1])
        return cls(starts[first], ends[first])

    def __len__(self) -> int:
        return len(self.starts)

    def kept(self, mask: np.ndarray) -> Spans:
        return Spans(self.starts[mask], self.ends[mask])

    @property
    def places(self) -> np.ndarray:
        return self.starts >> POSITION_BITS


class Near(ArrayQuery):
    """Its two subqueries joined by a connector (its setting)."""

    @property
    def connector(self) -> Connector:
        return self.setting

    def __str__(self):
        left, right = self.subqueries
        return f"({left} {self.connector.spelling} {right})"

    __unicode__ = __str__

    def matches_in(self, segment: Segment) -> Matches:
        left, right = self.subqueries
        found = []
        for name in shared_fields(self):
            one_left, one_right = on_field(left, name), on_field(right, name)
            candidates = segment.matches(one_left)
            if not self.connector.apart:
                candidates = candidates.both(segment.matches(one_right))
            if not len(candidates.docs):
                continue

            def meets(docs, left=one_left, right=one_right, name=name):
                met = np.zeros(len(docs), dtype=bool)
                met[self.spans_on(segment, name, docs, left, right).places] = True
                return met

            one = Near([one_left, one_right], self.connector)
            found.append(candidates.only(segment.passes(one, candidates.docs, meets)))
        return Matches.union(found).boosted(self.boost) if found else Matches.empty()

    def spans_on(self, segment, name: str, docs, left, right) -> Spans:
        """The occurrences of the sides in `docs` that meet the connector (of the left side
        that does not, for `apart`), the sides on the field `name`."""
        connector = self.connector
        mine, theirs = spans_of(segment, left, name, docs), spans_of(segment, right, name, docs)
        if connector.unit == WORD:
            if connector.ordered:
                left_met = starts_after(mine, theirs, connector.distance)
                right_met = ends_before(mine, theirs, connector.distance)
            else:
                left_met = near_others(theirs, mine, connector.distance)
                right_met = near_others(mine, theirs, connector.distance)
        else:
            marks = mark_keys(segment, name, MARK_OF_UNIT[connector.unit], docs)
            left_met, right_met = same_unit(mine, theirs, marks, connector.ordered)
        if connector.apart:
            return mine.kept(~left_met)
        return Spans.joined([mine.kept(left_met), theirs.kept(right_met)])


class ExactWord(ArrayQuery):
    """Westlaw's `#word`: the word as written (its setting, lower-cased), not its other
    forms nor a drug's other names. Its subquery is the word's stem, whose positions are
    read; an occurrence counts where the stored text has the form there (or, in a joined
    word like "knees/hips", as one of its parts), and scores as the stem does."""

    probes = True  # reads stored text: inside an AND, among what the rest matched

    @property
    def form(self) -> str:
        return self.setting

    def __str__(self):
        boost = f"^{self.boost}" if self.boost != 1 else ""
        return f"{self.subqueries[0].fieldname}:#{self.form}{boost}"

    __unicode__ = __str__

    def matches_in(self, segment: Segment) -> Matches:
        return self.matches_among(segment, None)

    def matches_among(self, segment: Segment, within) -> Matches:
        (stem,) = self.subqueries
        found = segment.matches(stem)
        if within is not None:
            found = found.both(Matches(within, np.zeros(len(within))))
        written = segment.passes(self, found.docs, self.written_in(segment))
        return found.only(written).boosted(self.boost)

    def written_in(self, segment: Segment):
        """The test of documents holding the stem: whether each has the word as written."""
        (stem,) = self.subqueries
        if JOINERS.search(self.form):  # "l4-l5": never a part of "l4-l5-s1"; by positions

            def at_positions(docs):
                written = np.zeros(len(docs), dtype=bool)
                written[exact_keys(segment, stem, self.form, docs) >> POSITION_BITS] = True
                return written

            return at_positions
        # A word or a part of one is its stem's there too: a search of the text will do.
        pattern = re.compile(rf"(?<!\w){re.escape(self.form)}(?!\w)", re.IGNORECASE)

        def in_text(docs):
            texts = (stored_text(segment, doc, stem.fieldname) for doc in docs)
            return np.fromiter((bool(pattern.search(text)) for text in texts), bool, len(docs))

        return in_text


class AtLeast(ArrayQuery):
    """Lexis `atleastN(...)`: items whose own text holds the subquery N times (its setting)
    or more, its occurrences in all the fields it searches added up."""

    @property
    def count(self) -> int:
        return self.setting

    def __str__(self):
        return f"atleast{self.count}({self.subqueries[0]})"

    __unicode__ = __str__

    def matches_in(self, segment: Segment) -> Matches:
        (counted,) = self.subqueries
        found, docs, counts = [], [], []
        for name in sorted(fields_of(counted)):
            one = on_field(counted, name)
            held = segment.matches(one)
            if len(held.docs):
                found.append(held)
                spans = spans_of(segment, one, name, held.docs)
                docs.append(held.docs)
                counts.append(np.bincount(spans.places, minlength=len(held.docs)))
        if not found:
            return Matches.empty()
        every, where = np.unique(np.concatenate(docs), return_inverse=True)
        total = np.bincount(where, weights=np.concatenate(counts), minlength=len(every))
        enough = every[total >= self.count]
        matched = Matches.union(found)
        keep = np.isin(matched.docs, enough, assume_unique=True)
        return Matches(matched.docs[keep], matched.scores[keep]).boosted(self.boost)


# ---------------------------------------------------------------- sides on one field


def fields_of(q: wq.Query) -> set[str]:
    """The prose fields the leaves of a side search."""
    if isinstance(q, wq.CompoundQuery):
        return set().union(*map(fields_of, q.subqueries))
    name = getattr(q, "fieldname", None)
    return {name} if name in MARKED else set()


def shared_fields(near: Near) -> list[str]:
    """The fields where both sides can meet (where the left can be, for `apart`)."""
    left, right = near.subqueries
    if near.connector.apart:
        return sorted(fields_of(left))
    return sorted(fields_of(left) & fields_of(right))


def on_field(q: wq.Query, name: str) -> wq.Query:
    """The parts of a side that search the field `name` (NullQuery for none)."""
    if name not in fields_of(q):
        return wq.NullQuery
    if isinstance(q, Near):
        return Near([on_field(sub, name) for sub in q.subqueries], q.connector, q.boost)
    if type(q) is wq.Or:
        kept = [on_field(sub, name) for sub in q.subqueries if name in fields_of(sub)]
        return kept[0] if len(kept) == 1 else wq.Or(kept, boost=q.boost)
    return q


def spans_of(segment: Segment, q: wq.Query, name: str, docs: np.ndarray) -> Spans:
    """The occurrences of a side (on the field `name` alone) in `docs`."""
    if q is wq.NullQuery:
        return Spans.empty()
    if isinstance(q, Near):
        left, right = q.subqueries
        return q.spans_on(segment, name, docs, left, right)
    if type(q) is wq.Or:
        return Spans.joined([spans_of(segment, sub, name, docs) for sub in q.subqueries])
    if isinstance(q, wq.Term):
        keys = term_keys(segment, name, q.text, docs)
        return Spans(keys, keys)
    if isinstance(q, ExactWord):
        keys = exact_keys(segment, q.subqueries[0], q.form, docs)
        return Spans(keys, keys)
    if isinstance(q, PATTERNS):
        words = [word for word in q._btexts(segment.reader) if word]
        return Spans.joined([spans_of(segment, wq.Term(name, w), name, docs) for w in words])
    if isinstance(q, wq.Phrase):
        return phrase_spans(segment, q, name, docs)
    raise TypeError(f"not a side of a connector: {q!r}")  # query.py refuses these


def term_keys(segment: Segment, name: str, text, docs: np.ndarray) -> np.ndarray:
    """The keys of a term's positions in `docs`, in order."""
    field = segment.searcher.schema[name]
    try:
        encoded = field.to_bytes(text) if isinstance(text, str) else text
    except ValueError:
        return np.zeros(0, dtype=np.int64)
    if (name, encoded) not in segment.reader:
        return np.zeros(0, dtype=np.int64)
    held_docs, _, values = segment.postings(name, encoded, values=True, among=docs)
    rows = np.minimum(np.searchsorted(held_docs, docs), max(len(held_docs) - 1, 0))
    present = np.flatnonzero(held_docs[rows] == docs) if len(held_docs) else rows[:0]
    return places_and_positions(values[rows[present]], present.astype(np.int64))


def exact_keys(segment: Segment, stem: wq.Term, form: str, docs: np.ndarray) -> np.ndarray:
    """The keys of the positions in `docs` of the stem whose word in the stored text is
    `form`, or has it as a part."""
    keys = term_keys(segment, stem.fieldname, stem.text, docs)
    places = keys >> POSITION_BITS
    kept = np.zeros(len(keys), dtype=bool)
    bounds = np.flatnonzero(np.diff(places, prepend=-1)).tolist() + [len(keys)]
    for first, last in zip(bounds, bounds[1:], strict=False):
        words = WORDS.findall(stored_text(segment, int(docs[places[first]]), stem.fieldname))
        for at in range(first, last):
            word = words[int(keys[at] & POSITION_MASK)].lower()
            kept[at] = word == form or form in parts_of(word)
    return keys[kept]


def stored_text(segment: Segment, doc: int, name: str) -> str:
    """A document's stored text of the field `name`, as the segment's codec keeps it (not
    through the reader, which checks every stored field against the schema)."""
    read = segment.reader._perdoc.stored_fields
    fields = with_letter_fields(read, int(doc)) if name in LETTER_FIELDS else read(int(doc))
    return fields.get(name) or ""


def phrase_spans(segment: Segment, q: wq.Phrase, name: str, docs: np.ndarray) -> Spans:
    """Where runs of the phrase's words begin and end (ranking.phrase_runs)."""
    words = [term_keys(segment, name, word, docs) for word in q.words]
    starts, ends = phrase_runs(words, q.slop)
    order = np.argsort(starts, kind="stable")
    return Spans(starts[order], ends[order])


def mark_keys(segment: Segment, name: str, mark: str, docs: np.ndarray) -> np.ndarray:
    """The keys of the first words of the sentences (or paragraphs) of `docs` in the field
    `name`, in order."""
    return term_keys(segment, marks_name(name), mark.encode("ascii"), docs)


# ---------------------------------------------------------------- meeting


def document_start(keys: np.ndarray) -> np.ndarray:
    """The key of position 0 of each key's document."""
    return (keys >> POSITION_BITS) << POSITION_BITS


def is_one_of(these: Spans, those: Spans) -> np.ndarray:
    """For each of `these`: whether it is also one of `those` (the same words). Sides of
    different words share no start, which is found without comparing pairs."""
    found = in_order(these.starts, those.starts)
    if found.any():
        shared = np.isin(those.starts, these.starts[found])
        mine, theirs = pair_keys(these.kept(found), those.kept(shared))
        found[found] = np.isin(mine, theirs)
    return found


def pair_keys(these: Spans, those: Spans) -> tuple[np.ndarray, np.ndarray]:
    """One number for each span of `these` and `those` that is the same for the same start
    and end: the rank of its start among all, and its length."""
    starts = np.concatenate([these.starts, those.starts])
    lengths = np.concatenate([these.ends, those.ends]) - starts
    _, rank = np.unique(starts, return_inverse=True)
    keys = rank * (int(lengths.max()) + 1) + lengths
    return keys[: len(these)], keys[len(these) :]


def near_others(these: Spans, those: Spans, distance: int) -> np.ndarray:
    """For each of `those`: whether one of `these`, other than itself, is within `distance`
    words of it. An occurrence never meets itself: `pain /5 pain` asks for two."""
    met = within(these, those, distance)
    theirs_too = is_one_of(those, these)
    if theirs_too.any():  # of these, the others, and those that are both but itself
        shared = those.kept(theirs_too)
        others = these.kept(~is_one_of(these, those))
        met[theirs_too] = within(others, shared, distance) | near_another(shared, distance)
    return met


def near_another(spans: Spans, distance: int) -> np.ndarray:
    """For each of `spans`: whether another of them is within `distance` words of it."""
    met = np.zeros(len(spans), dtype=bool)
    lengths = spans.ends - spans.starts
    for length in np.unique(lengths):
        alike = lengths == length
        group = spans.kept(alike)
        # Of spans of one length in order, the nearest before and after a span are the
        # ones beside it; the gap between two in different documents is never small.
        close = group.starts[1:] - group.ends[:-1] <= distance
        found = within(spans.kept(~alike), group, distance)
        found[:-1] |= close
        found[1:] |= close
        met[alike] = found
    return met


def within(these: Spans, those: Spans, distance: int) -> np.ndarray:
    """For each of `those`: whether one of `these` in its document is within `distance`
    words of it (or overlaps it): starts at most `distance` after its end, and ends at most
    `distance` before its start."""
    if not len(these):
        return np.zeros(len(those), dtype=bool)
    # Of these, the ones starting early enough are a prefix; one of them ends late enough
    # when the latest end among them does (ends of documents before are smaller still).
    reach = np.searchsorted(these.starts, those.ends + distance, side="right")
    latest_end = np.maximum.accumulate(these.ends)
    earliest = np.maximum(those.starts - distance, document_start(those.starts))
    return (reach > 0) & (latest_end[np.maximum(reach - 1, 0)] >= earliest)


def ends_before(firsts: Spans, seconds: Spans, distance: int) -> np.ndarray:
    """For each of `seconds`: whether one of `firsts` ends 1 to `distance` words before
    it starts."""
    ends = np.sort(firsts.ends)
    earliest = np.maximum(seconds.starts - distance, document_start(seconds.starts))
    return np.searchsorted(ends, seconds.starts) > np.searchsorted(ends, earliest)


def starts_after(firsts: Spans, seconds: Spans, distance: int) -> np.ndarray:
    """For each of `firsts`: whether one of `seconds` starts 1 to `distance` words after it
    ends."""
    starts = seconds.starts
    latest = np.searchsorted(starts, firsts.ends + distance, side="right")
    return latest > np.searchsorted(starts, firsts.ends, side="right")


def others_in_units(units: np.ndarray, other_units: np.ndarray, counted: np.ndarray):
    """For each unit of `units`: whether `other_units` holds it more often than the one
    time it counts the occurrence itself (where `counted`)."""
    held = np.sort(other_units)
    count = np.searchsorted(held, units, side="right") - np.searchsorted(held, units)
    return count > counted


def same_unit(mine: Spans, theirs: Spans, marks: np.ndarray, ordered: bool):
    """Whether each of `mine`, and each of `theirs`, has one of the other in its sentence
    (or paragraph: the unit `marks` begin); with `ordered`, mine ending before theirs
    start."""
    my_units = np.searchsorted(marks, mine.starts, side="right")
    their_units = np.searchsorted(marks, theirs.starts, side="right")
    if not ordered:  # an occurrence never meets itself (`pain /s pain` asks for two)
        return (
            others_in_units(my_units, their_units, is_one_of(mine, theirs)),
            others_in_units(their_units, my_units, is_one_of(theirs, mine)),
        )
    if not len(mine) or not len(theirs):
        return np.zeros(len(mine), dtype=bool), np.zeros(len(theirs), dtype=bool)
    # Mine must end before theirs start. Units never decrease along spans in order: the
    # last of theirs in a unit starts latest; of mine, the earliest end is found per unit.
    units, firsts = np.unique(my_units, return_index=True)
    earliest_end = np.minimum.reduceat(mine.ends, firsts)
    at = np.minimum(np.searchsorted(units, their_units), len(units) - 1)
    theirs_met = (units[at] == their_units) & (earliest_end[at] < theirs.starts)
    last = np.maximum(np.searchsorted(their_units, my_units, side="right") - 1, 0)
    mine_met = (their_units[last] == my_units) & (theirs.starts[last] > mine.ends)
    return mine_met, theirs_met
