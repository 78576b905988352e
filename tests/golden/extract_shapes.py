"""Regenerate the golden text shapes of the sample PDFs.

    python tests/golden/extract_shapes.py

Writes, for every PDF in corpus/, the text four extractors give of it:
`real/<case>.txt` (pdftotext, default mode) and `variants/<case>.{layout,raw,pdfminer,pymupdf}.txt`
(pdftotext -layout and -raw, pdfminer.six's extract_text, PyMuPDF's page text joined by form
feeds). The tests read these committed files, so they need neither poppler nor the two
Python extractors; this script does (poppler-utils, and the `test` extra).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent
CORPUS = GOLDEN.parent.parent / "corpus"


def pdftotext(pdf: Path, *mode: str) -> str:
    done = subprocess.run(
        ["pdftotext", *mode, str(pdf), "-"], check=True, capture_output=True, text=True
    )
    return done.stdout


def pdfminer_text(pdf: Path) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(str(pdf))


def pymupdf_text(pdf: Path) -> str:
    import pymupdf

    with pymupdf.open(pdf) as document:
        return "\f".join(page.get_text() for page in document)


SHAPES = {
    "layout": lambda pdf: pdftotext(pdf, "-layout"),
    "raw": lambda pdf: pdftotext(pdf, "-raw"),
    "pdfminer": pdfminer_text,
    "pymupdf": pymupdf_text,
}


def main() -> None:
    for pdf in sorted(CORPUS.glob("*.pdf")):
        (GOLDEN / "real" / f"{pdf.stem}.txt").write_text(pdftotext(pdf), encoding="utf-8")
        for shape, extract in SHAPES.items():
            out = GOLDEN / "variants" / f"{pdf.stem}.{shape}.txt"
            out.write_text(extract(pdf), encoding="utf-8")


if __name__ == "__main__":
    main()
