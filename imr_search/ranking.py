"""Matching and ranking a query over numpy arrays.

Whoosh matches and scores one document at a time in Python, about 5 µs a document: most
of a query's time once it matches tens of thousands of items. Here a term's postings are
read a block at a time into arrays, scored with Whoosh's own BM25F (its statistics, its
byte-rounded field lengths, the same arithmetic) and combined with array set operations:
the same documents in the same order with the same scores, in a fraction of the time.

A part of a query with no array form here (a phrase read from positions, a pattern, a
fuzzy term) runs through Whoosh's own matcher; inside an AND, only at the documents the
other parts matched. Reading postings and field lengths uses the internals of
Whoosh-Reloaded 2.7.5's W3 codec (pinned in pyproject.toml); tests/test_ranking.py checks
every kind of query against Whoosh's own search.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, reduce

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.matching import FilterMatcher
from whoosh.scoring import BM25FScorer, WeightScorer
from whoosh.searching import Results
from whoosh.util.numeric import _length_byte_cache

from .facets import NO_VALUE_ID, TableRange, segment_facet

# Whoosh keeps a field's length per document as one byte; this is its table back to lengths.
BYTE_TO_LENGTH = np.array(_length_byte_cache[:256], dtype=np.float64)
NO_DOCS = np.zeros(0, dtype=np.int64)
# Queries Whoosh runs as an OR of the terms they name (but "*" and "" match every value).
PATTERNS = (wq.Prefix, wq.Wildcard, wq.Regex, wq.FuzzyTerm, wq.Variations)


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
        docs, mine, theirs = np.intersect1d(
            self.docs, other.docs, assume_unique=True, return_indices=True
        )
        return Matches(docs, self.scores[mine] + other.scores[theirs])

    def either(self, other: Matches) -> Matches:
        """Documents in either, scores added where in both (Whoosh's union)."""
        docs, where = np.unique(np.concatenate([self.docs, other.docs]), return_inverse=True)
        scores = np.bincount(
            where, weights=np.concatenate([self.scores, other.scores]), minlength=len(docs)
        )
        return Matches(docs, scores)

    def without(self, docs: np.ndarray) -> Matches:
        keep = ~np.isin(self.docs, docs, assume_unique=True)
        return Matches(self.docs[keep], self.scores[keep])

    def plus_where(self, other: Matches) -> Matches:
        """These documents, with the scores of `other` added where it matches too."""
        _, mine, theirs = np.intersect1d(
            self.docs, other.docs, assume_unique=True, return_indices=True
        )
        scores = self.scores.copy()
        scores[mine] += other.scores[theirs]
        return Matches(self.docs, scores)


def ranked(searcher, run: wq.Query, shown: wq.Query) -> Results:
    """Every match of `run`, best first (ties in index order), as Whoosh's Results; its
    hits highlight the terms of `shown` (the query as the user wrote it)."""
    docs, scores = [], []
    for subsearcher, offset in searcher.leaf_searchers():
        found = Segment(subsearcher).matches(run)
        docs.append(found.docs + offset)
        scores.append(found.scores)
    docs, scores = np.concatenate(docs), np.concatenate(scores)
    order = np.lexsort((docs, -scores))
    top_n = list(zip(scores[order].tolist(), docs[order].tolist(), strict=True))
    return Results(searcher, shown, top_n)


def by_date(searcher, run: wq.Query, shown: wq.Query, index_dir, newest: bool) -> Results:
    """Every match of `run` by decision date, oldest first (newest with `newest`), letters
    without a date last either way, then by case and item number."""
    docs, undated, when, cases, numbers = [], [], [], [], []
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        found = Segment(subsearcher).matches(run).docs
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
    return Results(searcher, shown, [(None, doc) for doc in docs[order].tolist()])


class Segment:
    """One segment's searcher, with what its queries share: live documents, field lengths."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.lengths: dict[str, np.ndarray] = {}

    @cached_property
    def deleted(self) -> np.ndarray:
        return np.array(sorted(self.reader.deleted_docs_set), dtype=np.int64)

    @cached_property
    def live(self) -> np.ndarray:
        everyone = np.arange(self.reader.doc_count_all(), dtype=np.int64)
        return np.setdiff1d(everyone, self.deleted, assume_unique=True)

    def matches(self, q: wq.Query) -> Matches:
        if isinstance(q, wq.Term):
            return self.term(q)
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
        return reduce(Matches.either, (self.matches(sub) for sub in q.subqueries))

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
        """Whoosh's own matches of `q`, asked only at the documents that may match it (all
        its words, for a phrase), and only among `within` when given."""
        if within is not None and not len(within):
            return Matches.empty()
        candidates = self.candidates(q)
        if within is not None:
            candidates = (
                within
                if candidates is None
                else np.intersect1d(candidates, within, assume_unique=True)
            )
        return self.by_whoosh(q, at=candidates)

    def candidates(self, q: wq.Query) -> np.ndarray | None:
        """The documents holding every word of a phrase (or of each phrase of an OR), or
        None for a query no words narrow."""
        if isinstance(q, wq.Phrase):
            words = [wq.Term(q.fieldname, word) for word in q.words]
            return reduce(Matches.both, map(self.term, words)).docs
        if type(q) is wq.Or and q.subqueries:
            each = [self.candidates(sub) for sub in q.subqueries]
            if all(docs is not None for docs in each):
                return reduce(np.union1d, each)
        return None

    def term(self, q: wq.Term) -> Matches:
        schema = self.searcher.schema
        try:
            text = schema[q.fieldname].to_bytes(q.text) if q.fieldname in schema else None
        except ValueError:
            text = None
        if text is None or (q.fieldname, text) not in self.reader:
            return Matches.empty()
        docs, weights = postings(self.reader.postings(q.fieldname, text))
        if len(self.deleted):
            keep = ~np.isin(docs, self.deleted)
            docs, weights = docs[keep], weights[keep]
        scorer = self.searcher.weighting.scorer(self.searcher, q.fieldname, text)
        if isinstance(scorer, BM25FScorer):
            lengths = BYTE_TO_LENGTH[self.length_bytes(q.fieldname)[docs]]
            k1, b = scorer.K1, scorer.B
            scores = scorer.idf * (
                (weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / scorer.avgfl))
            )
        elif isinstance(scorer, WeightScorer):
            scores = weights
        else:
            return self.probed(q)
        return Matches(docs, scores).boosted(q.boost)

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


def has_arrays(q: wq.Query) -> bool:
    """Whether `q` is matched here without stepping through Whoosh's matcher."""
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


def postings(matcher) -> tuple[np.ndarray, np.ndarray]:
    """Document numbers and weights of a term's postings, deleted documents included."""
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child  # the deletion filter; the caller drops deleted documents
    if not isinstance(matcher, W3LeafMatcher):  # a term of one posting, kept in the term
        docs, weights = [], []
        while matcher.is_active():
            docs.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return np.array(docs, dtype=np.int64), np.array(weights, dtype=np.float64)
    docs, weights = [], []
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        docs.append(np.asarray(matcher._ids, dtype=np.int64))
        weights.append(np.asarray(matcher._weights, dtype=np.float64))
        matcher._next_block()
    return np.concatenate(docs), np.concatenate(weights)
