"""Matching and ranking a query over numpy arrays.

Whoosh matches and scores one document at a time in Python, about 5 µs a document: most
of a query's time once it matches tens of thousands of items. Here a term's postings are
read a block at a time into arrays, scored with Whoosh's own BM25F (its statistics, its
byte-rounded field lengths, the same arithmetic) and combined with array set operations:
the same documents in the same order with the same scores, in a fraction of the time.

Patterns and fuzzy terms are the OR of the terms they name, as in Whoosh. A phrase decodes
positions only for the documents holding all its words and, inside an AND, only for those
the other parts matched, all of them as one array.
What has no array form here (a field's `*`, a range outside the value tables) runs through
Whoosh's own matcher. Reading postings and field lengths uses the internals of
Whoosh-Reloaded 2.7.5's W3 codec (pinned in pyproject.toml); tests/test_ranking.py checks
every kind of query against Whoosh's own search.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, partial, reduce
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.matching import FilterMatcher, ListMatcher, NullMatcher
from whoosh.scoring import BM25FScorer, WeightScorer
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Results
from whoosh.util.numeric import _length_byte_cache

from .answers import (
    DENSE_FROM,
    KEEP_FROM,
    PhraseAnswer,
    answer_path,
    can_keep,
    in_order,
    keep_answer,
    phrase_asked,
    read_phrase_answer,
    read_tested,
    tested_asked,
)
from .facets import NO_VALUE_ID, TableRange, segment_facet
from .schema import PositionArray, positions_of

# Whoosh keeps a field's length per document as one byte; this is its table back to lengths.
BYTE_TO_LENGTH = np.array(_length_byte_cache[:256], dtype=np.float64)
NO_DOCS = np.zeros(0, dtype=np.int64)
# Queries Whoosh runs as an OR of the terms they name (but "*" and "" match every value).
PATTERNS = (wq.Prefix, wq.Wildcard, wq.Regex, wq.FuzzyTerm, wq.Variations)


def shared(docs: np.ndarray, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the documents two ascending arrays of document numbers (never negative) share
    are in each: by a table over every document number where they are many
    (answers.DENSE_FROM), else as numpy intersects."""
    if not len(docs) or not len(others):
        return NO_DOCS, NO_DOCS
    size = max(int(docs[-1]), int(others[-1])) + 1
    if (len(docs) + len(others)) * DENSE_FROM >= size:
        place = np.full(size, -1, dtype=np.int64)
        place[others] = np.arange(len(others))
        theirs = place[docs]
        mine = np.flatnonzero(theirs >= 0)
        return mine, theirs[mine]
    _, mine, theirs = np.intersect1d(docs, others, assume_unique=True, return_indices=True)
    return mine, theirs


@dataclass(frozen=True)
class Matches:
    """Matching documents of one segment, in order, and their scores."""

    docs: np.ndarray  # int64, ascending, unique
    scores: np.ndarray  # float64, one per document

    @classmethod
    def empty(cls) -> Matches:
        return cls(NO_DOCS, np.zeros(0))

    def boosted(self, boost: float) -> Matches:
        return self if boost == 1.0 else Matches(self.docs, self.scores * boost)

    def both(self, other: Matches) -> Matches:
        """Documents in both, scores added (Whoosh's intersection)."""
        mine, theirs = shared(self.docs, other.docs)
        return Matches(self.docs[mine], self.scores[mine] + other.scores[theirs])

    @staticmethod
    def union(parts: list[Matches]) -> Matches:
        """Documents in any part, their scores added (Whoosh's union), each document's in
        the parts' order (so the sums are the same whichever way they are worked out)."""
        docs = np.concatenate([p.docs for p in parts])
        scores = np.concatenate([p.scores for p in parts])
        if not len(docs):
            return Matches.empty()
        size = max(int(p.docs[-1]) for p in parts if len(p.docs)) + 1
        if len(docs) * DENSE_FROM >= size:  # a tally over every document number
            summed = np.bincount(docs, weights=scores, minlength=size)
            held = np.flatnonzero(np.bincount(docs, minlength=size))
            return Matches(held, summed[held])
        # A stable sort merges the parts' runs, each in order already.
        order = np.argsort(docs, kind="stable")
        docs, scores = docs[order], scores[order]
        first = np.empty(len(docs), dtype=bool)
        first[0] = True
        np.not_equal(docs[1:], docs[:-1], out=first[1:])
        summed = np.bincount(np.cumsum(first) - 1, weights=scores)
        return Matches(docs[first], summed)

    def only(self, kept: np.ndarray) -> Matches:
        """The matches where the boolean array `kept` is true."""
        return Matches(self.docs[kept], self.scores[kept])

    def without(self, docs: np.ndarray) -> Matches:
        return self.only(~in_order(self.docs, docs))

    def plus_where(self, other: Matches) -> Matches:
        """These documents, with the scores of `other` added where it matches too."""
        mine, theirs = shared(self.docs, other.docs)
        scores = self.scores.copy()
        scores[mine] += other.scores[theirs]
        return Matches(self.docs, scores)


