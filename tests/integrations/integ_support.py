"""Helpers shared by the integration tests (importable: conftest puts this folder on sys.path)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest

S = TypeVar("S")
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


def start(service: S, what: str) -> S:
    """Start a service from ``tools/services.py``; one that cannot start is cleaned up (no process, no log file
    left) and :func:`unavailable`: the test fails under CI, skips elsewhere (it used to error)."""
    from services import ServiceError  # (tools/ is on sys.path: conftest puts it there)

    try:
        service.start()
    except ServiceError as exc:
        service.cleanup()
        unavailable(what, exc)
    return service


@contextmanager
def started(service: S, what: str) -> Iterator[S]:
    """:func:`start` for a ``with`` block, cleaned up after (process and log folder)."""
    start(service, what)
    try:
        yield service
    finally:
        service.cleanup()
