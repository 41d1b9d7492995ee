"""The check command: ``python -m benchmarks.check ...`` or ``python benchmarks/check.py ...``
(benchmarks/README.md); the code is ``benchmarks.support.check``."""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as a script: Python put this folder first on sys.path; -m would put the checkout root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from benchmarks.support.check import main

if __name__ == "__main__":
    raise SystemExit(main())
