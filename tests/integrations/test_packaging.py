"""The integration modules import no client until used; the README's test command is what CI runs."""

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


def test_readme_test_command_is_ci_run() -> None:
    """Line 2 of the README's first code block is, character for character, the command .ci/run runs."""
    readme = (ROOT / "README.md").read_text().split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    ci = [ln for ln in lines if ln and not ln.startswith(("#", "set ", "cd "))]
    assert ci == [readme[1]]
    assert "tools/services.py install" in readme[1] and "pytest" in readme[1]
