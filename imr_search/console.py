"""The console script: the command line, or one line saying why it cannot start."""

from __future__ import annotations

import sys

from .whoosh_pin import WrongWhoosh, check_whoosh


def main() -> None:
    try:
        check_whoosh()
    except WrongWhoosh as exc:
        print(f"imr-search: {exc}", file=sys.stderr)
        sys.exit(2)
    from .cli import main as command_line

    command_line()
