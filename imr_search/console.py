"""The console script: the command line. (The engine checks its Whoosh when a command
first imports it; the command line says what to install in one line.)"""

from __future__ import annotations

import os


def main() -> None:
    # numpy starts a BLAS thread per core when imported; nothing here multiplies matrices,
    # and on two busy cores the threads' start took 50 ms of a query's 300.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from .cli import main as command_line

    command_line()
