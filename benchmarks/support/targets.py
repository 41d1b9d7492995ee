"""The speed/memory targets of the issues, as data: a registry that bench files add to, checked on a saved run.

A target is a ratio of two measured cases of ONE pytest-benchmark run (medians), compared to a goal:

    from benchmarks.support.targets import OURS, Target, register

    register(Target(
        "text NDJSON, full model vs the reference prototype",  # unique name, printed by the check command
        issue=10,
        num=("text ndjson", OURS),                # (benchmark group, extra_info["lib"]) of the numerator
        den=("text ndjson", "reference prototype (13 variants)"),  # ... and of the denominator
        goal=1.0,                                 # ratio num/den ...
        cmp=">=",                                 # ... must be >= goal (or "<=")
        metric="speed",                           # what is divided (see METRICS); "speed" = events/s
    ))

``over="every round"`` checks the worst per-round ratio instead of the ratio of the medians (round *i* of ``num``
against round *i* of ``den``; both sides must be measured in one interleaved set, else "not measured"): a goal
that must hold in every round, not only typically.

``num``/``den`` may also be a bare group name (the lib is then ``openresponses_msgspec``). ``den=None`` makes
an absolute target (``value(num) cmp goal``, e.g. a peak memory in MB). Metrics:

- ``"speed"``: ``extra_info["events"] / median`` (events/s; peers timed on a subset compare per event);
- ``"throughput"``: ``extra_info["bytes"] / median`` (bytes/s);
- ``"time"``: the median itself, seconds per call (for linearity: ``time(2N) / time(N) <= 2.3``);
- any other name: the number ``extra_info[name]`` of the benchmark (e.g. ``"retained_per_event"``).

Register at import time of your ``bench_*.py`` (module level). The registry of the modules collected in a run
is saved into that run's JSON (``"targets"``), so ``python -m benchmarks.check RUN.json`` checks a run against
the targets that were in force when it was measured. Cases a target compares should be measured in the same
interleaved set (see ``harness.py``) so that machine noise hits both sides alike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

OURS = "openresponses_msgspec"
REFERENCE = "reference prototype (13 variants)"
SCAN = "bytes.count(b'\\n') scan"  # the memory-bandwidth yardstick for image-heavy batches
PROJ_TEXT = "openresponses_msgspec projection (usage + text deltas)"
PROJ_IMAGE = "openresponses_msgspec projection (partial_image_b64 as Raw)"
METRICS = ("speed", "throughput", "time")
OVER = ("median", "every round")

Side = tuple[str, str]


def _side(s: str | tuple[str, str] | list[str]) -> Side:
    if isinstance(s, str):
        return (s, OURS)
    group, lib = s
    return (group, lib)


@dataclass(frozen=True, init=False)
class Target:
    name: str
    issue: int
    num: Side
    den: Side | None
    goal: float
    cmp: Literal[">=", "<="] = ">="
    metric: str = "speed"
    note: str = ""
    over: Literal["median", "every round"] = "median"

    def __init__(
        self,
        name: str,
        *,
        issue: int,
        num: str | Side,
        den: str | Side | None,
        goal: float,
        cmp: Literal[">=", "<="] = ">=",
        metric: str = "speed",
        note: str = "",
        over: Literal["median", "every round"] = "median",
    ) -> None:
        if cmp not in (">=", "<="):
            raise ValueError(f"cmp must be '>=' or '<=', not {cmp!r}")
        if over not in OVER or (over != "median" and den is None):
            raise ValueError(f"over must be one of {OVER} (a per-round check needs a den), not {over!r}")
        for k, v in (
            ("name", name),
            ("issue", issue),
            ("num", _side(num)),
            ("den", None if den is None else _side(den)),
            ("goal", float(goal)),
            ("cmp", cmp),
            ("metric", metric),
            ("note", note),
            ("over", over),
        ):
            object.__setattr__(self, k, v)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Target:
        return cls(
            d["name"],
            issue=d["issue"],
            num=tuple(d["num"]),
            den=None if d["den"] is None else tuple(d["den"]),
            goal=d["goal"],
            cmp=d["cmp"],
            metric=d.get("metric", "speed"),
            note=d.get("note", ""),
            over=d.get("over", "median"),
        )

    def describe(self) -> str:
        """The goal as a phrase: ``>= 0.85x``, ``<= 100``, ``<= 0.5x every round``."""
        return (
            f"{self.cmp} {self.goal:g}"
            + ("x" if self.den is not None else "")
            + (" every round" if self.over == "every round" else "")
        )


REGISTRY: dict[str, Target] = {}


def register(*targets: Target) -> tuple[Target, ...]:
    """Add targets to the run's registry (module level in a bench file). Re-registering the same name with the
    same definition is a no-op (modules may be imported twice); a different definition is an error."""
    for t in targets:
        old = REGISTRY.get(t.name)
        if old is not None and old != t:
            raise ValueError(f"target {t.name!r} registered twice with different definitions")
        REGISTRY[t.name] = t
    return targets


def issue20_targets(native: bool) -> tuple[Target, ...]:
    """Issue #20's targets for a run with the C line scanner (``openresponses_msgspec.NATIVE``) or without it
    (``OPENRESPONSES_MSGSPEC_PURE=1``, or no compiler at install): a run registers the set of the path it
    measured, so ``check.py`` judges it by the right goals. They replace #10's ">= 1.0x the prototype" and
    ">= 2.0x the full model", which were beyond what msgspec allows (msgspec alone with the 73-tag model is
    0.92-0.97x the prototype; alone with the usage-and-deltas views, 1.92x)."""
    if not native:
        return (
            Target(
                "text SSE whole buffer (data: frames) vs NDJSON, pure Python (#20)",
                issue=20,
                num="text sse",
                den="text ndjson",
                goal=0.85,
            ),
            Target(
                "text SSE whole buffer (event: + data: frames) vs NDJSON, pure Python (#20)",
                issue=20,
                num="text sse-event",
                den="text ndjson",
                goal=0.85,
            ),
        )
    return (
        Target(
            "text NDJSON vs the reference prototype, native scanner (#20)",
            issue=20,
            num="text ndjson",
            den=("text ndjson", REFERENCE),
            goal=0.92,
        ),
        Target(
            "image NDJSON vs the reference prototype, native scanner (#20)",
            issue=20,
            num="image ndjson",
            den=("image ndjson", REFERENCE),
            goal=0.92,
        ),
        Target(
            "text SSE whole buffer (data: frames) vs NDJSON, native scanner (#20)",
            issue=20,
            num="text sse",
            den="text ndjson",
            goal=0.95,
        ),
        Target(
            "text SSE whole buffer (event: + data: frames) vs NDJSON, native scanner (#20)",
            issue=20,
            num="text sse-event",
            den="text ndjson",
            goal=0.95,
        ),
        Target(
            "text projection (usage + text deltas) vs the full model, native scanner (#20)",
            issue=20,
            num=("text ndjson", PROJ_TEXT),
            den="text ndjson",
            goal=1.8,
        ),
        Target(
            "image projection (partial_image_b64 as Raw) vs a bare newline count, native scanner (#20)",
            issue=20,
            num=("image ndjson", PROJ_IMAGE),
            den=("image ndjson", SCAN),
            goal=0.85,
        ),
    )