class ArrayQuery(wq.CompoundQuery):
    """A query that only arrays answer (connectors.py): its subqueries and a setting of its
    own, matched in a segment by `matches_in`; Whoosh's own search asks the same of it
    through `matcher`. One that `probes` reads each candidate document's stored text, so
    inside an AND it is matched last, among what the rest matched (`matches_among`)."""

    probes = False

    def __init__(self, subqueries, setting, boost: float = 1.0):
        super().__init__(subqueries, boost=boost)
        self.setting = setting

    def __eq__(self, other):
        return type(other) is type(self) and (self.subqueries, self.setting, self.boost) == (
            other.subqueries,
            other.setting,
            other.boost,
        )

    def __hash__(self):
        return hash((type(self), tuple(self.subqueries), self.setting, self.boost))

    def apply(self, fn):
        return type(self)([fn(q) for q in self.subqueries], self.setting, self.boost)

    def normalize(self):
        return self.apply(lambda q: q.normalize())

    def simplify(self, ixreader):
        return self.apply(lambda q: q.simplify(ixreader))

    def matches_in(self, segment: Segment) -> Matches:
        raise NotImplementedError

    def matches_among(self, segment: Segment, within: np.ndarray | None) -> Matches:
        raise NotImplementedError

    def matcher(self, searcher, context=None):
        found = Segment(searcher).matches(self)
        if not len(found.docs):
            return NullMatcher()
        return ListMatcher(found.docs.tolist(), found.scores.tolist())


# A page among many matches is ranked by a partition: the matches that can reach it are found
# in one pass, and only they are sorted (the first page of 3.4 million matches: 300 ms less).
PARTIAL_FROM = 8  # matches for each one asked for


@dataclass(frozen=True)
class Ranking:
    """Every match of a query: the searcher's document numbers and their scores (None when
    ordered by date). Matched by score, they are held in index order, and `best` ranks them
    as far as a page needs; `in_order` when they are best first (by date, or from `best`).
    Whoosh hits are made only for the matches shown."""

    docs: np.ndarray
    scores: np.ndarray | None
    results: Results  # holds no matches: it gives each hit its searcher and query
    in_order: bool = True

    def __len__(self) -> int:
        return len(self.docs)

    def best(self, stop: int | None = None) -> Ranking:
        """The first `stop` matches (all of them when None), best first: by score, ties
        in index order."""
        count = len(self) if stop is None else max(0, min(stop, len(self)))
        scores = self.scores
        if self.in_order or scores is None or not count:
            kept = None if scores is None else scores[:count]
            return Ranking(self.docs[:count], kept, self.results)
        if count * PARTIAL_FROM < len(self):
            least = np.partition(scores, len(self) - count)[len(self) - count]
            places = np.flatnonzero(scores >= least)  # ties with the last shown included
        else:
            places = np.arange(len(self))
        order = places[np.argsort(-scores[places], kind="stable")][:count]
        return Ranking(self.docs[order], scores[order], self.results)

    def hit(self, position: int) -> WhooshHit:
        """The match at `position` of a ranking in order (`best`)."""
        if not self.in_order:
            raise ValueError("a ranking by score is in index order until `best` ranks it")
        score = None if self.scores is None else float(self.scores[position])
        return WhooshHit(self.results, int(self.docs[position]), position, score)

    def hits(self, start: int, stop: int) -> list[WhooshHit]:
        """The matches from `start` to `stop` in rank order."""
        page = self.best(stop)
        return [page.hit(position) for position in range(start, len(page))]

    def only(self, kept: np.ndarray) -> Ranking:
        """The matches where the boolean array `kept` is true, in the same order."""
        scores = None if self.scores is None else self.scores[kept]
        return Ranking(self.docs[kept], scores, self.results, self.in_order)


