"""Helpers shared by the integration tests (importable: conftest puts this folder on sys.path)."""

from __future__ import annotations

import os
from typing import Any

import pytest

CI = os.environ.get("CI", "").lower() == "true"


def unavailable(what: str, why: object) -> None:
    """Fail under CI (a missing service must never pass as a skip there), skip elsewhere."""
    msg = f"{what} unavailable: {why}"
    if CI:
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


def need(module: str) -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:
        unavailable(module, f"{exc} (the 'test' extra installs it)")
