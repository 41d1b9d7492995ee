"""``python tools/generate_models.py [--spec-dir DIR] [--check] [--stats]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .emit import OUT, build
from .specs import spec_dir_from


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--spec-dir",
        type=Path,
        default=None,
        help="folder with the three specs (default: $OPENRESPONSES_SPEC_DIR, else ../shared/spec)",
    )
    ap.add_argument("--check", action="store_true", help="fail if the committed module is stale")
    ap.add_argument("--stats", action="store_true", help="print tag counts and the type-precision figures")
    args = ap.parse_args()
    stats: dict[str, Any] = {}
    code = build(spec_dir_from(args.spec_dir), stats)
    if args.stats:
        print(json.dumps(stats, indent=1))
    if args.check:
        if OUT.read_text() != code:
            print(f"{OUT} is stale: run python tools/generate_models.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(code)
    print(f"wrote {OUT} ({code.count(chr(10))} lines)")
    return 0
