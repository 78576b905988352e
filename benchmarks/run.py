"""The firm-scale benchmark: one run, every figure, imr-search beside its peers.

    python benchmarks/run.py [--letters 20000] [--repeats 5] [--jobs 2]

On N synthetic letters (benchmarks/synthetic.py) it reports:
- parse speed, letters/s on one core;
- index throughput (items/s, parsing included) and peak memory of imr-search and of plain
  Whoosh at its default settings, each in a fresh process;
- the re-index time with 1% of the files changed, against the full build;
- per-query p50/p95 over a fixed set of 13 queries, each run including the total count,
  four facets and ten highlighted snippets, through imr-search, plain Whoosh, tantivy and
  SQLite FTS5 (benchmarks/query_speed.py), with the first (cold) run of each query apart;
- the wall time of the `imr-search query` command end to end (a new process each time).
Results go to benchmarks/results/run-N.{json,md}. Needs the `bench` extra; `--no-peers`
measures imr-search alone.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from index_speed import measure  # noqa: E402
from query_speed import item_documents, query_latencies  # noqa: E402
from synthetic import write_letters  # noqa: E402

PARSE_SAMPLE = 2000  # letters parsed for the parse-speed figure
CLI_QUERY = '"acute exacerbation" AND outcome:Upheld'
CLI_RUNS = 5


def parse_speed(paths: list[Path]) -> float:
    from imr_search.letters import read_letter

    read_letter(paths[0])  # imports and the drug table outside the timing
    started = time.perf_counter()
    for path in paths:
        read_letter(path)
    return len(paths) / (time.perf_counter() - started)


def cli_wall_seconds(index_dir: Path) -> list[float]:
    command = [
        str(Path(sys.executable).with_name("imr-search")),
        "query",
        CLI_QUERY,
        "--index",
        str(index_dir),
        "--facet",
        "specialty",
        "--facet",
        "year",
        "--facet",
        "category",
    ]
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
    args = parser.parse_args()
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
        documents = item_documents(letters) if args.peers else None
        report["query"] = query_latencies(work / "imr-search", documents, work, args.repeats)
        walls = cli_wall_seconds(work / "imr-search")
        report["cli_query_wall_s"] = {
            "query": CLI_QUERY,
            "median": round(statistics.median(walls), 3),
            "max": round(max(walls), 3),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    save_report(f"run-{args.letters}", report, markdown(report))


def save_report(name: str, report: dict, text: str) -> None:
    """benchmarks/results/NAME.json and NAME.md, and the text printed."""
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / f"{name}.md").write_text(text)
    print(text)


def markdown(report: dict) -> str:
    index = report["index"]
    ours, incremental = index["imr-search"], index["incremental_1pct"]
    lines = [
        f"{report['letters']} synthetic letters, {report['items']} items; "
        f"{report['cpus']} cores, Python {report['python']}",
        "",
        f"- parse: {report['parse_letters_per_s']} letters/s (one core)",
        f"- index, imr-search: {ours['seconds']:.1f} s, {ours['items_per_s']} items/s, "
        f"peak {ours['peak_mb']:.0f} MB",
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
        f"- `imr-search query` end to end: median {report['cli_query_wall_s']['median']} s, "
        f"max {report['cli_query_wall_s']['max']} s",
        "",
    ]
    query = report["query"]
    names = list(query["summary"])
    lines += [
        "Per query, ms: p50 / p95 of the repeats, the first (cold) run, and the total found:",
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
