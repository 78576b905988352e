"""A segment's answers to costly questions, kept on disk beside it.

"not medically necessary" is in most items: matching it means decoding every position of
three words that are each in nearly every item, a cost that grows with the corpus; so does
`pain /5 chronic` (the positions of two common words, compared), and `#exacerbation` (each
candidate's stored text, read). A segment never changes once written (a deletion only hides
documents), so where such a question is common in a segment, its answer there is worked out
once, by the first query that needs it, and read back by every later one until the segment
is merged away:

- a phrase: the documents holding it (deleted ones too), and each word's weight in each.
  Scores are worked out at each query from the weights, with the statistics of the query's
  own commit.
- a test of documents (a connector, a word as written): the documents tested so far and
  those of them that passed. A query tests only the documents of its own it finds
  untested, and adds them: `#documented AND outcome:overturned` tests the overturned items,
  and a later `#documented` the rest.

    STORE/answers/<segment id>.<key>.npz

A run's commit removes the answers of segments no generation uses (store.clean_store);
beyond KEPT_BYTES in all, the least recently used go first. A read-only index answers
as well, only without keeping.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .facets import save_atomically

FOLDER = "answers"
# Part of every answer's name: a change to how phrases or tests are matched changes it, and the
# answers worked out before are no longer read (a commit removes them with their segments).
MATCHING_VERSION = 1
# A phrase is kept where each of its words is in this many documents of the segment or more,
# a test where it has this many candidates: below it, working it out takes milliseconds.
KEEP_FROM = 5000
KEPT_BYTES = 1 << 30


@dataclass(frozen=True)
class PhraseAnswer:
    """Where a phrase runs in a segment: documents (deleted ones too), in order, and each
    word's weight in each (one row a word)."""

    docs: np.ndarray  # int64
    weights: np.ndarray  # float64, words x documents

    def only(self, kept: np.ndarray) -> PhraseAnswer:
        """The answer at the documents where the boolean array `kept` is true."""
        return PhraseAnswer(self.docs[kept], self.weights[:, kept])

    def arrays(self) -> dict[str, np.ndarray]:
        """As saved: documents as 32-bit numbers, weights as the 32-bit floats the postings
        hold."""
        return {"docs": self.docs.astype(np.uint32), "weights": self.weights.astype(np.float32)}


@dataclass(frozen=True)
class Tested:
    """A test of documents in a segment: the documents tested so far, and those of them
    that passed, each in order."""

    tested: np.ndarray  # int64
    passed: np.ndarray  # int64

    def adding(self, tested: np.ndarray, passed: np.ndarray) -> Tested:
        """With the documents `tested` (none tested before) and those of them that passed."""
        return Tested(
            np.sort(np.concatenate([self.tested, tested])),
            np.sort(np.concatenate([self.passed, passed])),
        )

    def arrays(self) -> dict[str, np.ndarray]:
        return {"tested": self.tested.astype(np.uint32), "passed": self.passed.astype(np.uint32)}


NOTHING_TESTED = Tested(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))


def answer_path(store: Path, segment_id: str, asked: bytes) -> Path:
    """Where the segment's answer to `asked` (the question, as bytes) is kept."""
    key = hashlib.sha1(f"{MATCHING_VERSION}\x00".encode() + asked).hexdigest()[:24]
    return store / FOLDER / f"{segment_id}.{key}.npz"


# What a key is made of. A phrase's begins with its field's name, then its slop in digits;
# a test's with "test" then a query's name (ranking.described), which never begins with a
# digit. (A phrase's carries no kind of its own: the answers kept before tests were still
# have their names.)


def phrase_asked(fieldname: str, texts: list[bytes], slop: int) -> bytes:
    return f"{fieldname}\x00{slop}\x00".encode() + b"\x00".join(texts)


def tested_asked(described: str) -> bytes:
    return f"test\x00{described}".encode()


def read_phrase_answer(path: Path, words: int) -> PhraseAnswer | None:
    """The answer kept at `path` for a phrase of `words` words; None where there is none,
    or one that cannot be read whole (then removed, to be worked out again)."""
    arrays = read_arrays(path, ("docs", "weights"))
    if arrays is None:
        return None
    answer = PhraseAnswer(arrays["docs"].astype(np.int64), arrays["weights"].astype(float))
    if answer.weights.shape != (words, len(answer.docs)):  # another phrase's answer
        discard(path)
        return None
    return answer


def read_tested(path: Path) -> Tested:
    """The test's answer kept at `path`; nothing tested where there is none, or one that
    cannot be read whole (then removed, to be worked out again)."""
    arrays = read_arrays(path, ("tested", "passed"))
    if arrays is None:
        return NOTHING_TESTED
    tested, passed = (arrays[name].astype(np.int64) for name in ("tested", "passed"))
    if not (increasing(tested) and increasing(passed) and in_order(passed, tested).all()):
        discard(path)  # not a test's answer
        return NOTHING_TESTED
    return Tested(tested, passed)


def increasing(docs: np.ndarray) -> bool:
    return bool((docs[1:] > docs[:-1]).all())


# Where documents are many for the numbers they span (one in DENSE_FROM or more), they are
# looked up in an array over every number instead: one read each, where a search of a sorted
# array costs a logarithm each (at a million documents, 0.5 ms against 10 ms).
DENSE_FROM = 16


def in_order(docs: np.ndarray, held: np.ndarray) -> np.ndarray:
    """Whether each of `docs` is one of `held` (ascending; document numbers are never
    negative): a search of a sorted array, or a table over every document number where
    `docs` are many, where numpy's isin sorts both again (a tenth of a second on a
    million)."""
    if not len(held) or not len(docs):
        return np.zeros(len(docs), dtype=bool)
    size = max(int(docs.max()), int(held[-1])) + 1
    if len(docs) * DENSE_FROM >= size:
        table = np.zeros(size, dtype=bool)
        table[held] = True
        return table[docs]
    at = np.minimum(np.searchsorted(held, docs), len(held) - 1)
    return held[at] == docs


def read_arrays(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path) as held:
            arrays = {name: held[name] for name in names}
    except FileNotFoundError:
        return None
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile):
        discard(path)
        return None
    with suppress(OSError):  # its time of last use, for `make_room` (none on a read-only index)
        os.utime(path)
    return arrays


def discard(path: Path) -> None:
    with suppress(OSError):
        path.unlink()


def can_keep(store: Path) -> bool:
    """Whether answers can be kept in `store` (a read-only index answers without keeping,
    each phrase among the documents its query asks about, as before any was kept)."""
    folder = store / FOLDER
    return os.access(folder if folder.exists() else store, os.W_OK)


def keep_answer(path: Path, answer: PhraseAnswer | Tested) -> None:
    """Save `answer`, making room for it; nothing where the index cannot be written."""
    try:
        path.parent.mkdir(exist_ok=True)
        make_room(path.parent)
        save_atomically(path, lambda f: np.savez(f, **answer.arrays()), binary=True)
    except OSError:
        pass


def make_room(folder: Path, limit: int = KEPT_BYTES) -> None:
    """Remove the least recently used answers until those left hold under `limit` bytes."""
    found = []
    for path in folder.glob("*.npz"):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed meanwhile
        found.append((stat.st_mtime_ns, stat.st_size, path))
    total = sum(size for _, size, _ in found)
    for _, size, path in sorted(found):
        if total < limit:
            break
        path.unlink(missing_ok=True)
        total -= size
