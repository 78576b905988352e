"""What the search layer asks of an index, answered from one whole commit (store.py):
rankings, facet counts, stored fields and records, snippets, telling words."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh.support.levenshtein import damerau_levenshtein as edit_distance
from whoosh.util.times import long_to_datetime

from .documents import letter_record, with_letter_fields
from .facets import docs_by_value, facet_counts, holding, with_table_ranges
from .query import ReadQuery
from .ranking import Ranking, by_date, ranked
from .schema import facet_value
from .snippets import Snippet, marks_in, snippet_of
from .store import Opened, StoreFiles, opened_generation
from .words import WORDS


@dataclass(frozen=True)
class Found:
    """One matching document: its stored fields, its score (None when ordered by date),
    and the sentence the query matched."""

    docnum: int
    fields: dict
    score: float | None
    snippet: Snippet | None  # None where no field was asked for it


def positive_leaves(q: wq.Query) -> Iterator[wq.Query]:
    """The leaves of `q` an item is found by: not those under a NOT, nor the excluded side
    of an ANDNOT."""
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        yield from positive_leaves(q.a)
    elif q.is_leaf():
        yield q
    else:
        for child in q.children():
            yield from positive_leaves(child)


@contextmanager
def open_snapshot(index_dir: Path) -> Iterator[Snapshot]:
    """The index as of its newest commit, held for the block. Raises IndexUnusable."""
    with opened_generation(index_dir) as opened:
        yield Snapshot(opened)


class Snapshot:
    def __init__(self, opened: Opened):
        self.store = opened.store
        self.generation = opened.generation
        self.searcher = opened.searcher
        self.files = StoreFiles(opened.store)

    @cached_property
    def generation_record(self) -> dict:
        """What this generation was made of (store.py): its labels, when it was made."""
        return self.files.record(self.generation)

    @property
    def labels(self) -> dict[str, dict[str, str]]:
        """Facet field -> indexed value -> the value as the letters write it."""
        return self.generation_record.get("labels", {})

    def manifest(self) -> dict[str, dict]:
        return self.files.manifest(self.generation)

    # ------------------------------------------------------------ matching

    def rank(self, query: ReadQuery, newest: bool | None = None) -> Ranking:
        """Every match of `query` in index order (`.best()` ranks them by score); by decision
        date, oldest first (newest with `newest`), when `newest` is not None."""
        run = with_table_ranges(query.parsed, self.store)
        if newest is None:
            return ranked(self.searcher, run, query.parsed, self.store)
        return by_date(self.searcher, run, query.parsed, self.store, newest=newest)

    def counts(self, docs: np.ndarray, names) -> dict[str, dict]:
        """field -> value -> how many of `docs` hold it (None: no value)."""
        return facet_counts(self.store, self.searcher, docs, names)

    def groups(self, docs: np.ndarray, name: str) -> dict:
        """value -> the set of `docs` holding it (None: no value)."""
        return docs_by_value(self.store, self.searcher, docs, name)

    def dates(self, docs: np.ndarray, name: str) -> dict:
        """Document -> its date in date field `name`, for those of `docs` that have one."""
        return {
            doc: long_to_datetime(value).date()
            for value, held in self.groups(docs, name).items()
            if value is not None
            for doc in held
        }

    def holding(self, docs: np.ndarray, name: str, wanted) -> np.ndarray:
        """Which of `docs` hold a value of `name` that `wanted(value)` accepts (None: no
        value), as a boolean array."""
        return holding(self.store, self.searcher, docs, name, wanted)

    def found(self, ranking: Ranking, position: int, snippet_fields: tuple[str, ...] = ()) -> Found:
        """The match at `position`, with its sentence from the first of `snippet_fields`
        the query matched."""
        hit = ranking.hit(position)
        fields = self.stored(hit.docnum)
        snippet = snippet_of(hit, fields, snippet_fields) if snippet_fields else None
        return Found(hit.docnum, fields, hit.score, snippet)

    def letter_keys(self, docs: np.ndarray) -> list[str]:
        if not len(docs):  # an index of no letters has no columns to read
            return []
        keys = self.searcher.reader().column_reader("letter_key")
        return [keys[doc] for doc in docs.tolist()]

    # ------------------------------------------------------------ letters

    def items_of_case(self, case: str) -> dict[int, int]:
        """Item number -> document number of the letter indexed under `case`."""
        return {
            self.searcher.stored_fields(n)["item_no"]: n
            for n in self.searcher.document_numbers(case=case.lower())
        }

    def stored(self, docnum: int) -> dict:
        """A document's stored fields, its letter's with them."""
        return with_letter_fields(self.searcher.stored_fields, docnum)

    def letter_record(self, docnums) -> dict | None:
        """The parsed record of the letter whose documents are `docnums`."""
        stored = [self.searcher.stored_fields(docnum) for docnum in docnums]
        return letter_record(stored)

    def letters_and_items(self) -> tuple[int, int]:
        """Letters and items indexed. (The `letter_key` terms would count removed letters
        too: a deletion hides documents but leaves their terms until segments merge.)
        Counted at the commit and kept in the generation's record; counted here before."""
        record = self.generation_record
        if "letters" in record and "items" in record:
            return record["letters"], record["items"]
        reader = self.searcher.reader()
        if not reader.doc_count_all():  # an index of no letters has no columns
            return 0, 0
        keys = reader.column_reader("letter_key")
        return len({keys[doc] for doc in reader.all_doc_ids()}), self.searcher.doc_count()

    def live_docs(self) -> np.ndarray:
        """Every document of the index (not those deleted)."""
        return np.fromiter(self.searcher.reader().all_doc_ids(), dtype=np.int64)

    def decision_dates(self) -> list:
        """The dates letters were decided on, each once."""
        held = self.counts(self.live_docs(), ["decision_date"])["decision_date"]
        return [long_to_datetime(value).date() for value in held if value is not None]

    def marks(self, query: ReadQuery, name: str, text: str) -> tuple[tuple[int, int], ...]:
        """The spans of `text` holding a word the query searches field `name` for (its
        patterns expanded to the words this index holds), as a snippet marks them: never a
        word the query leaves out."""
        reader = self.searcher.reader()
        field = self.searcher.schema[name]
        words = {
            field.from_bytes(term)
            for leaf in positive_leaves(query.parsed)
            if leaf.field() == name
            for _, term in leaf.existing_terms(reader, phrases=True, expand=True)
        }
        return marks_in(text, words, field.analyzer) if words else ()

    # ------------------------------------------------------------ spelling

    def knows_word(self, word: str, names: tuple[str, ...]) -> bool:
        """Whether any of fields `names` holds `word` as the index reads it."""
        reader = self.searcher.reader()
        return any((name, term) in reader for name in names for term in self.words(name, word)[:1])

    def spelled_like(self, word: str, names: tuple[str, ...], most: int) -> list[str]:
        """Up to `most` words of fields `names` within two edits of `word` as the index
        reads it, in the form a letter writes them, the closest and commonest first."""
        reader = self.searcher.reader()
        indexed = self.words(names[0], word)[:1]
        if not indexed:
            return []
        near: dict[str, tuple[int, int]] = {}
        for name in names:
            # (two edits from a short word reach too many other words)
            edits = 2 if len(indexed[0]) > 5 else 1
            for term in reader.terms_within(name, indexed[0], edits, prefix=1):
                rank = (edit_distance(term, indexed[0]), -reader.doc_frequency(name, term))
                near[term] = min(near.get(term, rank), rank)
        written = []
        for term in sorted(near, key=near.get):
            form = self.written_form(term, names)
            if form and form not in written:
                written.append(form)
            if len(written) == most:
                break
        return written

    def written_form(self, term: str, names: tuple[str, ...]) -> str | None:
        """A word a letter writes that the index reads as `term`, from the first item that
        has it."""
        for name in names:
            if (name, term) not in self.searcher.reader():
                continue
            docnum = next(iter(self.searcher.document_numbers(**{name: term})), None)
            text = self.stored(docnum).get(name, "") if docnum is not None else ""
            for word in WORDS.findall(text):
                if self.words(name, word)[:1] == [term]:
                    return word.lower()
        return None

    # ------------------------------------------------------------ more like this

    def words(self, name: str, text: str) -> list[str]:
        """The indexed forms of the words of `text` in field `name`, in order."""
        analyzer = self.searcher.schema[name].analyzer
        return [token.text for token in analyzer(text, mode="query")]

    def telling_words(self, name: str, text: str, count: int) -> list[tuple[str, float]]:
        """The `count` words of `text` that most set it apart in field `name`, weighed."""
        return self.searcher.key_terms_from_text(name, text, count)

    def like(self, terms: list[tuple[str, str, float]], values, unlike_key: str) -> Ranking:
        """Documents holding any of `terms` (field, indexed word, weight) or `values`
        (facet field, value, weight), leaving out the letter `unlike_key`; in index order,
        and `.best()` ranks them."""
        wanted = [wq.Term(name, word, boost=weight) for name, word, weight in terms]
        wanted += [wq.Term(name, facet_value(v), boost=weight) for name, v, weight in values]
        like = wq.AndNot(wq.Or(wanted), wq.Term("letter_key", unlike_key))
        return ranked(self.searcher, like, like, self.store)