def ranked(searcher, run: wq.Query, shown: wq.Query, store: Path | None = None) -> Ranking:
    """Every match of `run` in index order, ranked by `best` (ties in index order); its hits
    highlight the terms of `shown` (the query as the user wrote it). All of them, and
    callers rank and slice: Whoosh's own top-N collector drops sub-queries it wrongly judges
    unable to reach the N-th score, losing the best hits of boosted OR queries (whoosh #413,
    #122; limit=2 missed the item that limit=None ranks first). With `store`, the answers
    to common phrases and costly tests kept there are read, and kept (answers.py)."""
    docs, scores = [NO_DOCS], [np.zeros(0)]
    for segment, offset in segments(searcher, store):
        found = segment.matches(run)
        docs.append(found.docs + offset)
        scores.append(found.scores)
    results = Results(searcher, shown, [])
    return Ranking(np.concatenate(docs), np.concatenate(scores), results, in_order=False)


def by_date(searcher, run: wq.Query, shown: wq.Query, index_dir, newest: bool) -> Ranking:
    """Every match of `run` by decision date, oldest first (newest with `newest`), letters
    without a date last either way, then by case and item number."""
    docs, undated, when, cases, numbers = [NO_DOCS], [np.zeros(0, bool)], [NO_DOCS], [], []
    for segment, offset in segments(searcher, index_dir):
        reader = segment.reader
        found = segment.matches(run).docs
        table = segment_facet(index_dir, reader, "decision_date")
        held = table.rows[found, 0]
        dates = np.array(table.values + [0], dtype=np.int64)  # [-1]: no date
        case_of, number_of = reader.column_reader("case"), reader.column_reader("item_no")
        docs.append(found + offset)
        undated.append(held == NO_VALUE_ID)
        when.append(dates[held])
        cases.extend(case_of[doc] for doc in found.tolist())
        numbers.extend(number_of[doc] for doc in found.tolist())
    docs, when = np.concatenate(docs), np.concatenate(when)
    order = np.lexsort(
        (docs, numbers, np.array(cases), -when if newest else when, np.concatenate(undated))
    )
    return Ranking(docs[order], None, Results(searcher, shown, []))


def segments(searcher, store: Path | None = None) -> list[tuple[Segment, int]]:
    """Each segment holding documents, and the number of its first document. (An index of
    no letters has one empty reader and nothing else.)"""
    return [
        (Segment(subsearcher, store), offset)
        for subsearcher, offset in searcher.leaf_searchers()
        if subsearcher.reader().doc_count_all()
    ]


