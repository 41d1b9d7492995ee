"""``python -m openresponses_msgspec``: the command line (see ``_cli``); ``demo`` is the main job."""

from __future__ import annotations

from ._cli import main, run

__all__ = ["main"]

if __name__ == "__main__":
    run()
