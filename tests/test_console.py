"""The console script ends a command as `sys.exit` would, without tearing the process down
object by object: everything written reaches its reader, the exit status stands, exit
handlers run, a thread still running is waited for; and the commands that run long keep
the cycle collector. Each is seen from a new process running the real command."""

import json
import subprocess

import pytest

from .conftest import BUFFERED, COMMAND, CORPUS, run_console
from .test_query import items_where, says


def items_naming_mri() -> set[tuple[str, int]]:
    """The items whose own text (heading, guidelines, rationale) says MRI, from the truth."""
    return items_where(says(r"\bmris?\b"))


def test_every_item_reaches_a_pipe_and_each_exit_status_stands(index_dir):
    index = ["--index", str(index_dir)]
    every = subprocess.run(
        [COMMAND, "query", "mri", "--all", "--format", "json", *index],
        capture_output=True, text=True, check=False, env=BUFFERED,
    )  # fmt: skip
    assert every.returncode == 0, every.stderr
    *hits, summary = [json.loads(line) for line in every.stdout.splitlines()]
    assert {(hit["case"], hit["item_no"]) for hit in hits} == items_naming_mri()
    assert summary["type"] == "summary"

    nothing = subprocess.run(
        [COMMAND, "query", "zzyzx", "--format", "json", *index],
        capture_output=True, text=True, env=BUFFERED,
    )  # fmt: skip
    assert nothing.returncode == 1
    assert json.loads(nothing.stdout)["total"] == 0

    wrong = subprocess.run(
        [COMMAND, "query", "mri AND (", *index], capture_output=True, text=True, env=BUFFERED
    )
    assert wrong.returncode == 2
    assert wrong.stdout == ""
    assert wrong.stderr.count("\n") == 1 and "unclosed '('" in wrong.stderr


def test_exit_handlers_run_and_what_they_write_is_kept(index_dir):
    done = run_console(
        "import atexit; atexit.register(print, 'the handler ran')",
        "query", "mri", "--format", "json", "--index", str(index_dir),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    *hits, summary, last = done.stdout.splitlines()
    assert json.loads(summary)["total"] == len(items_naming_mri())
    assert last == "the handler ran"


def test_a_thread_still_running_is_waited_for(index_dir):
    done = run_console(
        "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.5), print('the thread ended'))).start()",
        "query", "mri", "--format", "json", "--index", str(index_dir),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "the thread ended"


@pytest.mark.parametrize(
    ("args", "collects"),
    [
        (["query", "mri", "--format", "json", "--index", "{index}"], False),
        (["stats", "mri", "--by", "year", "--index", "{index}"], False),
        (["index", str(CORPUS), "--index", "{new}", "-j", "1", "-q"], True),
        (["parse", str(sorted(CORPUS.glob("*.txt"))[0])], True),
    ],
)
def test_the_commands_that_run_long_keep_the_cycle_collector(index_dir, tmp_path, args, collects):
    """A short command ends before its garbage matters; `index`, `parse` and `serve` may
    run for hours. What the collector was at the command's end is told by an exit handler."""
    args = [arg.format(index=index_dir, new=tmp_path / "new") for arg in args]
    done = run_console(
        "import atexit, gc; atexit.register(lambda: print('collects', gc.isenabled()))", *args
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"collects {collects}"