class Segment:
    """One segment's searcher, with what its queries share: live documents, field lengths;
    and the store where its answers to common phrases and costly tests are kept, if any."""

    def __init__(self, searcher, store: Path | None = None):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.store = store
        self.lengths: dict[str, np.ndarray] = {}

    @cached_property
    def deleted(self) -> np.ndarray:
        return np.array(sorted(self.reader.deleted_docs_set), dtype=np.int64)

    @cached_property
    def is_deleted(self) -> np.ndarray:
        """Whether each document is deleted, by document number: one read a posting."""
        held = np.zeros(self.reader.doc_count_all(), dtype=bool)
        held[self.deleted] = True
        return held

    @cached_property
    def live(self) -> np.ndarray:
        return np.flatnonzero(~self.is_deleted)

    def matches(self, q: wq.Query) -> Matches:
        if isinstance(q, wq.Term):
            return self.term(q)
        if isinstance(q, ArrayQuery):
            return q.matches_in(self)
        if isinstance(q, TableRange):
            docs = q.docs(self.reader)
            return Matches(docs, np.full(len(docs), float(q.boost)))
        if isinstance(q, wq.Every) and q.fieldname in (None, "", "*"):
            return Matches(self.live, np.full(len(self.live), float(q.boost)))
        if q is wq.NullQuery:
            return Matches.empty()
        if isinstance(q, wq.Not):
            # Whoosh scores a document by what it lacks at 1, whatever the boost.
            docs = np.setdiff1d(self.live, self.matches(q.query).docs, assume_unique=True)
            return Matches(docs, np.ones(len(docs)))
        if isinstance(q, wq.AndNot):
            return self.matches(q.a).without(self.matches(q.b).docs)
        if isinstance(q, wq.AndMaybe):
            return self.matches(q.a).plus_where(self.matches(q.b))
        if type(q) in (wq.Or, wq.And) and len(q.subqueries) == 1:
            return self.matches(q.subqueries[0])  # Whoosh leaves out the boost here too
        if type(q) in (wq.Or, wq.And) and q.subqueries and not getattr(q, "scale", None):
            combined = self.all_of(q.subqueries) if isinstance(q, wq.And) else self.any_of(q)
            return combined.boosted(q.boost)
        if isinstance(q, PATTERNS) and q.text not in ("", "*", ".*"):
            return self.expanded(q)
        return self.probed(q)

    def any_of(self, q: wq.Or) -> Matches:
        return Matches.union([self.matches(sub) for sub in q.subqueries])

    def all_of(self, subqueries) -> Matches:
        arrays = [sub for sub in subqueries if has_arrays(sub)]
        probed = [sub for sub in subqueries if not has_arrays(sub)]
        if arrays:
            found = reduce(Matches.both, (self.matches(sub) for sub in arrays))
        else:
            found = self.matches(probed.pop(0))
        for sub in probed:
            found = found.both(self.probed(sub, within=found.docs))
        return found

    def expanded(self, q: wq.MultiTerm) -> Matches:
        """A pattern or fuzzy term as Whoosh runs it: an OR of the segment's terms it names,
        each scored as itself (boosted only when there are two or more)."""
        terms = [wq.Term(q.fieldname, word) for word in q._btexts(self.reader) if word]
        if len(terms) < 2:
            return self.term(terms[0]) if terms else Matches.empty()
        return self.any_of(wq.Or(terms)).boosted(q.boost)

    def probed(self, q: wq.Query, within: np.ndarray | None = None) -> Matches:
        """Matches of a query read from positions, among `within` when given: a phrase (or
        an OR of phrases) from its words' positions; anything else by Whoosh's matcher."""
        if within is not None and not len(within):
            return Matches.empty()
        if isinstance(q, wq.Phrase):
            return self.phrase(q, within)
        if isinstance(q, ArrayQuery) and q.probes:
            return q.matches_among(self, within)
        alternatives = q.subqueries if type(q) is wq.Or and not q.scale else ()
        if alternatives and all(map(read_from_positions, alternatives)):
            found = Matches.union([self.probed(sub, within) for sub in alternatives])
            return found if len(alternatives) == 1 else found.boosted(q.boost)
        return self.by_whoosh(q, at=within)

    def phrase(self, q: wq.Phrase, within: np.ndarray | None) -> Matches:
        """Whoosh's phrase: its words in order, each within `slop` positions of the one
        before; scored as the sum of its words' scores. Positions are read only for the
        documents holding every word, all at once."""
        schema = self.searcher.schema
        if q.fieldname not in schema or not isinstance(schema[q.fieldname].format, PositionArray):
            return self.by_whoosh(q, at=within)  # Whoosh's own answer, or its error
        field = schema[q.fieldname]
        try:
            texts = [field.to_bytes(word) for word in q.words]
        except ValueError:
            return Matches.empty()
        if any((q.fieldname, text) not in self.reader for text in texts):
            return Matches.empty()
        found = self.phrase_answer(q.fieldname, texts, q.slop, within)
        if len(self.deleted):
            found = found.only(~self.is_deleted[found.docs])
        if within is not None:
            found = found.only(in_order(found.docs, within))
        scores = np.zeros(len(found.docs))
        for weights, text in zip(found.weights, texts, strict=True):
            scores += self.scored(q.fieldname, text, found.docs, weights)
        return Matches(found.docs, scores).boosted(q.boost)

    def phrase_answer(self, fieldname: str, texts: list[bytes], slop: int, within):
        """Where the words `texts` run as a phrase in the segment (among `within`, when
        given; deleted documents too): the answer kept for a common phrase, else worked
        out, and kept when common (answers.py)."""
        kept = None
        if self.store is not None and all(
            self.reader.doc_frequency(fieldname, text) >= KEEP_FROM for text in texts
        ):
            kept = self.answer_path(phrase_asked(fieldname, texts, slop))
            answer = read_phrase_answer(kept, len(texts))
            if answer is not None:
                return answer
            if can_keep(self.store):
                within = None  # worked out for the whole segment, to keep
            else:
                kept = None
        answer = phrase_in(self.reader, fieldname, texts, slop, within)
        if kept is not None:
            keep_answer(kept, answer)
        return answer

    def passes(self, q: wq.Query, candidates: np.ndarray, test) -> np.ndarray:
        """Whether each of `candidates` (documents, in order) passes `test`: `test(docs)` is
        a boolean array, one for each of `docs`; `q` names what it tests. Where there are
        many candidates, the documents tested are kept with the answers, and a later query
        tests only those it finds untested (answers.py)."""
        if self.store is None or len(candidates) < KEEP_FROM:
            return test(candidates)
        kept = self.answer_path(tested_asked(described(q)))
        answer = read_tested(kept)
        untested = candidates[~in_order(candidates, answer.tested)]
        if len(untested):
            answer = answer.adding(untested, untested[test(untested)])
            if can_keep(self.store):
                keep_answer(kept, answer)
        return in_order(candidates, answer.passed)

    def answer_path(self, asked: bytes) -> Path:
        return answer_path(self.store, self.reader.segment().segment_id(), asked)

    def term(self, q: wq.Term) -> Matches:
        schema = self.searcher.schema
        try:
            text = schema[q.fieldname].to_bytes(q.text) if q.fieldname in schema else None
        except ValueError:
            text = None
        if text is None or (q.fieldname, text) not in self.reader:
            return Matches.empty()
        docs, weights, _ = self.postings(q.fieldname, text)
        scores = self.scored(q.fieldname, text, docs, weights)
        if scores is None:
            return self.by_whoosh(q)
        return Matches(docs, scores).boosted(q.boost)

    def postings(self, fieldname: str, text: bytes, values: bool = False, among=None):
        """The term's live documents, weights and (with `values`) value bytes; with `among`
        (document numbers, in order), only the blocks that may hold some of them are read."""
        docs, weights, held = postings(self.reader.postings(fieldname, text), values, among)
        if len(self.deleted):
            keep = ~self.is_deleted[docs]
            docs, weights = docs[keep], weights[keep]
            if values:
                held = held[keep]
        return docs, weights, held

    def scored(self, fieldname: str, text: bytes, docs: np.ndarray, weights: np.ndarray):
        """Whoosh's score of the term in each of `docs`, or None for a weighting not here."""
        scorer = self.searcher.weighting.scorer(self.searcher, fieldname, text)
        if isinstance(scorer, BM25FScorer):
            lengths = BYTE_TO_LENGTH[self.length_bytes(fieldname)[docs]]
            k1, b = scorer.K1, scorer.B
            return scorer.idf * (
                (weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / scorer.avgfl))
            )
        if isinstance(scorer, WeightScorer):
            return weights
        return None

    def length_bytes(self, fieldname: str) -> np.ndarray:
        if fieldname not in self.lengths:
            held = length_bytes(self.reader._perdoc, fieldname)
            self.lengths[fieldname] = (
                np.zeros(self.reader.doc_count_all(), dtype=np.uint8) if held is None else held
            )
        return self.lengths[fieldname]

    def by_whoosh(self, q: wq.Query, at: np.ndarray | None = None) -> Matches:
        """Whoosh's own matches of `q`: all of them, or those among the documents `at`."""
        matcher = q.matcher(self.searcher)
        docs, scores = [], []
        if at is None:
            while matcher.is_active():
                docs.append(matcher.id())
                scores.append(matcher.score())
                matcher.next()
        else:
            for doc in at.tolist():
                if not matcher.is_active():
                    break
                matcher.skip_to(doc)
                if matcher.is_active() and matcher.id() == doc:
                    docs.append(doc)
                    scores.append(matcher.score())
        return Matches(np.array(docs, dtype=np.int64), np.array(scores, dtype=np.float64))


