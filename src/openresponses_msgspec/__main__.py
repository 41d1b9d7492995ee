"""``python -m openresponses_msgspec``: the command line (see ``_cli``); ``demo`` is the main job."""

from __future__ import annotations

import sys

from ._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
