"""Files to letters: finding letter files and running the pipeline on each."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from operator import attrgetter
from pathlib import Path

from .extract import SUFFIXES, Extracted, ExtractError, data_digest, read_text
from .models import Letter

# The parser and the enrichment are imported where a letter is read (read_letter,
# read_document): a query needs the drug table and the models, not the parser.


class LetterError(Exception):
    """A file that yields no letter; the message says why, in one line."""


def find_letter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The .txt and .pdf files named or found (recursively, in name order) under `paths`.

    A path that does not exist is yielded as is, so that reading it reports the problem.
    """
    for path in paths:
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
            yield from sorted(found, key=attrgetter("parts"))  # Path's order, compared in C
        else:
            yield path


def extracted_text(path: Path) -> Extracted:
    """The raw text of a .txt or .pdf file. Raises LetterError."""
    if not path.exists():
        raise LetterError("no such file")
    if path.is_dir():
        raise LetterError("is a folder")
    try:
        return read_text(path)
    except ExtractError as exc:
        raise LetterError(str(exc)) from exc


def read_letter(path: Path) -> Letter:
    """The parsed and enriched letter in a file. Raises LetterError."""
    return letter_of(path, extracted_text(path))


def letter_of(path: Path, extracted: Extracted) -> Letter:
    """The parsed and enriched letter in the text of the file `path`. Raises LetterError."""
    from .enrich import enrich_letter
    from .parse import NOT_A_LETTER, parse_letter

    letter = parse_letter(extracted.text, path)
    if NOT_A_LETTER in letter.warnings:
        raise LetterError(NOT_A_LETTER)
    return enrich_letter(replace(letter, warnings=extracted.warnings + letter.warnings))


def read_document(path: Path) -> tuple[str, Letter | None]:
    """Any document (a UR denial, a request for authorization, a physician's report, an
    IMR letter) read as letters are: its clean text, and the letter it is, when it is an
    IMR letter whose items could be read. Raises LetterError."""
    from .clean import clean_text
    from .enrich import enrich_letter
    from .parse import NOT_A_LETTER, parse_letter

    extracted = extracted_text(path)
    letter = parse_letter(extracted.text, path)
    if NOT_A_LETTER in letter.warnings or not letter.items:
        return clean_text(extracted.text), None
    return clean_text(extracted.text), enrich_letter(letter)


@dataclass(frozen=True)
class Reading:
    """One read of a letter file: its letter, or why there is none; and the SHA-256 and the
    length of the bytes read (None where none could be read)."""

    letter: Letter | None
    reason: str | None = None
    digest: str | None = None
    size: int | None = None


def read_letter_or_reason(path: Path) -> Reading:
    """The file's letter or why not: never raises, so one bad file stops no other."""
    extracted = None
    try:
        extracted = extracted_text(path)
        return Reading(letter_of(path, extracted), None, extracted.digest, extracted.size)
    except LetterError as exc:
        reason = str(exc)
    except Exception as exc:  # noqa: BLE001 - a bug on one odd file must not stop the rest
        reason = f"unexpected error ({type(exc).__name__}: {exc})"
    if extracted is None:  # nothing was read
        return Reading(None, reason)
    return Reading(None, reason, extracted.digest, extracted.size)


def file_digest(path: Path) -> str:
    """A file's SHA-256, as `data_digest` gives it of its bytes."""
    return data_digest(path.read_bytes())
