"""The benchmark suite end to end on tiny corpora: every stack's correctness check, the memory probes, the
target check and the report command; plus the check's arithmetic and the interleaving on synthetic runs.
No timing is asserted anywhere; peers that are not installed (the 'bench' extra) are skipped there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import openresponses_msgspec as orm
from benchmarks.support import check, harness, report
from benchmarks.support.corpora import SIZES
from benchmarks.support.targets import OURS, Target

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("pytest_benchmark", reason="pytest-benchmark is in the 'test' extra")
    tmp = tmp_path_factory.mktemp("bench")
    run_json = tmp / "run.json"
    env = {**os.environ, "BENCH_SCALE": "smoke"}
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(BENCH),
            "-q",
            "-p",
            "no:cacheprovider",
            f"--benchmark-json={run_json}",
            "-W",
            "ignore::DeprecationWarning",
        ],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    return run_json


@pytest.mark.slow
def test_benchmark_suite_smoke_run(smoke_run: Path) -> None:
    doc = json.loads(smoke_run.read_text())
    groups = {b["group"] for b in doc["benchmarks"]}
    for corpus in ("text", "reasoning", "image", "generating", "mixed"):
        for fmt in ("ndjson", "array", "sse", "sse-chunks", "sse-event"):
            assert f"{corpus} {fmt}" in groups
    assert {"text ndjson-blank", "text+keepalive ndjson", "text+unknown-nested ndjson"} <= groups
    ours = [b for b in doc["benchmarks"] if b["extra_info"]["lib"] == OURS and b["extra_info"].get("kind") != "memory"]
    assert all(b["extra_info"]["events"] > 0 and b["stats"]["median"] > 0 for b in ours)
    by = {(b["group"], b["extra_info"]["lib"]): b for b in doc["benchmarks"]}
    # the mixes hold the inserted events: the text events + one per 100 (keep-alive) / per 99 (unknown nested)
    n = SIZES["text"][1]  # the smoke's text corpus
    assert by[("text ndjson", OURS)]["extra_info"]["events"] == n
    assert by[("text+keepalive ndjson", OURS)]["extra_info"]["events"] == n + n // 100
    assert by[("text+unknown-nested ndjson", OURS)]["extra_info"]["events"] == n + n // 99
    assert by[("text ndjson", OURS)]["extra_info"]["interleaved"] == "decode: text"
    # issue #10's projections, timed in the same set as the full model and the newline scan they are held to
    for group, lib in (
        ("text ndjson", "openresponses_msgspec projection (usage + text deltas)"),
        ("image ndjson", "openresponses_msgspec projection (partial_image_b64 as Raw)"),
    ):
        assert by[(group, lib)]["extra_info"]["interleaved"] == by[(group, OURS)]["extra_info"]["interleaved"]
    mem = by[("memory: text batch", OURS)]["extra_info"]
    assert mem["kind"] == "memory" and mem["events"] == n and mem["retained_per_event"] > 0
    names = {t["name"] for t in doc["targets"]}  # the registry of the run is saved with it
    assert "text NDJSON vs the reference prototype (#5)" in names
    native = "text NDJSON vs the reference prototype, native scanner (#20)"  # the set of the path measured
    pure = "text SSE whole buffer (data: frames) vs NDJSON, pure Python (#20)"
    assert (native in names, pure in names) == ((True, False) if orm.NATIVE else (False, True))
    assert "memory retained by the text batch vs orjson dicts" in names


@pytest.mark.slow
def test_check_command_on_the_smoke_run(smoke_run: Path) -> None:
    cmd = [sys.executable, "-m", "benchmarks.check", str(smoke_run)]  # report.py below runs as a script
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr  # without --strict a missed target is reported, not an exit status
    doc = json.loads(smoke_run.read_text())
    for t in doc["targets"]:
        assert t["name"] in res.stdout
    assert "(smoke scale: timings mean nothing)" in res.stdout
    results = check.evaluate(doc, check.targets_of(doc))
    ratio = next(r for r in results if r.target.name == "text NDJSON vs the reference prototype (#5)")
    if ratio.status != check.UNMEASURED:  # the prototype is there (../shared/bench-reference)
        by = check.index(doc)
        a, b = by[("text ndjson", OURS)], by[("text ndjson", ratio.target.den[1])]  # type: ignore[index]
        want = (a["extra_info"]["events"] / a["stats"]["median"]) / (b["extra_info"]["events"] / b["stats"]["median"])
        assert ratio.ratio == pytest.approx(want)


@pytest.mark.slow
def test_report_on_the_smoke_run(smoke_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "docs"
    rep = subprocess.run(
        [sys.executable, str(BENCH / "report.py"), str(smoke_run), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rep.returncode == 0, rep.stderr
    md = (out / "benchmarks.md").read_text()
    assert "### text ndjson" in md and "**openresponses_msgspec**" in md and "## Targets" in md
    assert "| text + a keep-alive event per 100 vs clean text (NDJSON) | #10 |" in md
    assert "## Memory: decoded text-heavy batch" in md
    # the compacted run beside the report checks to the same ratios as the run itself
    doc = json.loads(smoke_run.read_text())
    compact = json.loads((out / "benchmarks.json").read_text())
    assert [(r.status, r.ratio, r.spread) for r in check.evaluate(compact, check.targets_of(compact))] == [
        (r.status, r.ratio, r.spread) for r in check.evaluate(doc, check.targets_of(doc))
    ]
    assert len(compact["benchmarks"]) == len(doc["benchmarks"])
    figures = (out / "readme-figures.md").read_text()  # not docs/performance.md: only a full run into docs/ does
    assert "| text + a keep-alive event per 100 vs clean text (NDJSON) | " in figures and "| #" not in figures
    assert "| text ndjson | " in figures and "reference prototype (13 variants)" in figures
    # a smoke-scale run never writes docs/ (here a stand-in for it)
    docs = tmp_path / "real-docs"
    monkeypatch.setattr(report, "DOCS", docs)
    with pytest.raises(SystemExit, match="docs/ is written only from a full run"):
        report.main([str(smoke_run)])
    assert not docs.exists()


def test_readme_figures_block_is_replaced_in_place(tmp_path: Path) -> None:
    readme = report.FIGURES_PAGE.read_text()
    assert report.FIGURES_PAGE == ROOT / "docs" / "performance.md"
    assert readme.count(report.BEGIN) == 1 and readme.count(report.END) == 1
    copy = tmp_path / "performance.md"
    copy.write_text(readme)
    assert report.update_readme(copy, ["| new | figures |"])
    head, _, rest = readme.partition(report.BEGIN)
    tail = rest.partition(report.END)[2]
    assert copy.read_text() == head + report.BEGIN + "\n| new | figures |\n" + report.END + tail


# -- the check's arithmetic on a synthetic run ------------------------------------------------------------


def _bench(
    group: str, lib: str, median: float, events: int = 100, data: list[float] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "group": group,
        "name": f"t[{lib}]",
        "extra_info": {"lib": lib, "events": events, "bytes": 10 * events, **extra},
        "stats": {"median": median, "data": data or [median]},
    }


def _targets() -> list[Target]:
    return [
        Target("speed met", issue=1, num="g", den=("g", "peer"), goal=1.0),
        Target("speed missed", issue=1, num="g", den=("g", "peer"), goal=3.0),
        Target("per event across groups", issue=2, num="mix", den="g", goal=0.85),
        Target("linear", issue=3, num=("lin", "2N"), den=("lin", "N"), goal=2.3, cmp="<=", metric="time"),
        Target("absolute", issue=4, num=("mem", "ours"), den=None, goal=100, cmp="<=", metric="peak_mb"),
        Target("absent", issue=5, num="nothing", den="g", goal=1.0),
    ]


def _run() -> dict[str, Any]:
    return {
        "benchmarks": [
            _bench("g", OURS, 0.5, data=[0.4, 0.5, 0.6], interleaved="s"),
            _bench("g", "peer", 1.0, data=[1.0, 1.0, 1.2], interleaved="s"),
            _bench("mix", OURS, 0.55, events=101, interleaved="other"),  # 101 events: per-event speed counts
            _bench("lin", "N", 1.0),
            _bench("lin", "2N", 2.5, events=200),
            _bench("mem", "ours", 0.0, peak_mb=90.0, kind="memory"),
        ]
    }


def test_check_ratios_statuses_and_spread() -> None:
    results = {r.target.name: r for r in check.evaluate(_run(), _targets())}
    assert results["speed met"].status == check.MET and results["speed met"].ratio == pytest.approx(2.0)
    assert results["speed met"].spread == (pytest.approx(1.2 / 0.6), pytest.approx(1.0 / 0.4))  # per round
    assert results["speed missed"].status == check.MISSED
    assert results["per event across groups"].ratio == pytest.approx((101 / 0.55) / (100 / 0.5))
    assert results["per event across groups"].spread is None  # different sets: not measured back to back
    assert results["linear"].ratio == pytest.approx(2.5) and results["linear"].status == check.MISSED
    assert results["absolute"].ratio == 90.0 and results["absolute"].status == check.MET
    assert results["absent"].status == check.UNMEASURED and "'nothing'" in results["absent"].detail


def test_check_exit_status_only_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run()
    path = tmp_path / "run.json"
    met_only = [t for t in _targets() if t.name in ("speed met", "absolute")]
    path.write_text(json.dumps({**doc, "targets": [t.as_dict() for t in _targets()]}))
    assert check.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "speed missed" in out and "MISSED" in out and "3 met, 2 missed, 1 not measured" in out
    assert check.main([str(path), "--strict"]) == 1
    path.write_text(json.dumps({**doc, "targets": [t.as_dict() for t in met_only]}))
    assert check.main([str(path), "--strict"]) == 0
    path.write_text(json.dumps({**doc, "targets": [t.as_dict() for t in [*met_only, _targets()[-1]]]}))
    assert check.main([str(path), "--strict"]) == 0  # not measured: listed, not a failure ...
    assert check.main([str(path), "--strict", "--all"]) == 1  # ... unless every target must be measured
    capsys.readouterr()
    assert check.main([str(path), "--json"]) == 0
    got = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert got["absolute"]["status"] == "met" and got["absolute"]["ratio"] == 90.0


def test_target_round_trips_and_rejects_a_bad_comparison() -> None:
    for t in _targets():
        assert Target.from_dict(json.loads(json.dumps(t.as_dict()))) == t
    with pytest.raises(ValueError, match="cmp"):
        Target("x", issue=1, num="g", den="g", goal=1.0, cmp=">")  # type: ignore[arg-type]


# -- interleaving ----------------------------------------------------------------------------------------


def test_interleaved_set_alternates_rounds_and_replays_each_case(benchmark: Any) -> None:
    calls: list[str] = []
    s = harness.InterleavedSet("synthetic")
    for name, rounds in (("a", 3), ("b", 3), ("c", 1)):
        s.add(
            name,
            lambda name=name, rounds=rounds: harness.Case(
                f"grp {name}", name, lambda: calls.append(name), events=5, bytes=50, rounds=rounds
            ),
        )

    def skipped() -> harness.Case:
        pytest.skip("optional peer missing")

    def broken() -> harness.Case:
        raise AssertionError("wrong result")

    s.add("skipped", skipped)
    s.add("broken", broken)
    s.add("unselected", lambda: harness.Case("never", "x", lambda: calls.append("x"), 1, 1))
    for cid in ("a", "b", "c", "skipped", "broken"):
        s.select(cid)
    # a case whose builder skipped or failed re-raises in its own test (before the fixture is used)
    with pytest.raises(pytest.skip.Exception, match="optional peer missing"):
        s.bench(benchmark, "skipped")
    assert calls == ["a", "b", "c", "a", "b", "a", "b"]  # round-robin; c has one round; unselected never built
    with pytest.raises(AssertionError, match="wrong result"):
        s.bench(benchmark, "broken")
    assert benchmark.skipped  # a failed case's test reports its error, not also "fixture was not used"
    s.bench(benchmark, "b")  # the real pytest-benchmark fixture gets exactly b's measured durations
    assert len(calls) == 7  # measured once for the whole set
    got = s._results["b"]  # type: ignore[index]
    assert not isinstance(got, BaseException)
    assert benchmark.stats.stats.data == got[1] and len(got[1]) == 3
    assert benchmark.group == "grp b" and benchmark.extra_info["interleaved"] == "synthetic"
    assert benchmark.extra_info["events"] == 5


def test_every_round_target_checks_the_worst_round() -> None:
    """over="every round" (issue #16): the worst per-round ratio is the measure, not the ratio of the medians."""
    run = {
        "benchmarks": [
            _bench("f", OURS, 0.3, data=[0.2, 0.3, 0.9], interleaved="s"),
            _bench("f", "decode", 1.0, data=[1.0, 1.0, 1.0], interleaved="s"),
            _bench("f", "alone", 1.0, data=[1.0, 1.0, 1.0], interleaved="other"),
        ]
    }
    median = Target("median", issue=16, num="f", den=("f", "decode"), goal=0.5, cmp="<=", metric="time")
    worst = Target(
        "worst", issue=16, num="f", den=("f", "decode"), goal=0.5, cmp="<=", metric="time", over="every round"
    )
    apart = Target(
        "apart", issue=16, num="f", den=("f", "alone"), goal=0.5, cmp="<=", metric="time", over="every round"
    )
    got = {r.target.name: r for r in check.evaluate(run, [median, worst, apart])}
    assert (got["median"].status, got["median"].ratio) == (check.MET, pytest.approx(0.3))
    assert (got["worst"].status, got["worst"].ratio) == (check.MISSED, pytest.approx(0.9))
    assert got["apart"].status == check.UNMEASURED  # not measured in one interleaved set: no rounds to pair
    assert Target.from_dict(json.loads(json.dumps(worst.as_dict()))) == worst
    assert worst.describe() == "<= 0.5x every round"
    with pytest.raises(ValueError, match="over"):
        Target("x", issue=16, num="f", den=None, goal=1.0, over="every round")
