"""The firm-scale benchmark: one run, every figure, imr-search beside its peers.

    python benchmarks/run.py [--letters 20000] [--repeats 5] [--jobs 2] [--keep FOLDER]

On N synthetic letters (benchmarks/synthetic.py) it reports:
- parse speed, letters/s on one core;
- index throughput (items/s, parsing included) and peak memory (of the largest process, and
  of all its processes together) of imr-search and of plain Whoosh at its default settings,
  each in a fresh process;
- the re-index time with 1% of the files changed, against the full build; then the time to
  index 3,000 new letters into it (a week of the state's), and the segments after;
- per-query p50/p95 over a fixed set of 13 queries, each run including the total count,
  four facets and ten highlighted snippets, through imr-search, plain Whoosh, tantivy and
  SQLite FTS5 (benchmarks/query_speed.py), with the first (cold) run of each query apart;
- the wall time of the `imr-search query` command end to end (a new process each time).
Results go to benchmarks/results/run-N.{json,md}. Needs the `bench` extra; `--no-peers`
measures imr-search alone. `--scale` runs nothing: it fits each figure of the saved runs
of 20,000 letters or more against N (build time, index size, peak memory, each query) and
projects it to 400,000, 1,000,000 and 1,700,000 letters, in benchmarks/results/scale.{json,md}.
Each run writes its report into benchmarks/results/ (tracked files): a quick run of a few
thousand letters is kept out of the fit, but replaces the report of a run of its own size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from index_speed import measure  # noqa: E402
from query_speed import item_documents, query_latencies  # noqa: E402
from startup import QUERY as CLI_QUERY  # noqa: E402
from startup import table_query  # noqa: E402
from synthetic import write_letters  # noqa: E402

PARSE_SAMPLE = 2000  # letters parsed for the parse-speed figure
WEEKLY = 3000  # about a week of the state's letters, added to the index built
CLI_RUNS = 5


def parse_speed(paths: list[Path]) -> float:
    from imr_search.letters.files import read_letter

    read_letter(paths[0])  # imports and the drug table outside the timing
    started = time.perf_counter()
    for path in paths:
        read_letter(path)
    return len(paths) / (time.perf_counter() - started)


def cli_wall_seconds(index_dir: Path) -> list[float]:
    command = [str(Path(sys.executable).with_name("imr-search")), *table_query(index_dir)]
    times = []
    for _ in range(CLI_RUNS):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--no-peers",
        dest="peers",
        action="store_false",
        help="imr-search alone (for the largest corpora: the peers take longer than it)",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="instead of a run, fit each figure of the runs in benchmarks/results against N",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="FOLDER",
        help="build in this new folder and keep it (letters and index), to query it again later",
    )
    args = parser.parse_args()
    if args.scale:
        save_report("scale", *scale_report(RESULTS))
        return
    if args.keep:
        if args.keep.exists():  # a new folder: a run never mixes with another's files
            parser.error(f"--keep {args.keep}: the folder exists; name a new one")
        args.keep.mkdir(parents=True)
        work = args.keep
    else:
        work = Path(tempfile.mkdtemp(prefix="imr-bench-"))
    report: dict = {
        "letters": args.letters,
        "jobs": args.jobs,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    try:
        letters = work / "letters"
        paths = write_letters(letters, args.letters)
        report["parse_letters_per_s"] = round(parse_speed(paths[:PARSE_SAMPLE]), 1)
        ours = measure("imr-search", letters, work / "imr-search", args.jobs)
        ours["items_per_s"] = round(ours["items"] / ours["seconds"], 1)
        ours["size_mb"] = round(folder_bytes(work / "imr-search") / 2**20, 1)
        report["items"] = ours["items"]
        report["index"] = {"imr-search": ours}
        if args.peers:
            plain = measure("plain-whoosh", letters, work / "plain-whoosh", args.jobs)
            plain["items_per_s"] = round(plain["items"] / plain["seconds"], 1)
            report["index"]["plain-whoosh"] = plain
            report["index"]["throughput_vs_plain_whoosh"] = round(
                ours["items_per_s"] / plain["items_per_s"], 2
            )
        for path in paths[::100]:  # change 1% of the files
            path.write_text(path.read_text().replace("Standard", "Expedited", 1))
        incremental = measure("imr-search", letters, work / "imr-search", args.jobs)
        report["index"]["incremental_1pct"] = incremental
        report["index"]["incremental_vs_full_build"] = round(
            incremental["seconds"] / ours["seconds"], 3
        )
        write_letters(letters, WEEKLY, seed=8, first=args.letters)
        report["index"]["weekly_update"] = measure(
            "imr-search", letters, work / "imr-search", args.jobs
        )
        report["index"]["segments"] = segment_count(work / "imr-search")
        documents = item_documents(letters) if args.peers else None
        report["query"] = query_latencies(work / "imr-search", documents, work, args.repeats)
        walls = cli_wall_seconds(work / "imr-search")
        report["cli_query_wall_s"] = {
            "query": CLI_QUERY,
            "median": round(statistics.median(walls), 3),
            "max": round(max(walls), 3),
        }
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    save_report(f"run-{args.letters}", report, markdown(report))


def segment_count(index_dir: Path) -> int:
    from whoosh.index import open_dir

    from imr_search.engine.store import INDEX_NAME, live_store

    with open_dir(str(live_store(index_dir)), indexname=INDEX_NAME).reader() as reader:
        return len(reader.leaf_readers())


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


# ---------------------------------------------------------------- cost against N

PROJECTED = (400_000, 1_000_000, 1_700_000)  # the whole state: about 1.7 million letters
# Runs smaller than this are left out of the fit: their figures are mostly what a query or a
# run costs whatever the size (a quick check run would bend the curve).
FIT_FROM = 20_000


def scale_report(folder: Path) -> tuple[dict, str]:
    """Each figure of the runs saved in `folder` (run-N.json), fitted as a power of N
    (least squares on logarithms: cost = a * N^b) and projected to the whole state's size.
    Two runs make a line through both; more show how well the curve holds."""
    runs = sorted(
        (json.loads(path.read_text()) for path in folder.glob("run-*.json")),
        key=lambda run: run["letters"],
    )
    runs = [run for run in runs if run["letters"] >= FIT_FROM]
    figures: dict[str, list[tuple[int, float]]] = {}

    def add(name: str, letters: int, value) -> None:
        if value is not None:
            figures.setdefault(name, []).append((letters, float(value)))

    for run in runs:
        n, ours = run["letters"], run["index"]["imr-search"]
        add("build s", n, ours["seconds"])
        add("peak MB", n, ours["peak_mb"])
        add("all processes MB", n, ours.get("all_processes_mb"))
        add("index MB", n, ours.get("size_mb"))
        add(f"{WEEKLY:,} new letters s", n, run["index"].get("weekly_update", {}).get("seconds"))
        add("query p50 ms (all)", n, run["query"]["summary"]["imr-search"]["p50_ms"])
        add("query p95 ms (all)", n, run["query"]["summary"]["imr-search"]["p95_ms"])
        for row in run["query"]["queries"]:
            add(f"`{row['query']}` p50 ms", n, row["imr-search"]["p50_ms"])
    fits = {}
    for name, points in figures.items():
        if len({n for n, _ in points}) < 2:
            continue
        slope, intercept = np.polyfit(*np.log([[n for n, _ in points], [v for _, v in points]]), 1)
        fits[name] = {
            "measured": {str(n): v for n, v in points},
            "exponent": round(float(slope), 3),
            "projected": {str(n): round(float(np.exp(intercept) * n**slope), 1) for n in PROJECTED},
        }
    report = {"runs": [run["letters"] for run in runs], "fits": fits}
    return report, scale_markdown(report)


def scale_markdown(report: dict) -> str:
    lines = [
        f"Cost against N letters, fitted as a * N^b over the runs of "
        f"{', '.join(f'{n:,}' for n in report['runs'])} letters (each a single run, on a "
        "machine that may have been shared: see each run's own report):",
        "",
        "| figure | measured | b | " + " | ".join(f"{n:,}" for n in PROJECTED) + " |",
        "| --- | --- | --- |" + " --- |" * len(PROJECTED),
    ]
    for name, fit in report["fits"].items():
        measured = ", ".join(f"{int(n):,}: {v:.4g}" for n, v in fit["measured"].items())
        projected = " | ".join(f"{fit['projected'][str(n)]:g}" for n in PROJECTED)
        lines.append(f"| {name} | {measured} | {fit['exponent']} | {projected} |")
    return "\n".join(lines) + "\n"


RESULTS = ROOT / "benchmarks" / "results"


def save_report(name: str, report: dict, text: str) -> None:
    """benchmarks/results/NAME.json and NAME.md, and the text printed."""
    out = RESULTS
    out.mkdir(exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / f"{name}.md").write_text(text)
    print(text)


def all_processes(measured: dict) -> str:
    """The most its processes held at once, where measured (index_speed.measure)."""
    if "all_processes_mb" not in measured:
        return ""
    return f" (one process), {measured['all_processes_mb']:.0f} MB all processes together"


def markdown(report: dict) -> str:
    index = report["index"]
    ours, incremental = index["imr-search"], index["incremental_1pct"]
    lines = [
        f"{report['letters']} synthetic letters, {report['items']} items; "
        f"{report['cpus']} cores, Python {report['python']}",
        "",
        f"- parse: {report['parse_letters_per_s']} letters/s (one core)",
        f"- index, imr-search: {ours['seconds']:.1f} s, {ours['items_per_s']} items/s, "
        f"peak {ours['peak_mb']:.0f} MB{all_processes(ours)}",
    ]
    if "plain-whoosh" in index:
        plain = index["plain-whoosh"]
        lines += [
            f"- index, plain Whoosh: {plain['seconds']:.1f} s, {plain['items_per_s']} items/s, "
            f"peak {plain['peak_mb']:.0f} MB",
            "- index throughput, imr-search / plain Whoosh: "
            f"{index['throughput_vs_plain_whoosh']}x",
        ]
    lines += [
        f"- re-index with 1% changed: {incremental['seconds']:.2f} s, "
        f"{index['incremental_vs_full_build']:.1%} of the full build",
        *(
            [
                f"- {WEEKLY:,} new letters into it: {index['weekly_update']['seconds']:.1f} s, "
                f"peak {index['weekly_update']['peak_mb']:.0f} MB"
                f"{all_processes(index['weekly_update'])}; {index['segments']} segments "
                f"after, index {ours['size_mb']:,} MB before"
            ]
            if "weekly_update" in index
            else []
        ),
        f"- `imr-search query` end to end: median {report['cli_query_wall_s']['median']} s, "
        f"max {report['cli_query_wall_s']['max']} s",
        "",
    ]
    query = report["query"]
    names = list(query["summary"])
    searched = (
        f"over the index after the re-index and the {WEEKLY:,} new letters "
        f"({report['letters'] + WEEKLY:,} letters, {index['segments']} segments)"
        if "weekly_update" in index
        else "over the index"
    )
    lines += [
        f"Per query, {searched}, ms: p50 / p95 of the repeats, the first (cold) run, and the "
        "total found:",
        "",
        "| query | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    for row in query["queries"]:
        if "kind" in row:
            continue
        cells = [
            f"{row[n]['p50_ms']} / {row[n]['p95_ms']}, cold {row[n]['cold_ms']} ({row[n]['total']})"
            for n in names
        ]
        lines.append(f"| `{row['query']}` | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| engine | p50 ms | p95 ms | imr-search p50 / its p50 | imr-search p95 / its p95 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, figures in query["summary"].items():
        lines.append(
            f"| {name} | {figures['p50_ms']} | {figures['p95_ms']} | "
            f"{figures.get('imr_search_p50_ratio', '')} | "
            f"{figures.get('imr_search_p95_ratio', '')} |"
        )
    lines += [
        "",
        "Terms and connectors and words as written (imr-search alone), ms: p50 / p95, cold, total:",
        "",
        "| query | kind | imr-search |",
        "| --- | --- | --- |",
    ]
    for row in query["queries"]:
        if "kind" in row:
            ours = row["imr-search"]
            lines.append(
                f"| `{row['query']}` | {row['kind']} | {ours['p50_ms']} / {ours['p95_ms']}, "
                f"cold {ours['cold_ms']} ({ours['total']}) |"
            )
    lines += [
        "",
        "| kind | p50 ms | p95 ms | p95 / the phrase queries' p95 |",
        "| --- | --- | --- | --- |",
    ]
    for kind, figures in query["kinds"].items():
        ratio = figures.get("p95_vs_phrases_p95", "")
        lines.append(f"| {kind} | {figures['p50_ms']} | {figures['p95_ms']} | {ratio} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
