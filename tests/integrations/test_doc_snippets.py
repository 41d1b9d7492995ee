"""The docs' blocks marked ``<!-- needs: SERVICE -->`` run here, against the real service started by conftest,
with every other block of their page before and after them, in order (the rules: tests/docs/doc_snippets.py).
``websocket`` blocks run in test_websocket.py, against its WebSocket server."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "docs"))

from doc_snippets import SAMPLE_EVENTS, SERVICES, blocks, doc_files, make_samples, run_page  # noqa: E402

RUN_HERE = ("kafka", "redis", "spark")
RUN_ELSEWHERE = {"websocket": "tests/integrations/test_websocket.py::test_the_page_runs_against_a_real_server"}


def _pages(service: str) -> list[Path]:
    return [p for p in doc_files() if any(b.needs == service for b in blocks(p))]


def _run(service: str, env: dict[str, str], tmp_path: Path) -> None:
    pages = _pages(service)
    assert pages, f"no page has a block marked needs: {service}"
    for page in pages:
        cwd = tmp_path / page.stem
        cwd.mkdir()
        make_samples(cwd)
        ran = run_page(page, cwd, services=[service], env=env)
        want = [b.line for b in blocks(page) if b.needs in (None, service) and b.lang == "python"]
        assert [b.line for b in ran if b.lang == "python"] == want


def test_every_service_a_block_needs_is_run_by_a_test() -> None:
    needed = {b.needs for p in doc_files() for b in blocks(p) if b.needs}
    assert needed == set(SERVICES) == set(RUN_HERE) | set(RUN_ELSEWHERE)


def test_kafka_blocks(kafka: Any, tmp_path: Path) -> None:
    """The pages read a topic that holds the captured stream, one event per message."""
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"docs-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap})
    for created in admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)]).values():
        created.result(10)
    producer = Producer({"bootstrap.servers": kafka.bootstrap})
    for line in SAMPLE_EVENTS:
        producer.produce(topic, line.encode(), key=b"resp_1")
    assert producer.flush(10) == 0
    _run("kafka", {"KAFKA_BOOTSTRAP": kafka.bootstrap, "KAFKA_TOPIC": topic}, tmp_path)


def test_redis_blocks(redis_server: Any, redis_client: Any, tmp_path: Path) -> None:
    """(``redis_client`` flushes the database first.)"""
    _run("redis", {"REDIS_PORT": str(redis_server.port)}, tmp_path)


def test_spark_blocks(spark: Any, tmp_path: Path) -> None:
    _run("spark", {}, tmp_path)
