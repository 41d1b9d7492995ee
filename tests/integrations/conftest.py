"""Session fixtures that start the real services on 127.0.0.1 (and stop them at the end of the session).

With ``CI=true`` a service that cannot be started FAILS the tests that need it; elsewhere they skip, with the
reason (e.g. redis-server not installed: ``python tools/services.py install`` as root).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import services  # noqa: E402

from .integ_support import need, unavailable  # noqa: E402

S = TypeVar("S", bound=services._Process)


def _serve(service: S, what: str) -> Iterator[S]:
    """Start ``service`` for a fixture's scope and clean it up after; one that cannot start is unavailable."""
    try:
        service.start()
    except services.ServiceError as exc:
        service.cleanup()
        unavailable(what, exc)
    yield service
    service.cleanup()


@pytest.fixture(scope="session")
def kafka() -> Iterator[services.Kafka]:
    """A Tansu broker (Kafka protocol) for the whole session."""
    yield from _serve(services.Kafka(), "Kafka broker (Tansu)")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[services.Redis]:
    yield from _serve(services.Redis(), "redis-server")


@pytest.fixture
def redis_client(redis_server: services.Redis) -> Iterator[Any]:
    """A redis-py client on a flushed database (bytes values: no decode_responses)."""
    redis = need("redis")
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local[2] SparkSession on loopback, UI off, workers on this interpreter."""
    java = services.java_version()
    if java is None or java < services.JAVA_MIN:
        unavailable("Spark", f"Java {services.JAVA_MIN}+ not found (found {java})")
    need("pyspark")
    need("pyarrow")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("openresponses-msgspec-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    yield session
    session.stop()
