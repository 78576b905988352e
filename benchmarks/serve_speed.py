"""The served search: HTTP request to response of `imr-search serve`, beside the command
line's end-to-end time, over the fixed query set of benchmarks/query_speed.py.

    python benchmarks/serve_speed.py --letters 20000 [--repeats 5] [--jobs 2] [--index DIR]

On N synthetic letters (benchmarks/synthetic.py, indexed with `imr-search index --jobs`;
or an index already built, with `--index`), `imr-search serve` runs in its own process and
each query is asked, over HTTP, of:
- `/api/search` with three facets and 10 hits: the count, four facets and ten snippets,
  the work of `imr-search query --facet specialty --facet year --facet category`;
- `/`, the search page: the count, eight facets, 20 hits with snippets, as HTML;
and the same query through the `imr-search query` command, a new process each time.
Each reports the first (cold) answer apart and p50/p95 over the repeats of all queries.
Then `/export.csv`, every hit of the query (once each: `*` is every item), its time and
rows, and the time a thousand rows take.
Results go to benchmarks/results/serve-N.{json,md}.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from query_speed import FACETS, QUERIES, percentile  # noqa: E402
from run import save_report  # noqa: E402
from synthetic import write_letters  # noqa: E402

COMMAND = str(Path(sys.executable).with_name("imr-search"))
CLI_REPEATS = 3  # a new process each time: the start-up is most of it


def build(letters: int, work: Path, jobs: int) -> Path:
    folder, index_dir = work / "letters", work / "index"
    write_letters(folder, letters)
    command = [COMMAND, "index", str(folder), "--index", str(index_dir), "--jobs", str(jobs)]
    subprocess.run([*command, "--quiet"], check=True, capture_output=True)
    return index_dir


def served(index_dir: Path) -> tuple[subprocess.Popen, str]:
    """`imr-search serve` on a free port, and its address."""
    process = subprocess.Popen(
        [COMMAND, "serve", "--index", str(index_dir), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline()
    return process, re.search(r"(http://\S+/)", line).group(1)


def timed_get(url: str) -> float:
    """Milliseconds from the request to the whole response."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()
        assert response.status == 200, url
    return (time.perf_counter() - started) * 1000


def timed_export(url: str) -> tuple[float, int]:
    """Milliseconds from the request to the whole export, and its rows."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=3600) as response:
        rows = sum(1 for _ in response) - 1  # less the header (no value holds a line break)
    return (time.perf_counter() - started) * 1000, rows


def cli_ms(index_dir: Path, text: str) -> float:
    facets = [part for name in FACETS for part in ("--facet", name)]
    started = time.perf_counter()
    command = [COMMAND, "query", text, "--index", str(index_dir), "--format", "json", *facets]
    subprocess.run(command, capture_output=True)  # exit status 1 when nothing matches
    return (time.perf_counter() - started) * 1000


def measure(index_dir: Path, repeats: int) -> dict:
    process, base = served(index_dir)
    try:
        targets = {
            "api": lambda text: base + "api/search?" + urlencode(
                [("q", text), *(("facet", name) for name in FACETS)]
            ),
            "page": lambda text: base + "?" + urlencode({"q": text}),
        }  # fmt: skip
        rows, overall = [], {"api": [], "page": [], "cli": []}
        for texts in QUERIES:
            text = texts[0]
            row = {"query": text}
            for name, url_of in targets.items():
                url = url_of(text)
                cold = timed_get(url)
                times = [timed_get(url) for _ in range(repeats)]
                overall[name] += times
                row[name] = figures(times, cold)
            times = [cli_ms(index_dir, text) for _ in range(CLI_REPEATS)]
            overall["cli"] += times
            row["cli"] = figures(times, times[0])
            took, exported = timed_export(base + "export.csv?" + urlencode({"q": text}))
            row["export"] = {
                "ms": round(took, 1),
                "rows": exported,
                "ms_per_1000_rows": round(took / exported * 1000, 1) if exported else None,
            }
            rows.append(row)
    finally:
        process.terminate()
        process.wait()
    summary = {name: figures(times) for name, times in overall.items()}
    return {"queries": rows, "summary": summary}


def figures(times: list[float], cold: float | None = None) -> dict:
    shown = {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
    }
    if cold is not None:
        shown["cold_ms"] = round(cold, 1)
    return shown


def markdown(report: dict) -> str:
    summary = report["summary"]
    lines = [
        f"{report['letters']} synthetic letters, {report['items']} items; "
        f"{report['cpus']} cores; `imr-search serve` in its own process, one request at a time",
        "",
        "| | p50 ms | p95 ms |",
        "| --- | --- | --- |",
        f"| `/api/search` (count, 4 facets, 10 snippets) | {summary['api']['p50_ms']} | "
        f"{summary['api']['p95_ms']} |",
        f"| `/` search page (count, 8 facets, 20 snippets, HTML) | {summary['page']['p50_ms']} | "
        f"{summary['page']['p95_ms']} |",
        f"| `imr-search query` end to end (same as the API) | {summary['cli']['p50_ms']} | "
        f"{summary['cli']['p95_ms']} |",
        "",
        "Per query, ms: p50 / p95 (first, cold answer):",
        "",
        "| query | `/api/search` | `/` | `imr-search query` | `/export.csv`: ms, rows "
        "(ms a 1,000 rows) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in report["queries"]:
        cells = [
            f"{row[n]['p50_ms']} / {row[n]['p95_ms']} ({row[n]['cold_ms']})"
            for n in ("api", "page", "cli")
        ]
        export = row["export"]
        cells.append(f"{export['ms']}, {export['rows']} ({export['ms_per_1000_rows']})")
        lines.append(f"| `{row['query']}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--index", type=Path, help="an index of --letters synthetic letters")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="imr-serve-bench-"))
    try:
        index_dir = args.index or build(args.letters, work, args.jobs)
        info = subprocess.run(
            [COMMAND, "info", "--index", str(index_dir)], check=True, capture_output=True, text=True
        ).stdout
        report = {
            "letters": args.letters,
            "items": int(re.search(r"^items: (\d+)", info, re.M).group(1)),
            "cpus": os.cpu_count(),
            "repeats": args.repeats,
            **measure(index_dir, args.repeats),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    save_report(f"serve-{args.letters}", report, markdown(report))


if __name__ == "__main__":
    main()
