"""Turn a saved pytest-benchmark run into ``docs/benchmarks.md`` (tables) and ``docs/benchmarks.png`` (chart).

    pytest benchmarks/ --benchmark-json=run.json  # one full run (see benchmarks/README.md)
    python benchmarks/report.py run.json          # -> docs/ (refused for a smoke-scale run)
    python benchmarks/report.py run.json --out DIR

Ratios are per event (peers timed on a subset are marked), "× slower" is relative to openresponses_msgspec
in the same group and run (or to the group's first row where it has none). The targets table is the one
``check.py`` prints, on the same numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import check  # noqa: E402

DOCS = HERE.parent / "docs"

OURS = "openresponses_msgspec"
REFERENCE = "reference prototype (13 variants)"
CHART_GROUPS = ("text ndjson", "text sse", "image ndjson", "generating ndjson", "mixed ndjson",
                "SSE: one 20 MB event in 1 KiB chunks")
def load(path: Path) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    doc = json.loads(path.read_text())
    groups: dict[str, list[dict[str, Any]]] = {}
    for b in doc["benchmarks"]:
        info = b["extra_info"]
        if info.get("kind") == "memory" or "events" not in info:
            continue
        median = b["stats"]["median"]
        groups.setdefault(b["group"], []).append({
            "lib": info["lib"], "median": median, "events": info["events"], "bytes": info["bytes"],
            "subset": info.get("subset", False), "per_event": median / info["events"],
            "typed_share": info.get("typed_share"),
        })
    for rows in groups.values():
        rows.sort(key=lambda r: r["per_event"])
    return groups, doc


def _fmt_rate(x: float) -> str:
    return f"{x / 1e6:.2f} M" if x >= 1e6 else f"{x / 1e3:.1f} k" if x >= 1e3 else f"{x:.0f}"


def table(group: str, rows: list[dict[str, Any]]) -> list[str]:
    ours = next((r for r in rows if r["lib"] == OURS), rows[0] if rows else None)
    base = ours["lib"] if ours else OURS
    out = [f"### {group}", "", f"| stack | median | events timed | events/s | MB/s | vs {base} |",
           "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        eps = r["events"] / r["median"]
        mbs = r["bytes"] / r["median"] / 1e6
        rel = "1" if r is ours else (f"{r['per_event'] / ours['per_event']:.2f}× slower"
                                     if ours and r["per_event"] >= ours["per_event"]
                                     else f"{ours['per_event'] / r['per_event']:.2f}× faster" if ours else "")
        note = " (subset)" if r["subset"] else ""
        if r["typed_share"] is not None:
            note += f" ({r['typed_share']:.0%} typed)"
        name = f"**{r['lib']}**" if r is ours else r["lib"]
        median = f"{r['median'] * 1e3:.2f} ms"
        out.append(f"| {name}{note} | {median} | {r['events']:,} | {_fmt_rate(eps)} | {mbs:.0f} | {rel} |")
    return out + [""]


def memory(doc: dict[str, Any]) -> list[str]:
    mem = {b["extra_info"]["lib"]: b["extra_info"] for b in doc["benchmarks"]
           if b["extra_info"].get("kind") == "memory"}
    if not mem:
        return []
    rows = sorted(mem.values(), key=lambda m: m["retained_per_event"])
    orjson = mem.get("orjson.loads")
    out = ["## Memory: decoded text-heavy batch", "",
           "Bytes still allocated while the decoded batch is held (input excluded) and peak during the decode, "
           "per event; tracemalloc, one subprocess per stack.", "",
           "| stack | events | retained / event | peak / event | vs orjson dicts |", "|---|---:|---:|---:|---:|"]
    for m in rows:
        rel = f"{m['retained_per_event'] / orjson['retained_per_event']:.2f}×" if orjson else ""
        sub = " (subset)" if m.get("subset") else ""
        out.append(f"| {m['lib']}{sub} | {m['events']:,} | {m['retained_per_event']:.0f} B | "
                   f"{m['peak_per_event']:.0f} B | {rel} |")
    return out + [""]


def chart(groups: dict[str, list[dict[str, Any]]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed (the 'bench' extra has it): no chart", file=sys.stderr)
        return False
    shown = [g for g in CHART_GROUPS if g in groups]
    if not shown:
        return False
    fig, axes = plt.subplots(len(shown), 1, figsize=(9, 1.2 + 0.42 * sum(len(groups[g]) for g in shown)),
                             squeeze=False)
    for ax, g in zip(axes[:, 0], shown, strict=True):
        rows = groups[g][::-1]
        rates = [1 / r["per_event"] for r in rows]
        colors = ["#d62728" if r["lib"] == OURS else "#7f7f7f" if r["lib"] == REFERENCE else "#1f77b4" for r in rows]
        ax.barh([r["lib"] + (" (subset)" if r["subset"] else "") for r in rows], rates, color=colors)
        ax.set_xscale("log")
        ax.set_title(g, fontsize=10, loc="left")
        ax.tick_params(labelsize=8)
        for y, v in enumerate(rates):
            ax.text(v, y, f" {_fmt_rate(v)}/s", va="center", fontsize=7)
    axes[-1, 0].set_xlabel("events per second (log scale; median)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def render(run: Path, out_dir: Path) -> Path:
    groups, doc = load(run)
    results = check.evaluate(doc, check.targets_of(doc))
    mi = doc.get("machine_info", {})
    versions = ", ".join(f"{k} {v}" for k, v in mi.get("versions", {}).items() if v)
    cpu = mi.get("cpu", {}).get("brand_raw", "unknown CPU")
    lines = [
        "# Benchmarks", "",
        f"Generated by `python benchmarks/report.py` from `{run.name}` ({doc.get('datetime', '')[:19]}; scale: "
        f"{mi.get('scale', 'full')}). Medians; ratios per event against this package in the same run.", "",
        "![events per second](benchmarks.png)", "",
        "## Targets", "",
        "Checked by `python benchmarks/check.py` on this run: each ratio is of the medians of two cases timed in "
        "alternating rounds of one interleaved set; the range is that of the per-round ratios.", "",
        *check.markdown_table(results), "",
        *memory(doc),
        "## Speed by corpus and format", "",
    ]
    for g in sorted(groups):
        lines += table(g, groups[g])
    lines += [
        "## Reproducing", "",
        f"- Python {mi.get('python_version', '?')} ({mi.get('python_implementation', '?')}), {mi.get('system', '?')} "
        f"{mi.get('release', '')}, {cpu}, {mi.get('cpu', {}).get('count', '?')} logical CPUs.",
        f"- {versions}.",
        "- `python3 -m venv .venv && .venv/bin/pip install -e '.[bench]' && .venv/bin/python -m pytest benchmarks/ "
        "--benchmark-json=run.json && .venv/bin/python benchmarks/check.py run.json && "
        ".venv/bin/python benchmarks/report.py run.json`",
        "- Corpora are generated deterministically (`openresponses_msgspec.corpus`; the text-heavy batch comes from "
        "`../shared/bench-reference/make_batch.py` when present). Machines here are shared and noisy: compare runs "
        "with `pytest-benchmark compare`.", "",
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "benchmarks.md"
    md.write_text("\n".join(lines))
    chart(groups, out_dir / "benchmarks.png")
    return md


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("run", nargs="?", type=Path, help="a pytest-benchmark JSON (default: newest under .benchmarks)")
    ap.add_argument("--out", type=Path, default=DOCS)
    args = ap.parse_args(argv)
    run = args.run or check.newest_run(Path(".benchmarks"))
    scale = json.loads(run.read_text()).get("machine_info", {}).get("scale")
    if scale != "full" and args.out.resolve() == DOCS.resolve():
        raise SystemExit(f"{run} is a {scale!r}-scale run: docs/ is written only from a full run (use --out DIR)")
    md = render(run, args.out)
    print(f"wrote {md} and {md.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
