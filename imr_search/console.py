"""The console script: the command line. (The engine checks its Whoosh when a command
first imports it; the command line says what to install in one line.)"""

from __future__ import annotations


def main() -> None:
    from .cli import main as command_line

    command_line()
