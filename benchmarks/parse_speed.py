"""Parse speed on one core: letters per second from text and from PDF.

    python benchmarks/parse_speed.py [--seconds 5]

Runs the whole pipeline (read, clean, parse, enrich) over the sample letters, round after
round, and reports letters/s for the .txt letters and the .pdf letters separately. Text
extraction from PDF is included in the PDF figure; that is what a user pays.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from imr_search.letters.files import read_letter

ROOT = Path(__file__).resolve().parent.parent


def letters_per_second(paths: list[Path], seconds: float) -> tuple[float, int]:
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for path in paths:
            read_letter(path)
        done += len(paths)
    return done / (time.perf_counter() - start), done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="time per measurement")
    args = parser.parse_args()
    texts = sorted((ROOT / "tests" / "golden").glob("[rs]*/*.txt"))
    pdfs = sorted((ROOT / "corpus").glob("*.pdf"))
    read_letter(texts[0])  # load the drug table and imports outside the timing
    text_rate, text_n = letters_per_second(texts, args.seconds)
    pdf_rate, pdf_n = letters_per_second(pdfs, args.seconds)
    result = {
        "python": platform.python_version(),
        "text_letters_per_s": round(text_rate, 1),
        "text_letters_parsed": text_n,
        "pdf_letters_per_s": round(pdf_rate, 1),
        "pdf_letters_parsed": pdf_n,
        "pdf_vs_text": round(pdf_rate / text_rate, 3),
    }
    out = ROOT / "benchmarks" / "results" / "parse_speed.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"from text: {text_rate:8.1f} letters/s ({text_n} letters)")
    print(f"from PDF:  {pdf_rate:8.1f} letters/s ({pdf_n} letters)")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