def phrase_in(reader, fieldname: str, texts: list[bytes], slop: int, within) -> PhraseAnswer:
    """Where the words `texts` run as a phrase in a segment (among `within`, when given),
    deleted documents too. Positions are read only for the documents holding every word,
    all at once."""
    words = [postings(reader.postings(fieldname, text), values=True) for text in texts]
    docs = reduce(partial(np.intersect1d, assume_unique=True), [w[0] for w in words])
    if within is not None:
        docs = np.intersect1d(docs, within, assume_unique=True)
    rows = [np.searchsorted(word_docs, docs) for word_docs, _, _ in words]
    held = [values[at] for (_, _, values), at in zip(words, rows, strict=True)]
    _, ends = phrase_runs([places_and_positions(values) for values in held], slop)
    places = ends >> POSITION_BITS  # in order: each document's first is the one kept
    kept = places[np.flatnonzero(np.diff(places, prepend=-1))]
    weights = [weights[at[kept]] for (_, weights, _), at in zip(words, rows, strict=True)]
    return PhraseAnswer(docs[kept], np.array(weights).reshape(len(texts), len(kept)))


def length_bytes(perdoc, fieldname: str) -> np.ndarray | None:
    """Each document's length byte for `fieldname`, from a segment's per-document reader
    (one read of the column file); None for a field without lengths."""
    name = f"_{fieldname}_len"
    if not perdoc.has_column(name):
        return None
    column = perdoc.column_reader(name, LENGTHS_COLUMN)
    held = np.zeros(perdoc.doc_count_all(), dtype=np.uint8)  # documents past the end: 0
    stored = column._dbfile.get(column._basepos, column._count)
    held[: column._count] = np.frombuffer(stored, dtype=np.uint8)
    return held


