"""Files to letters: finding letter files and running the pipeline on each."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import replace
from operator import attrgetter
from pathlib import Path

from .extract import SUFFIXES, Extracted, ExtractError, read_text
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
    from .enrich import enrich_letter
    from .parse import NOT_A_LETTER, parse_letter

    extracted = extracted_text(path)
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


def read_letter_or_reason(path: Path) -> tuple[Letter | None, str | None]:
    """(letter, None) or (None, why not): never raises, so one bad file stops no other."""
    try:
        return read_letter(path), None
    except LetterError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - a bug on one odd file must not stop the rest
        return None, f"unexpected error ({type(exc).__name__}: {exc})"


def file_digest(path: Path) -> str:
    """A file's SHA-256: what says whether it changed since it was indexed."""
    return data_digest(path.read_bytes())


def data_digest(data: bytes) -> str:
    """The SHA-256 of a file's bytes, as `file_digest` gives it."""
    return hashlib.sha256(data).hexdigest()
