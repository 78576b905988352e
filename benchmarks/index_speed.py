"""Index throughput, peak memory and incremental update time, beside plain Whoosh.

    python benchmarks/index_speed.py [--letters 5000] [--jobs 2]

From one run, on the same synthetic letters (benchmarks/synthetic.py):
- imr-search: `index_paths` (worker processes, tuned writer), parsing included;
- plain Whoosh: the same parsed letters through a default-settings writer and a schema of
  plain TEXT/ID fields, one process, parsing included;
- incremental: imr-search re-run with 1% of the files changed.
Each contender runs in a fresh process so that its peak memory (the largest resident set of
its process and its worker processes) is its own.
Results go to benchmarks/results/index_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import write_letters  # noqa: E402


def run_imr_search(letters: str, index_dir: str, jobs: int) -> dict:
    from imr_search.indexer import index_paths

    started = time.perf_counter()
    report = index_paths([Path(letters)], Path(index_dir), jobs=jobs)
    return {
        "seconds": time.perf_counter() - started,
        "items": report.items,
        "new": len(report.new),
        "updated": len(report.updated),
    }


def run_plain_whoosh(letters: str, index_dir: str, jobs: int) -> dict:
    from whoosh import index
    from whoosh.fields import ID, KEYWORD, TEXT, Schema

    from imr_search.letters import find_letter_files, read_letter

    started = time.perf_counter()
    schema = Schema(
        case=ID(stored=True),
        item=TEXT(stored=True),
        outcome=KEYWORD(stored=True),
        rationale=TEXT(stored=True),
        summary=TEXT,
        guideline=TEXT,
        specialty=KEYWORD(stored=True, commas=True),
    )
    Path(index_dir).mkdir()
    ix = index.create_in(index_dir, schema)
    writer = ix.writer()
    items = 0
    for path in find_letter_files([Path(letters)]):
        letter = read_letter(path)
        for item in letter.items:
            writer.add_document(
                case=letter.case,
                item=item.item,
                outcome=item.outcome,
                rationale=item.rationale,
                summary=letter.summary,
                guideline=item.maximus_guideline.text,
                specialty=",".join(letter.specialties),
            )
            items += 1
    writer.commit()
    return {"seconds": time.perf_counter() - started, "items": items}


CONTENDERS = {"imr-search": run_imr_search, "plain-whoosh": run_plain_whoosh}


def measure(name: str, letters: Path, index_dir: Path, jobs: int) -> dict:
    """Run one contender in a fresh process; its result with its peak memory."""
    command = [sys.executable, __file__, "--run", name, str(letters), str(index_dir), str(jobs)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_one(name: str, letters: str, index_dir: str, jobs: str) -> None:
    """In the fresh process: run, then report the largest resident set, ours or a worker's."""
    result = CONTENDERS[name](letters, index_dir, int(jobs))
    peak_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(json.dumps(dict(result, peak_mb=peak_kb / 1024)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--run", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_one(*args.run)
        return
    work = Path(tempfile.mkdtemp(prefix="imr-bench-"))
    try:
        letters = work / "letters"
        paths = write_letters(letters, args.letters)
        results = {name: measure(name, letters, work / name, args.jobs) for name in CONTENDERS}
        for path in paths[::100]:  # change 1% of the files
            path.write_text(path.read_text().replace("Standard", "Expedited", 1))
        results["imr-search incremental (1% changed)"] = measure(
            "imr-search", letters, work / "imr-search", args.jobs
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for result in results.values():
        result["items_per_s"] = round(result["items"] / result["seconds"], 1)
        result["seconds"] = round(result["seconds"], 2)
        result["peak_mb"] = round(result["peak_mb"], 1)
    ours, plain = results["imr-search"], results["plain-whoosh"]
    incremental = results["imr-search incremental (1% changed)"]
    summary = {
        "letters": args.letters,
        "jobs": args.jobs,
        "results": results,
        "throughput_vs_plain_whoosh": round(ours["items_per_s"] / plain["items_per_s"], 2),
        "incremental_vs_full_build": round(incremental["seconds"] / ours["seconds"], 3),
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "index_speed.json").write_text(json.dumps(summary, indent=2) + "\n")
    rows = ["| run | seconds | items | items/s | peak MB |", "| --- | --- | --- | --- | --- |"]
    rows += [
        f"| {name} | {r['seconds']} | {r['items']} | {r['items_per_s']} | {r['peak_mb']} |"
        for name, r in results.items()
    ]
    rows += [
        "",
        f"imr-search / plain Whoosh throughput: {summary['throughput_vs_plain_whoosh']}x; "
        f"incremental / full build time: {summary['incremental_vs_full_build']}",
    ]
    (out / "index_speed.md").write_text("\n".join(rows) + "\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
