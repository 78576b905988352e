"""What a command costs before it does anything: the wall time of `imr-search` commands
end to end, and the modules each imports, with their import times.

    python benchmarks/startup.py [--index DIR] [--runs 9]

Each command runs `--runs` times in a new process; the report gives the median and the
slowest, then, for each command, the slowest imports `python -X importtime` shows (their
own time and with what they import) and the count of modules imported. With `--index`,
`query` runs on that index (e.g. one of 20,000 letters that benchmarks/run.py built);
without it, on an index of corpus/ built in a temporary folder. Writes
benchmarks/results/startup.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND = str(Path(sys.executable).with_name("imr-search"))
QUERY = '"acute exacerbation" AND outcome:Upheld'
SHOWN_IMPORTS = 12


def commands(index_dir: Path) -> dict[str, list[str]]:
    index = ["--index", str(index_dir)]
    return {
        "--help": ["--help"],
        "query --help": ["query", "--help"],
        "query (json)": ["query", QUERY, *index, "--format", "json"],
        "query (table)": ["query", QUERY, *index, "--no-color"],
        "stats (json)": ["stats", QUERY, "--by", "specialty", *index, "--format", "json"],
        "info": ["info", *index],
    }


def wall_times(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([COMMAND, *args], capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return times


def imports(args: list[str]) -> tuple[int, list[dict]]:
    """The count of modules a command imports, and the slowest by their time with what
    they import (microseconds, from `-X importtime`)."""
    code = "import sys; sys.argv[0] = 'imr-search'; from imr_search.console import main; main()"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if found:
            own, cumulative, depth, name = found.groups()
            rows.append({"module": name, "own_us": int(own), "with_imports_us": int(cumulative),
                         "depth": len(depth) // 2})  # fmt: skip
    top = [row for row in rows if row["depth"] <= 1]
    top.sort(key=lambda row: -row["with_imports_us"])
    return len(rows), top[:SHOWN_IMPORTS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="imr-startup-"))
    try:
        index_dir = args.index
        if index_dir is None:
            index_dir = work / "index"
            subprocess.run(
                [COMMAND, "index", str(ROOT / "corpus"), "--index", str(index_dir), "-q"],
                check=True,
                capture_output=True,
            )
        report = {"index": str(index_dir), "runs": args.runs, "commands": {}}
        for name, command in commands(index_dir).items():
            times = wall_times(command, args.runs)
            count, slowest = imports(command)
            report["commands"][name] = {
                "median_s": round(statistics.median(times), 3),
                "max_s": round(max(times), 3),
                "modules": count,
                "slowest_imports": slowest,
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "startup.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "startup.md").write_text(markdown(report))
    print(markdown(report))


def markdown(report: dict) -> str:
    lines = [
        f"`imr-search` commands end to end, {report['runs']} runs each, on {report['index']}:",
        "",
        "| command | median s | max s | modules imported |",
        "| --- | --- | --- | --- |",
    ]
    for name, figures in report["commands"].items():
        lines.append(
            f"| `{name}` | {figures['median_s']} | {figures['max_s']} | {figures['modules']} |"
        )
    for name, figures in report["commands"].items():
        lines += ["", f"`{name}`: the slowest imports, ms (own / with what they import):", ""]
        lines += [
            f"- {row['module']}: {row['own_us'] / 1000:.1f} / {row['with_imports_us'] / 1000:.1f}"
            for row in figures["slowest_imports"]
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
