"""The indexing contenders of benchmarks/run.py, each run in a fresh process so that its peak
memory is its own (the largest resident set of its process and its worker processes, and
the most they held together):
- imr-search: `index_paths` (worker processes, tuned writer), parsing included;
- plain Whoosh: the same letters parsed and written through a default-settings writer and a
  schema of plain TEXT/ID/KEYWORD fields, one process, parsing included.

    python benchmarks/index_speed.py --run NAME LETTERS INDEX_DIR JOBS   (run.py's helper)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path


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

    from imr_search.letters.files import find_letter_files, read_letter

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
    """Run one contender in a fresh process; its result with its peak memory: the largest
    resident set of one of its processes (`peak_mb`) and, where the system tells it, the
    most all its processes held at once, each page shared between them counted once
    (`all_processes_mb`: the sum of their proportional set sizes, read every half second)."""
    command = [sys.executable, __file__, "--run", name, str(letters), str(index_dir), str(jobs)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as running:
        most = 0
        while running.poll() is None:
            most = max(most, proportional_kb(running.pid))
            time.sleep(0.5)
        out = running.stdout.read()
    if running.returncode:
        raise subprocess.CalledProcessError(running.returncode, command)
    result = json.loads(out.strip().splitlines()[-1])
    return dict(result, all_processes_mb=round(most / 1024, 1)) if most else result


def proportional_kb(pid: int) -> int:
    """The proportional set sizes of process `pid` and its descendants, added up (Linux's
    /proc; 0 elsewhere or once they are gone)."""
    total = 0
    try:
        total += int(Path(f"/proc/{pid}/smaps_rollup").read_text().split("Pss:")[1].split()[0])
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += proportional_kb(int(child))
    except (OSError, IndexError, ValueError):
        pass
    return total


def run_one(name: str, letters: str, index_dir: str, jobs: str) -> None:
    """In the fresh process: run, then report the largest resident set, ours or a worker's."""
    result = CONTENDERS[name](letters, index_dir, int(jobs))
    peak_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(json.dumps(dict(result, peak_mb=peak_kb / 1024)))


if __name__ == "__main__":
    run_one(*sys.argv[2:6])
