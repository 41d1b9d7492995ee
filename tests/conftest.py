"""Shared fixtures: the two OpenAPI specs from ../shared/spec (never copied into this repo)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

SPEC_DIR = Path(os.environ.get("OPENRESPONSES_SPEC_DIR", Path(__file__).resolve().parents[2] / "shared" / "spec"))


def _load(path: Path) -> dict[str, Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML is needed to read the specs (the 'test' extra has it)")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(), Loader=loader)


@pytest.fixture(scope="session")
def specs() -> dict[str, dict[str, Any]]:
    """{'openrouter': schemas, 'openai': schemas}; skips when ../shared/spec is not beside the checkout."""
    orr, oai = SPEC_DIR / "in.openapi.yaml", SPEC_DIR / "openai" / "openapi.yaml"
    if not (orr.exists() and oai.exists()):
        pytest.skip(f"spec files not found under {SPEC_DIR} (set OPENRESPONSES_SPEC_DIR)")
    return {
        "openrouter": _load(orr)["components"]["schemas"],
        "openai": _load(oai)["components"]["schemas"],
    }
