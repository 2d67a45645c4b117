"""Robustness of quiet verdicts on DEV logs under realistic perturbations (never the test splits).

Every healthy-labelled dev log (real corpus and verified scenarios) that the engine leaves quiet is
re-diagnosed after changes a user's log could have had instead: the losses x0.1 (another unit or
reduction), 2% multiplicative noise, every second point (a coarser logging interval), the last 20%
or the first 10% of the points missing (a run stopped early, a log started late). Prints the alarms
(warning/critical findings not in the label's ``also_ok``) that appear, per perturbation and kind:
a detector that flips on these is tuned to its samples, not to the curves' shape.

``--sensitivity`` asks the converse on the dev logs labelled with a finding that the engine gets
right: how many perturbed copies are judged wrong, per expected finding and perturbation - a finding
that flips on a coarser logging interval or a shorter run was found by luck.

    .venv/bin/python benchmarks/probe_perturbations.py [--group real|scenarios] [--examples] [--sensitivity]
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_diagnosis import real_items, scenario_items  # noqa: E402
from eval_scoring import alarms, judge  # noqa: E402

from trueloss_dash.diagnose import diagnose  # noqa: E402
from trueloss_dash.errors import TruelossError  # noqa: E402
from trueloss_dash.ingest import load_path  # noqa: E402

AXES = ("y", "step", "epoch", "wall_time")


def _take(series, idx) -> None:
    for a in AXES:
        v = getattr(series, a, None)
        if v is not None:
            setattr(series, a, v[idx])


def variants(run, seed: int = 0):
    """(name, perturbed copy of the run) for each perturbation."""
    rng = np.random.default_rng(seed)

    def each(f):
        r = copy.deepcopy(run)
        for name, s in r.series.items():
            f(name, s)
        return r

    yield "losses x0.1", each(lambda n, s: setattr(s, "y", s.y * 0.1) if "loss" in n else None)
    yield "2% noise", each(lambda n, s: setattr(s, "y", s.y * np.exp(0.02 * rng.standard_normal(len(s.y)))) if "loss" in n else None)
    yield "every 2nd point", each(lambda n, s: _take(s, np.arange(0, len(s.y), 2)) if len(s.y) >= 8 else None)
    yield "last 20% missing", each(lambda n, s: _take(s, np.arange(int(np.ceil(0.8 * len(s.y))))))
    yield "first 10% missing", each(lambda n, s: _take(s, np.arange(int(0.1 * len(s.y)), len(s.y))))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--group", choices=("real", "scenarios"), default="real")
    ap.add_argument("--examples", action="store_true", help="list every alarm that appeared")
    ap.add_argument("--sensitivity", action="store_true", help="found findings lost under perturbation (not healthy logs)")
    args = ap.parse_args(argv)
    if args.sensitivity:
        return sensitivity(args)
    items = real_items(splits=("dev",)) if args.group == "real" else [
        i for i in scenario_items(splits=("dev",)) if i.status == "labelled"]
    counts, examples, quiet, tried = Counter(), [], 0, 0
    for item in items:
        assert item.split == "dev"
        if not item.label.healthy:
            continue
        try:
            runs = load_path(item.path)
        except TruelossError:
            continue
        if not runs or alarms(diagnose(runs[0]), item.label.also_ok):
            continue
        quiet += 1
        for name, run in variants(runs[0]):
            tried += 1
            for f in alarms(diagnose(run), item.label.also_ok):
                counts[(name, f.kind)] += 1
                examples.append(f"{name:18} {f.kind:18} {item.name}: {f.summary[:160]}")
    print(f"{quiet} quiet healthy {args.group} dev logs, {tried} perturbed copies: "
          f"{sum(counts.values())} alarms appeared ({sum(counts.values()) / max(tried, 1):.1%})")
    for (name, kind), k in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {k:3d}  {name:18} {kind}")
    if args.examples:
        print("\n".join(examples))
    return 0


def sensitivity(args) -> int:
    items = real_items(splits=("dev",)) if args.group == "real" else [
        i for i in scenario_items(splits=("dev",)) if i.status == "labelled"]
    lost, tried, right_logs, examples = Counter(), Counter(), Counter(), []
    for item in items:
        assert item.split == "dev"
        want = item.label.expected_finding
        if item.label.healthy or want == "nothing_to_diagnose" or not want:
            continue
        try:
            runs = load_path(item.path)
        except TruelossError:
            continue
        if len(runs) != 1 or not judge(item.label, diagnose(runs[0])).right:
            continue
        right_logs[want] += 1
        for name, run in variants(runs[0]):
            tried[(want, name)] += 1
            j = judge(item.label, diagnose(run))
            if not j.right:
                lost[(want, name)] += 1
                examples.append(f"{name:18} {want:18} {item.name}: {j.why[:160]}")
    total = sum(tried.values())
    print(f"{sum(right_logs.values())} right dev {args.group} logs with a finding, {total} perturbed copies: "
          f"{sum(lost.values())} judged wrong ({sum(lost.values()) / max(total, 1):.1%})")
    names = list(dict.fromkeys(n for _, n in tried))
    print(f"{'expected finding':22} {'logs':>5} " + " ".join(f"{n[:16]:>17}" for n in names))
    for want in sorted(right_logs):
        print(f"{want:22} {right_logs[want]:5d} " + " ".join(
            f"{lost[(want, n)]:>10d}/{tried[(want, n)]:<6d}" for n in names))
    if args.examples:
        print("\n".join(examples))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
