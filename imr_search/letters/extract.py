"""Stage 1: a file on disk to raw text.

`.txt` files are decoded as UTF-8 (with or without a byte-order mark), falling back to
cp1252 and then Latin-1, which decodes any byte; `.pdf` files go through pypdfium2, every
page, pages separated by form feeds as pdftotext separates them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

SUFFIXES = (".txt", ".pdf")

# A letter is a few pages: anything far larger is not one, and reading it whole would
# only waste memory.
MAX_BYTES = 20 * 1024 * 1024


class ExtractError(Exception):
    """A file that cannot be turned into text; the message names the problem."""


@dataclass(frozen=True)
class Extracted:
    text: str
    warnings: tuple[str, ...] = ()
    # The SHA-256 and the length of the bytes the text came from: the index records them of
    # the file, from the one read that gave the letter (a run reads a new file once, not to
    # digest it and again to parse it, and what it records is what it read).
    digest: str = ""
    size: int = 0


def data_digest(data: bytes) -> str:
    """The SHA-256 of a file's bytes: what says whether it changed since it was indexed."""
    return hashlib.sha256(data).hexdigest()


def read_text(path: Path) -> Extracted:
    """The text of a letter file. Raises ExtractError with a one-line reason."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ExtractError(f"unsupported file type {suffix or '(none)'!r}; expected .txt or .pdf")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ExtractError(f"cannot read: {exc.strerror}") from exc
    if size == 0:
        raise ExtractError("empty file")
    if size > MAX_BYTES:
        raise ExtractError(
            f"file too large for a letter ({size / 1e6:.0f} MB; the limit is "
            f"{MAX_BYTES / 1e6:.0f} MB)"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractError(f"cannot read: {exc.strerror}") from exc
    if suffix == ".pdf":
        return Extracted(pdf_text(data), digest=data_digest(data), size=len(data))
    return replace(decode_text(data), digest=data_digest(data), size=len(data))


def decode_text(data: bytes) -> Extracted:
    """Bytes of a text file as str; binary data is refused, other encodings tolerated."""
    if b"\x00" in data[:4096]:
        raise ExtractError("binary file, not text")
    try:
        return Extracted(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    try:
        return Extracted(data.decode("cp1252"), ("not valid UTF-8; read as cp1252",))
    except UnicodeDecodeError:  # cp1252 leaves five bytes undefined; latin-1 has them all
        return Extracted(data.decode("latin-1"), ("not valid UTF-8; read as latin-1",))


def pdf_text(data: bytes) -> str:
    """All pages' text of a PDF, joined by form feeds."""
    import pypdfium2 as pdfium  # imported here: text-only runs need not load it

    if not data.startswith(b"%PDF"):
        raise ExtractError("not a PDF file (no %PDF header)")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        reason = str(exc)
        if "password" in reason.lower():
            raise ExtractError("encrypted PDF (password required)") from exc
        raise ExtractError(f"damaged or truncated PDF ({reason})") from exc
    try:
        pages = []
        for page in document:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
    except pdfium.PdfiumError as exc:
        raise ExtractError(f"damaged PDF page ({exc})") from exc
    finally:
        document.close()
    text = "\f".join(pages)
    if not text.strip():
        raise ExtractError("PDF has no text layer (scanned image?)")
    return text
