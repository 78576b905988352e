"""The console script: the command line. (The engine checks its Whoosh when a command
first imports it; the command line says what to install in one line.)"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from contextlib import suppress


def main() -> None:
    prepare()
    from .cli import main as command_line

    try:
        command_line()
        code = 0
    except SystemExit as done:
        code = done.code
    leave(code)


def prepare() -> None:
    """Settings for the process, before a command imports anything."""
    # numpy starts a BLAS thread per core when imported; nothing here multiplies matrices,
    # and on two busy cores the threads' start took 50 ms of a query's 300.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # A command keeps most of what it makes until it ends, and its end tears nothing down
    # (`leave`): the cycle collector's passes over what its imports make took 15 ms of a
    # 220 ms query. The commands that run for minutes turn it back on (cli.RUNS_LONG).
    gc.disable()


def leave(code: int | str | None) -> None:
    """End the process with `code` as `sys.exit` would, without tearing down every module
    and object one by one: a query's work is done by then, and the teardown took 30 ms of
    its 230 at 20,000 letters. Exit handlers run and files are flushed first, in the order
    Python's own ending keeps; a process still running other threads ends the usual way,
    which waits for them."""
    if not isinstance(code, int | None) or threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # The reader may have left, or the stream been closed: nothing more can reach it.
        with suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(code or 0)
