"""One letter as indexed: its parsed record (whole or one item), the spans of its texts a
query's words mark, and its source file, read once and checked against what was indexed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..engine.query import read_query
from ..engine.snapshot import open_snapshot
from ..letters.extract import data_digest
from ..letters.models import Letter
from .results import NotFound, check_item, items_of_case


def find_letter(index_dir: Path, case: str, item: int | None = None) -> tuple[Letter, list[str]]:
    """The letter indexed under `case` (with only its item `item`, when given), as it was
    parsed when indexed, and warnings about its source file. Raises NotFound,
    IndexUnusable."""
    letter, problem, _ = letter_and_marks(index_dir, case)
    warnings = [problem] if problem else []
    if item is not None:
        check_item(case, item, [i.position for i in letter.items])
        letter = replace(letter, items=tuple(i for i in letter.items if i.position == item))
    return letter, warnings


# The parts of a letter a query's words are marked in: the summary (key 0) and each item's
# own text (key: its position), by the field that indexes each.
ITEM_TEXTS = {
    "item": lambda item: item.item,
    "rationale": lambda item: item.rationale,
    "claims_guideline": lambda item: item.claims_guideline.text,
    "maximus_guideline": lambda item: item.maximus_guideline.text,
}
Marks = dict[tuple[int, str], tuple[tuple[int, int], ...]]


def letter_and_marks(
    index_dir: Path, case: str, text: str | None = None
) -> tuple[Letter, str | None, Marks]:
    """The letter indexed under `case`, what is wrong with its source file (None when it is
    the file indexed), and the spans of its texts holding the words query `text` searches
    each for: (0, "summary") and (item position, field) -> spans. Raises NotFound,
    QueryError, IndexUnusable."""
    query = read_query(text) if text else None
    with open_snapshot(index_dir) as snapshot:
        docs = items_of_case(snapshot, index_dir, case)
        letter = Letter.from_dict(snapshot.letter_record(sorted(docs.values())))
        indexed_digest = snapshot.manifest().get(letter.path, {}).get("sha256")
        marks: Marks = {}
        if query is not None:
            marks[0, "summary"] = snapshot.marks(query, "summary", letter.summary or "")
            for item in letter.items:
                for name, text_of in ITEM_TEXTS.items():
                    marks[item.position, name] = snapshot.marks(query, name, text_of(item) or "")
    source = read_source(Path(letter.path), indexed_digest)
    return letter, source.problem, marks


@dataclass(frozen=True)
class SourceFile:
    """A letter's source file as read once: its bytes when they are those indexed, else
    what is wrong with it."""

    path: Path
    data: bytes | None
    problem: str | None


def read_source(path: Path, indexed_digest: str | None) -> SourceFile:
    """The file at `path`, read once and checked against the digest it was indexed with."""
    if not path.is_file():  # (nor a pipe or a device, which a read could wait on forever)
        return SourceFile(
            path, None, f"its file {path} is no longer there; shown as it was indexed"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        return SourceFile(path, None, f"its file {path} cannot be read ({exc.strerror or exc})")
    if data_digest(data) != indexed_digest:
        problem = f"{path} has changed since it was indexed; run `imr-search index` to update"
        return SourceFile(path, None, problem)
    return SourceFile(path, data, None)


def source_file(index_dir: Path, case: str) -> SourceFile:
    """The file the letter under `case` was indexed from, its bytes read once, when the
    index's manifest names it and they are unchanged; never another path. Raises NotFound,
    IndexUnusable."""
    with open_snapshot(index_dir) as snapshot:
        docs = items_of_case(snapshot, index_dir, case)
        path = snapshot.stored(min(docs.values())).get("path", "")
        indexed_digest = snapshot.manifest().get(path, {}).get("sha256")
    source = read_source(Path(path), indexed_digest)
    if source.problem:
        raise NotFound(f"{case}: {source.problem}")
    return source
