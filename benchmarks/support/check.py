"""Check one saved benchmark run against the registered targets: met / missed / not measured, with the ratio.

    python benchmarks/check.py                    # newest run under .benchmarks/ (autosave)
    python benchmarks/check.py RUN.json           # a run saved with --benchmark-json=RUN.json
    python benchmarks/check.py RUN.json --strict  # exit status 1 if a target is missed
    python benchmarks/check.py RUN.json --strict --all  # ... or not measured in this run
    python benchmarks/check.py RUN.json --markdown      # the table the report embeds

Ratios are taken between the medians of the two cases (see ``targets.py`` for the metrics). When both cases
were measured in the same interleaved set and the run kept per-round data (``--benchmark-json`` always does),
the spread of the per-round ratios (round i of one case against round i of the other, measured back to back)
is printed too: a wide spread means a noisy machine, not a precise ratio.

The targets come from the run itself (saved there by ``benchmarks/conftest.py``); for a run saved without them
the current registry is loaded from ``benchmarks/bench_*.py``. Timings never fail the test suite: only this
command with ``--strict`` turns a missed target into an exit status.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.support.targets import REGISTRY, Target

BENCH = Path(__file__).resolve().parents[1]  # the folder of the bench_*.py files

MET, MISSED, UNMEASURED = "met", "MISSED", "not measured"


@dataclass
class Result:
    target: Target
    status: str
    ratio: float | None = None  # value(num) / value(den), or value(num) for an absolute target
    spread: tuple[float, float] | None = None  # min and max of the per-round ratios (interleaved cases)
    detail: str = ""


def newest_run(root: Path) -> Path:
    runs = sorted(root.glob("*/*.json"), key=lambda p: p.name)
    if not runs:
        raise SystemExit(f"no saved run under {root}: run `pytest benchmarks/ --benchmark-autosave` first")
    return runs[-1]


def load_run(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def index(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(group, lib) -> benchmark entry (the last one wins if a run holds two)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for b in doc.get("benchmarks", []):
        lib = b.get("extra_info", {}).get("lib", b.get("name"))
        out[(b.get("group") or "", lib)] = b
    return out


def value(b: dict[str, Any], metric: str, duration: float | None = None) -> float:
    d = b["stats"]["median"] if duration is None else duration
    info = b.get("extra_info", {})
    if metric == "speed":
        return info["events"] / d
    if metric == "throughput":
        return info["bytes"] / d
    if metric == "time":
        return d
    return float(info[metric])


def _round_ratios(t: Target, a: dict[str, Any], b: dict[str, Any]) -> list[float] | None:
    """The ratio of round i of ``a`` to round i of ``b``, when both were timed in one interleaved set."""
    if t.metric not in ("speed", "throughput", "time"):
        return None
    sa, sb = a.get("extra_info", {}).get("interleaved"), b.get("extra_info", {}).get("interleaved")
    da, db = a["stats"].get("data"), b["stats"].get("data")
    if not sa or sa != sb or not da or not db:
        return None
    return [value(a, t.metric, x) / value(b, t.metric, y) for x, y in zip(da, db, strict=False)]


def _spread(t: Target, a: dict[str, Any], b: dict[str, Any]) -> tuple[float, float] | None:
    ratios = _round_ratios(t, a, b)
    if ratios is None or len(ratios) < 2:
        return None
    return (min(ratios), max(ratios))


def evaluate(doc: dict[str, Any], targets: list[Target]) -> list[Result]:
    idx = index(doc)
    results = []
    for t in targets:
        a = idx.get(t.num)
        b = idx.get(t.den) if t.den is not None else None
        missing = [s for s, e in ((t.num, a), (t.den, b)) if s is not None and e is None]
        if missing:
            results.append(Result(t, UNMEASURED, detail="; ".join(f"no {lib!r} in group {g!r}" for g, lib in missing)))
            continue
        assert a is not None
        try:
            ratio = value(a, t.metric) / value(b, t.metric) if b is not None else value(a, t.metric)
            spread = _spread(t, a, b) if b is not None else None
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as e:
            results.append(Result(t, UNMEASURED, detail=f"cannot compute {t.metric!r}: {e!r}"))
            continue
        if t.over == "every round":  # the worst round's ratio is the measure
            rounds = _round_ratios(t, a, b) if b is not None else None
            if not rounds:
                results.append(
                    Result(
                        t,
                        UNMEASURED,
                        detail="no per-round data of both sides in one interleaved set (use --benchmark-json)",
                    )
                )
                continue
            ratio = max(rounds) if t.cmp == "<=" else min(rounds)
        ok = ratio >= t.goal if t.cmp == ">=" else ratio <= t.goal
        results.append(Result(t, MET if ok else MISSED, ratio, spread))
    return results


def registry_from_modules() -> list[Target]:
    """The targets the bench files register (for runs saved without their targets)."""
    for path in sorted(BENCH.glob("bench_*.py")):
        try:
            importlib.import_module(f"benchmarks.{path.stem}")
        except Exception as e:  # a bench file whose optional dependencies are missing
            print(f"warning: could not import {path.name} ({e!r}); its targets are not checked", file=sys.stderr)
    return list(REGISTRY.values())


def targets_of(doc: dict[str, Any]) -> list[Target]:
    if doc.get("targets"):
        return [Target.from_dict(d) for d in doc["targets"]]
    return registry_from_modules()


def _fmt(r: Result) -> str:
    if r.ratio is None:
        return "-"
    unit = "x" if r.target.den is not None else ""
    return f"{r.ratio:,.3g}{unit}" if r.ratio < 100 else f"{r.ratio:,.0f}{unit}"


def _fmt_spread(r: Result) -> str:
    return f"{r.spread[0]:.3g}-{r.spread[1]:.3g}" if r.spread else ""


def _what(t: Target) -> str:
    num = f"{t.num[1]} @ {t.num[0]}"
    if t.den is None:
        return f"{t.metric} of {num}"
    return f"{t.metric}: {num} / {t.den[1]} @ {t.den[0]}"


def text_table(results: list[Result]) -> str:
    rows = [("target", "issue", "measured", "goal", "status", "per-round range")]
    rows += [
        (r.target.name, f"#{r.target.issue}", _fmt(r), r.target.describe(), r.status, _fmt_spread(r)) for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    for r in results:
        if r.detail:
            lines.append(f"  {r.target.name}: {r.detail}")
    return "\n".join(lines)


def markdown_table(results: list[Result]) -> list[str]:
    out = [
        "| target | issue | ratio of | measured | goal | met | per-round range |",
        "|---|---:|---|---:|---:|:-:|---:|",
    ]
    for r in results:
        met = {MET: "yes", MISSED: "**no**", UNMEASURED: "not measured"}[r.status]
        what = _what(r.target).replace("|", "\\|")
        out.append(
            f"| {r.target.name} | #{r.target.issue} | {what} | {_fmt(r)} | {r.target.describe()} | {met} "
            f"| {_fmt_spread(r)} |"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("run", nargs="?", type=Path, help="a pytest-benchmark JSON (default: newest under .benchmarks)")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    ap.add_argument("--all", action="store_true", help="with --strict: a target not measured fails too")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)
    run = args.run or newest_run(Path(".benchmarks"))
    doc = load_run(run)
    results = evaluate(doc, targets_of(doc))
    scale = doc.get("machine_info", {}).get("scale", "?")
    if args.json:
        print(
            json.dumps(
                [
                    {**r.target.as_dict(), "status": r.status, "ratio": r.ratio, "spread": r.spread, "detail": r.detail}
                    for r in results
                ],
                indent=1,
            )
        )
    elif args.markdown:
        print("\n".join(markdown_table(results)))
    else:
        print(f"{run} (scale: {scale}; {doc.get('datetime', '')[:19]})")
        print(text_table(results))
        counts = {s: sum(r.status == s for r in results) for s in (MET, MISSED, UNMEASURED)}
        print(
            f"{counts[MET]} met, {counts[MISSED]} missed, {counts[UNMEASURED]} not measured"
            + (" (smoke scale: timings mean nothing)" if scale == "smoke" else "")
        )
    if args.strict:
        if any(r.status == MISSED for r in results) or (args.all and any(r.status == UNMEASURED for r in results)):
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