def read_from_positions(q: wq.Query) -> bool:
    """Whether `q` is a phrase or a probe: matched among given documents by `probed`."""
    return isinstance(q, wq.Phrase) or (isinstance(q, ArrayQuery) and q.probes)


def has_arrays(q: wq.Query) -> bool:
    """Whether `q` is matched here without stepping through Whoosh's matcher."""
    if isinstance(q, ArrayQuery):
        return not q.probes
    if isinstance(q, (wq.Term, TableRange)) or q is wq.NullQuery:
        return True
    if isinstance(q, PATTERNS):
        return q.text not in ("", "*", ".*")
    if isinstance(q, wq.Every):
        return q.fieldname in (None, "", "*")
    if isinstance(q, wq.Not):
        return has_arrays(q.query)
    if isinstance(q, (wq.AndNot, wq.AndMaybe)):
        return has_arrays(q.a) and has_arrays(q.b)
    if type(q) is wq.And:
        return any(has_arrays(sub) for sub in q.subqueries)
    if type(q) is wq.Or:
        return not q.scale and all(has_arrays(sub) for sub in q.subqueries)
    return False


def described(q: wq.Query) -> str:
    """What a connector's side `q` matches, in one string, its boost left out: the name of
    a kept test (connectors.py). Whoosh's reprs carry the boost, and an array query's
    leaves out its setting; a query of another kind is no side."""
    if isinstance(q, ArrayQuery):
        return f"{type(q).__name__}({q.setting!r}, [{', '.join(map(described, q.subqueries))}])"
    if type(q) is wq.Or and not q.scale:
        return f"Or([{', '.join(map(described, q.subqueries))}])"
    if isinstance(q, wq.Phrase):
        return f"Phrase({q.fieldname!r}, {q.words!r}, slop={q.slop})"
    if isinstance(q, wq.FuzzyTerm):
        return f"FuzzyTerm({q.fieldname!r}, {q.text!r}, {q.maxdist}, {q.prefixlength})"
    if isinstance(q, (wq.Term, *PATTERNS)):
        return f"{type(q).__name__}({q.fieldname!r}, {q.text!r})"
    if q is wq.NullQuery:
        return "NullQuery"
    raise TypeError(f"not a side of a connector: {q!r}")


