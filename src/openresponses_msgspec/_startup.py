"""Ctrl-C while the command line starts: one line and exit status 130, never a traceback.

The package's imports take a moment (msgspec, the model); a SIGINT in that window would end in Python's
traceback before the command line's own handlers exist. When this process *is* the command line (the console
script, or ``python -m openresponses_msgspec``), a handler that writes one line and exits 130 is installed
first thing; ``_cli.main`` hands SIGINT back to Python's default (``KeyboardInterrupt``) as it starts. A
program that merely imports the package is never touched.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

PROG = "openresponses-msgspec"


def _interrupted(signum: int, frame: FrameType | None) -> None:
    os.write(2, f"{PROG}: interrupted\n".encode())
    os._exit(130)


def _is_command_line() -> bool:
    argv: list[str] = getattr(sys, "orig_argv", None) or []
    if "-m" in argv:
        at = argv.index("-m")
        return argv[at + 1 : at + 2] == ["openresponses_msgspec"]
    return bool(sys.argv) and os.path.basename(sys.argv[0]) == PROG


def guard() -> None:
    """Install the start-up handler when this process is the command line (and SIGINT is Python's default)."""
    if _is_command_line() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        try:
            signal.signal(signal.SIGINT, _interrupted)
        except ValueError:  # not the main thread
            pass


def release() -> None:
    """The command line runs: SIGINT raises KeyboardInterrupt again, handled where the work is."""
    if signal.getsignal(signal.SIGINT) is _interrupted:
        signal.signal(signal.SIGINT, signal.default_int_handler)


guard()
