"""Shared fixtures: the three OpenAPI specs from ../shared/spec (never copied into this repo); the slow marker
for every test that needs a service or the specs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import OPENRESPONSES_SPEC, SPEC_DIR


def _load(path: Path) -> dict[str, Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML is needed to read the specs (the 'test' extra has it)")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(), Loader=loader)


@pytest.fixture(scope="session")
def specs() -> dict[str, dict[str, Any]]:
    """{'openrouter': schemas, 'openai': schemas, 'openresponses': schemas}; skips when ../shared/spec is not
    beside the checkout."""
    orr, oai, opr = SPEC_DIR / "in.openapi.yaml", SPEC_DIR / "openai" / "openapi.yaml", OPENRESPONSES_SPEC
    if not (orr.exists() and oai.exists() and opr.exists()):
        pytest.skip(f"spec files not found under {SPEC_DIR} (set OPENRESPONSES_SPEC_DIR)")
    return {
        "openrouter": _load(orr)["components"]["schemas"],
        "openai": _load(oai)["components"]["schemas"],
        "openresponses": json.loads(opr.read_bytes())["components"]["schemas"],
    }


@pytest.fixture(scope="session")
def openresponses_doc() -> dict[str, Any]:
    """The whole Open Responses document (its stream union is inline under ``paths``)."""
    if not OPENRESPONSES_SPEC.exists():
        pytest.skip(f"spec files not found under {SPEC_DIR} (set OPENRESPONSES_SPEC_DIR)")
    doc: dict[str, Any] = json.loads(OPENRESPONSES_SPEC.read_bytes())
    return doc


# a test using one of these is slow: a service started on 127.0.0.1 (tests/integrations/conftest.py), or the
# three OpenAPI specs parsed (seconds of YAML)
SLOW_FIXTURES = frozenset({"kafka", "redis_server", "redis_client", "spark", "specs"})


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
