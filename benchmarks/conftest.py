"""pytest hooks of the benchmark suite: the reference fixture, machine info, saving the targets with a run,
selecting interleaved cases. The corpora are in ``benchmarks.support.corpora``."""

from __future__ import annotations

import os
from typing import Any

import pytest

from benchmarks.support.corpora import REFERENCE_DIR, SMOKE, reference_module
from benchmarks.support.harness import select_collected
from benchmarks.support.targets import REGISTRY


@pytest.fixture(scope="session")
def reference() -> Any:
    return reference_module()


VERSIONED = (
    "msgspec",
    "openresponses-msgspec",
    "orjson",
    "pydantic",
    "openai",
    "openrouter",
    "openresponses-types",
    "httpx-sse",
    "pytest-benchmark",
)


_LOAD_AT_START = os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def pytest_benchmark_update_machine_info(config: Any, machine_info: dict[str, Any]) -> None:
    """Record the versions of everything compared, for the report's "Reproducing" note."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for pkg in VERSIONED:
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    machine_info["versions"] = versions
    machine_info["scale"] = "smoke" if SMOKE else "full"
    if _LOAD_AT_START is not None:  # how shared the machine was (1-minute load average vs the CPU count)
        machine_info["loadavg"] = {"start": _LOAD_AT_START, "end": os.getloadavg()[0]}
    machine_info["reference"] = str(REFERENCE_DIR) if (REFERENCE_DIR / "reference_prototype.py").exists() else None


def pytest_benchmark_update_json(config: Any, benchmarks: Any, output_json: dict[str, Any]) -> None:
    """Save the targets in force with the run, so ``benchmarks/check.py RUN.json`` checks what was meant then."""
    output_json["targets"] = [t.as_dict() for t in REGISTRY.values()]


@pytest.hookimpl(trylast=True)  # after -k/-m deselection
def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Interleaved sets measure only the cases this run selected."""
    select_collected(items)
