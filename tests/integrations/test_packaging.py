"""The integration modules import no client until used (the README's commands: tests/docs/test_pages.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ("confluent_kafka", "aiokafka", "kafka", "redis", "pyspark", "pyarrow", "pandas")


def test_integration_modules_import_no_client() -> None:
    """Importing kafka/redis/spark modules (and reading their docs) pulls in none of the clients."""
    code = (
        "import sys, openresponses_msgspec.kafka, openresponses_msgspec.redis, openresponses_msgspec.spark\n"
        f"print(sorted(m for m in {CLIENTS!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