def postings(matcher, values: bool = False, among: np.ndarray | None = None):
    """A term's postings as arrays, deleted documents included: document numbers, weights
    and, with `values`, each posting's value bytes (an array of objects). With `among`
    (document numbers, in order), blocks holding none of them are skipped unread."""
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child  # the deletion filter; the caller drops deleted documents
    docs, weights, held = [NO_DOCS], [np.zeros(0)], []
    if isinstance(matcher, W3LeafMatcher):
        after = -1  # the last document of the block before
        while matcher.is_active():
            if among is not None:
                # a block holds the documents after the one before's last, to its own last
                first_wanted = np.searchsorted(among, after, side="right")
                after = matcher.block_max_id()
                if first_wanted == len(among) or among[first_wanted] > after:
                    matcher._next_block()
                    continue
            matcher._read_data()
            # What `_read_ids` and `_read_weights` decode, a posting at a time.
            gaps, held_weights = matcher._data[0], matcher._data[1]
            docs.append(np.cumsum(np.asarray(gaps, dtype=np.int64)))
            if held_weights is None or isinstance(held_weights, float):  # all 1, or all alike
                alike = np.float32(1.0 if held_weights is None else held_weights)  # as Whoosh's
                weights.append(np.full(len(gaps), alike, dtype=np.float64))
            else:
                weights.append(np.asarray(held_weights, dtype=np.float64))
            if values:
                matcher._read_values()
                held.extend(matcher._values)
            matcher._next_block()
    else:  # a term of one posting, kept in the term
        while matcher.is_active():
            docs.append(np.array([matcher.id()], dtype=np.int64))
            weights.append(np.array([matcher.weight()], dtype=np.float64))
            held.append(matcher.value() if values else None)
            matcher.next()
    value_array = None
    if values:
        value_array = np.empty(len(held), dtype=object)
        value_array[:] = held
    return np.concatenate(docs), np.concatenate(weights), value_array


# A word's positions in a set of documents as one sorted array of keys: the document's
# place in the set, shifted, plus the position.
POSITION_BITS = 32


def places_and_positions(values: np.ndarray, places: np.ndarray | None = None) -> np.ndarray:
    """The keys of the positions held in `values` (a word's posting values in documents
    0, 1, 2... of a set, or at `places` in it), in order."""
    positions, counts = positions_of(values)
    if places is None:
        places = np.arange(len(values), dtype=np.int64)
    return (np.repeat(places, counts) << POSITION_BITS) + positions


def phrase_runs(words: list[np.ndarray], slop: int) -> tuple[np.ndarray, np.ndarray]:
    """The keys where runs of the words begin and end, each word `1` to `slop` positions
    after the one before: Whoosh's ordered SpanNear2 with its minimum distance of 1, which
    is what a phrase is. Where a run may go next depends only on where it ends; its start
    is that of the run it continues that ends nearest before it. In order of ends."""
    starts = ends = words[0]
    for following in words[1:]:
        # a following position p continues a run ending in [p - slop, p - 1]
        first = np.searchsorted(ends, following - slop)
        last = np.searchsorted(ends, following)
        continues = first < last
        starts, ends = starts[last[continues] - 1], following[continues]
    return starts, ends
