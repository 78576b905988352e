"""What a command costs before it does anything: the wall time of `imr-search` commands
end to end, and the modules each imports, with their import times.

    python benchmarks/startup.py [--index DIR] [--runs 9]

Each command runs `--runs` times in a new process; the report gives the median and the
slowest, then, for each command, the slowest imports `python -X importtime` shows (their
own time and with what they import) and the count of modules imported. Beside each command
is its floor (`floor_command`): a process that imports only the installed libraries'
modules the command imports, timed in turn with it; what the command takes above it is
imr-search's own. With `--index`,
`query` runs on that index (e.g. one of 20,000 letters that benchmarks/run.py built);
without it, on an index of corpus/ built in a temporary folder. Writes
benchmarks/results/startup.{json,md}.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND = str(Path(sys.executable).with_name("imr-search"))
QUERY = '"acute exacerbation" AND outcome:Upheld'
SHOWN_IMPORTS = 12
LIBRARIES = (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])


def table_query(index_dir: Path) -> list[str]:
    """The query as a table with three facets, as benchmarks/run.py times it too."""
    facets = [part for name in ("specialty", "year", "category") for part in ("--facet", name)]
    return ["query", QUERY, "--index", str(index_dir), *facets]


def commands(index_dir: Path) -> dict[str, list[str]]:
    index = ["--index", str(index_dir)]
    return {
        "--help": ["--help"],
        "query --help": ["query", "--help"],
        "query (json)": ["query", QUERY, *index, "--format", "json"],
        "query (table)": ["query", QUERY, *index, "--no-color"],
        "query (table, 3 facets)": table_query(index_dir),
        "stats (json)": ["stats", QUERY, "--by", "specialty", *index, "--format", "json"],
        "info": ["info", *index],
    }


def wall_times(commands: list[list[str]], runs: int) -> list[list[float]]:
    """Wall times of each of `commands`, `runs` times each, taking turns, so that a busy
    moment of the machine falls on all of them alike."""
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for command, taken in zip(commands, times, strict=True):
            started = time.perf_counter()
            subprocess.run(command, capture_output=True, check=False)
            taken.append(time.perf_counter() - started)
    return times


def imports(args: list[str]) -> list[dict]:
    """Every module a command imports, in the order their imports end, with their time and
    the time with what they import (microseconds, from `-X importtime`)."""
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
    return rows


def slowest(rows: list[dict]) -> list[dict]:
    top = [row for row in rows if row["depth"] <= 1]
    top.sort(key=lambda row: -row["with_imports_us"])
    return top[:SHOWN_IMPORTS]


def installed(package: str) -> bool:
    """Whether top-level `package` is an installed library (site-packages), not Python's
    own library or imr-search."""
    if package == "imr_search":
        return False
    spec = importlib.util.find_spec(package)
    return bool(spec and spec.origin and spec.origin.startswith(LIBRARIES))


def floor_command(rows: list[dict]) -> list[str]:
    """A new process that starts and ends as the console script does and imports the
    installed libraries' modules of `rows` (with whatever of Python's own library they
    import). Python's own modules that only imr-search imports count as imr-search's. The
    engine package comes next when the command imported it: its stand-ins keep Whoosh from
    importing modules that no query uses (it and the little of imr-search it imports, the
    Whoosh version check, count in the floor). A module the command tried and failed to
    import (such as `numpy._distributor_init_local`) is tried the same way."""
    modules = [row["module"] for row in rows]
    installed_packages = set(filter(installed, {name.split(".")[0] for name in modules}))
    libraries = [name for name in modules if name.split(".")[0] in installed_packages]
    first = "import imr_search.engine\n" if "imr_search.engine" in modules else ""
    code = (
        "import importlib, imr_search.console\n"
        "imr_search.console.prepare()\n"
        f"{first}"
        f"for name in {libraries!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError:\n"
        "        pass\n"
        "imr_search.console.leave(0)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # it runs as written
    return [sys.executable, "-c", code]


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
            rows = imports(command)
            times, floor = wall_times([[COMMAND, *command], floor_command(rows)], args.runs)
            report["commands"][name] = {
                "median_s": round(statistics.median(times), 3),
                "max_s": round(max(times), 3),
                "floor_median_s": round(statistics.median(floor), 3),
                "modules": len(rows),
                "slowest_imports": slowest(rows),
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
        "| command | median s | max s | floor s | above the floor s | modules imported |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, figures in report["commands"].items():
        above = figures["median_s"] - figures["floor_median_s"]
        lines.append(
            f"| `{name}` | {figures['median_s']} | {figures['max_s']} | "
            f"{figures['floor_median_s']} | {above:.3f} | {figures['modules']} |"
        )
    lines += [
        "",
        "median s: the command's median wall time. floor s: the median wall time of a new "
        "process that starts and ends as the command does and imports only the modules of "
        "installed libraries (Whoosh, numpy, typer, rich, dateutil) that the command imports. "
        "above the floor s: the first less the second, what imr-search's own modules, its "
        "search and its output take. The command and its floor ran in turn, run by run, so "
        "that a busy moment of the machine falls on both.",
    ]
    for name, figures in report["commands"].items():
        lines += ["", f"`{name}`: the slowest imports, ms (own / with what they import):", ""]
        lines += [
            f"- {row['module']}: {row['own_us'] / 1000:.1f} / {row['with_imports_us'] / 1000:.1f}"
            for row in figures["slowest_imports"]
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
