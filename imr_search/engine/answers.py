"""A segment's answers to its common phrases, kept on disk beside it.

"not medically necessary" is in most items: matching it means decoding every position of
three words that are each in nearly every item, a cost that grows with the corpus. A
segment never changes once written (a deletion only hides documents), so where a phrase's
words are common in a segment, its answer there (the documents holding the phrase, deleted
ones too, and each word's weight in each) is worked out once, by the first query that needs
it, and read back by every later one until the segment is merged away. Scores are worked
out at each query from the weights, with the statistics of the query's own commit.

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
# Part of every answer's name: a change to how phrases are matched changes it, and the
# answers worked out before are no longer read (a commit removes them with their segments).
MATCHING_VERSION = 1
# A phrase is kept where each of its words is in this many documents of the segment or more:
# below it, working it out takes a few milliseconds.
KEEP_FROM = 5000
KEPT_BYTES = 1 << 30


@dataclass(frozen=True)
class PhraseAnswer:
    """Where a phrase runs in a segment: documents (deleted ones too), in order, and each
    word's weight in each (one row a word)."""

    docs: np.ndarray  # int64
    weights: np.ndarray  # float64, words x documents

    def among(self, kept: np.ndarray) -> PhraseAnswer:
        """The answer at the documents where the boolean array `kept` is true."""
        return PhraseAnswer(self.docs[kept], self.weights[:, kept])


def answer_path(store: Path, segment_id: str, fieldname: str, texts, slop: int) -> Path:
    words = b"\x00".join(texts)
    asked = f"{MATCHING_VERSION}\x00{fieldname}\x00{slop}\x00".encode() + words
    key = hashlib.sha1(asked).hexdigest()[:24]
    return store / FOLDER / f"{segment_id}.{key}.npz"


def read_answer(path: Path, words: int) -> PhraseAnswer | None:
    """The answer kept at `path` for a phrase of `words` words; None where there is none,
    or one that cannot be read whole (then removed, to be worked out again)."""
    try:
        with np.load(path) as held:
            answer = PhraseAnswer(held["docs"].astype(np.int64), held["weights"].astype(float))
        if answer.weights.shape != (words, len(answer.docs)):
            raise ValueError("not this phrase's answer")
    except FileNotFoundError:
        return None
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile):
        with suppress(OSError):
            path.unlink()
        return None
    with suppress(OSError):  # its time of last use, for `make_room` (none on a read-only index)
        os.utime(path)
    return answer


def can_keep(store: Path) -> bool:
    """Whether answers can be kept in `store` (a read-only index answers without keeping,
    each phrase among the documents its query asks about, as before any was kept)."""
    folder = store / FOLDER
    return os.access(folder if folder.exists() else store, os.W_OK)


def keep_answer(path: Path, answer: PhraseAnswer) -> None:
    """Save `answer` (documents as 32-bit numbers, weights as the 32-bit floats the postings
    hold), making room for it; nothing where the index cannot be written."""
    try:
        path.parent.mkdir(exist_ok=True)
        make_room(path.parent)
        save_atomically(
            path,
            lambda f: np.savez(
                f, docs=answer.docs.astype(np.uint32), weights=answer.weights.astype(np.float32)
            ),
            binary=True,
        )
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
