"""Fit the cause-confidence calibration table (trueloss_dash/diagnose/calibration.py) on the DEV splits.

Reads scenario dev and real-log dev only (never test), diagnoses every labelled run, and collects
each scored cause (the causes ``eval_scoring.scored_causes`` judges: on a run with acceptable causes
every cause given, right when it is one of them; on a healthy run the causes behind a false alarm,
all wrong) as (raw rule score, position, right). Per position (leading / rival / side, calibration.position) it fits a
logistic curve in the raw score by maximum likelihood with a small ridge on the slope (few points at
the extremes must not make the curve a step), keeps the slope >= 0 (monotone), reads it off at the
grid points, and lifts the leading row to at least the other rows (so the leading cause stays first). Prints the table; ``--write`` rewrites the fitted block of calibration.py.

    .venv/bin/python benchmarks/fit_calibration.py [--write]
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_diagnosis import real_items, scenario_items  # noqa: E402
from eval_scoring import combine_runs, deciding_run, judge, judge_unloadable, scored_causes  # noqa: E402

from trueloss_dash.diagnose import calibration, diagnose  # noqa: E402
from trueloss_dash.diagnose import thresholds as T  # noqa: E402
from trueloss_dash.diagnose.calibration import AGREED, ALIKE, LEADING, POSITIONS, RIVAL, SIDE  # noqa: E402
from trueloss_dash.diagnose.rules.base import BASES, MEASURED, PRIOR, SHAPE  # noqa: E402
from trueloss_dash.diagnose.view import RunView  # noqa: E402

MODULE = ROOT / "trueloss_dash" / "diagnose" / "calibration.py"
FIRST_SIGHT = ROOT / "benchmarks" / "data" / "first_sight.tsv"
FIRST_SIGHT_CAUSES = ROOT / "benchmarks" / "data" / "first_sight_causes.tsv"
GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: Ridge on each logistic slope (per unit of raw score, centred at 0.5) and on each basis offset.
RIDGE = 1.0
DECIMALS = 3
DEV = ("dev",)
#: The shipped design, chosen by grouped cross-validation inside dev (benchmarks/cv_calibration.py):
#: the lowest Brier score averaged over the two dev groups (candidate O).
DESIGN = dict(use_basis=False, balanced=True, split_alike=True, single_curve=True)


@dataclass(frozen=True)
class Point:
    """One scored cause on a dev split."""

    score: float  # the rules' raw score
    where: str  # calibration.position
    basis: str  # measured / shape / prior (rules.base.BASES)
    right: float  # 1 right, 0 wrong; the fit may discount a real dev cause's 1 (fit_table: optimism)
    group: str  # scenarios | real
    fold: str  # what cross-validation keeps together: the repository (real) or the generator seed (scenarios)
    top_score: float = 1.0  # the leading cause's raw score, basis and position (a lower cause is capped at its probability)
    top_basis: str = SHAPE
    top_where: str = LEADING
    single: bool = False  # the run has no validation curve (calibration.single_curve)


def _fold_key(item) -> str:
    if item.group == "real":
        return f"real:{item.family}"
    return f"scenarios:{item.name}"  # one generator seed per scenario run


def first_sight_rate() -> float:
    """Share of freshly labelled real dev logs the engine got right before any fix was made for them
    (benchmarks/data/first_sight.tsv: every corpus round records it)."""
    import csv

    with FIRST_SIGHT.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return sum(int(r["right_at_first_sight"]) for r in rows) / sum(int(r["dev_logs"]) for r in rows)


def first_sight_single_curve() -> list[float]:
    """First-sight outcomes (1 right, 0 wrong) of the leading causes the first-sight cause ledger
    (benchmarks/data/first_sight_causes.tsv, dev rows only) judged on logs without a validation curve:
    what a cause read from one curve is worth on a log the engine was not tuned on. Today's dev holds
    only a handful of such causes, most of them on logs fixed since first sight."""
    import csv

    with FIRST_SIGHT_CAUSES.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t"))
    return [float(r["right_leading"]) for r in rows
            if r.get("single_curve") == "1" and r["judged_as"] in ("acceptable", "false_alarm")]


def optimism_factor(tuned_accuracy: float) -> float:
    """How much less often the engine is right on real logs it was not tuned on: first-sight accuracy
    over today's accuracy on the real dev logs (which every fix was made on). The real dev causes the
    table is fitted to are right that much more often than a new user's runs will be, so each right
    real cause counts as right with this probability (a soft label). At most 1."""
    return min(1.0, first_sight_rate() / tuned_accuracy) if tuned_accuracy > 0 else 1.0


def dev_points(with_accuracy: bool = False):
    """Every scored cause on the dev splits (never test); ``with_accuracy``: also the share of real
    dev logs diagnosed right (eval_scoring.judge; a refused file is scored as the evaluation does)."""
    from trueloss_dash.errors import TruelossError
    from trueloss_dash.ingest import load_path

    points = []
    real_right = real_total = 0
    for item in scenario_items(splits=DEV) + real_items(splits=DEV):
        assert item.split == "dev"
        if item.status == "undecidable":
            continue
        real_total += item.group == "real"
        try:
            runs = load_path(item.path)
        except TruelossError as err:
            real_right += item.group == "real" and judge_unloadable(item.label, str(err)).right
            continue
        if not runs:
            real_right += item.group == "real" and judge_unloadable(item.label, "no run").right
            continue
        reports = [diagnose(run) for run in runs]  # every run of the file, as the evaluation judges it
        judged = [judge(item.label, r) for r in reports]
        real_right += item.group == "real" and combine_runs(item.label, judged).right
        # one file, one item: the causes of the run that decided its judgement (eval_scoring.deciding_run)
        report = reports[deciding_run(item.label, judged)]
        if not report.causes:
            continue
        top = report.causes[0]
        single = calibration.single_curve(RunView.of(runs[deciding_run(item.label, judged)]))
        wheres = dict(zip((c.id for c in report.causes), calibration.positions_of(report.causes, T.CAUSE_TIE_MARGIN)))
        for cause, right in scored_causes(item.label, report):
            where = wheres[cause.id]
            points.append(Point(cause.rank_score, where, cause.basis or SHAPE, bool(right), item.group, _fold_key(item),
                                top.rank_score, top.basis or SHAPE, wheres[top.id], single))
    if with_accuracy:
        return points, (real_right / real_total if real_total else 0.0)
    return points


def _weights(points, balanced: bool | float) -> np.ndarray:
    """1 per point, or (``balanced``) every group the same total weight - a number: the real logs'
    share of the total weight - so ~30 real causes do not drown under ~250 scenario ones whose runs
    carry context real logs rarely have and whose labels accept any training-time effect."""
    if balanced is False:
        return np.ones(len(points))
    share = 0.5 if balanced is True else float(balanced)
    groups = [p.group for p in points]
    counts = {g: groups.count(g) for g in set(groups)}
    if len(counts) < 2:
        return np.ones(len(points))
    return np.array([len(points) * (share if g == "real" else 1 - share) / counts[g] for g in groups])


def _design_matrix(points, use_basis: bool, slope: bool, slopes_off=frozenset()):
    """Columns: one intercept per position, one slope on (raw - 0.5) per position, one offset per
    non-``shape`` basis. Returns (X, ridge per column, column names)."""
    cols, ridge, names = [], [], []
    for w in POSITIONS:
        cols.append([1.0 if p.where == w else 0.0 for p in points]); ridge.append(1e-3); names.append(("a", w))
    if slope:
        for w in POSITIONS:
            if w in slopes_off:
                continue
            cols.append([(p.score - 0.5) if p.where == w else 0.0 for p in points]); ridge.append(RIDGE); names.append(("b", w))
    if use_basis:
        for b in (MEASURED, PRIOR):
            cols.append([1.0 if p.basis == b else 0.0 for p in points]); ridge.append(RIDGE); names.append(("c", b))
    X = np.array(cols, dtype=float).T.reshape(len(points), len(cols))
    return X, np.array(ridge), names


def _newton(X, y, wt, ridge, offset=0.0) -> np.ndarray:
    w = np.zeros(X.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(offset + X @ w)))
        grad = X.T @ (wt * (p - y)) + ridge * w
        hess = X.T @ (X * (wt * p * (1 - p))[:, None]) + np.diag(ridge) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return w


def fit_model(points, use_basis: bool | str = True, balanced: bool | float = True, slope: bool = True,
              split_alike: bool = False, split_agreed: bool = False, single_curve: bool = False,
              single_outcomes: list[float] | None = None) -> dict:
    """Penalised maximum likelihood of logit p = a[position] + b[position] * (raw - 0.5) + c[basis];
    a slope that comes out negative is dropped (the row is flat in the raw score: monotone).
    ``use_basis="real"``: the basis offsets are fitted afterwards on the real logs alone, on top of the
    position rows (what a guess is worth is a property of real runs, not of the generator's knobs).
    ``split_alike=False``: an ``alike`` cause is fitted and read as a ``rival``. ``single_curve``: one
    logit offset for runs without a validation curve, fitted on ``single_outcomes`` (first-sight
    outcomes of leading causes on such logs: :func:`first_sight_single_curve`) when given, else on the
    real points without validation."""
    points = list(points)
    if not split_alike:
        points = [replace(p, where=RIVAL) if p.where == ALIKE else p for p in points]
    if not split_agreed:
        points = [replace(p, where=LEADING) if p.where == AGREED else p for p in points]
    y = np.array([p.right for p in points], dtype=float)
    wt = _weights(points, balanced)
    off: set[str] = set()
    while True:
        X, ridge, names = _design_matrix(points, use_basis is True, slope, frozenset(off))
        coef = dict(zip(names, _newton(X, y, wt, ridge))) if points else {}
        negative = {n[1] for n, v in coef.items() if n[0] == "b" and v < 0}
        if not negative:
            break
        off |= negative
    if use_basis == "real":
        real = [p for p in points if p.group == "real"]
        if real:
            X, _, names = _design_matrix(real, False, slope, frozenset(off))
            base = X @ np.array([coef[n] for n in names])
            B = np.array([[1.0 if p.basis == b else 0.0 for b in (MEASURED, PRIOR)] for p in real])
            c = _newton(B, np.array([p.right for p in real], dtype=float), np.ones(len(real)), np.full(2, RIDGE), base)
            coef.update({("c", MEASURED): float(c[0]), ("c", PRIOR): float(c[1])})
    coef[("s", "single")] = 0.0
    if single_curve and single_outcomes is not None:
        # one logit offset for runs without a validation curve, fitted on first-sight outcomes of leading
        # causes on such logs (the ledger records the leading cause: on top of the leading row at the
        # middle of the grid), ridge-shrunk toward 0
        if single_outcomes:
            base = np.full(len(single_outcomes), coef.get(("a", LEADING), 0.0))
            c = _newton(np.ones((len(single_outcomes), 1)), np.array(single_outcomes, dtype=float),
                        np.ones(len(single_outcomes)), np.full(1, RIDGE), base)
            coef[("s", "single")] = float(c[0])
    elif single_curve:
        # one logit offset for runs without a validation curve, fitted on the real logs without one on
        # top of the rows (generated runs always log validation), ridge-shrunk toward 0
        lone = [p for p in points if p.group == "real" and p.single]
        if lone:
            X, _, names = _design_matrix(lone, use_basis is True, slope, frozenset(off))
            base = X @ np.array([coef.get(nm, 0.0) for nm in names])
            c = _newton(np.ones((len(lone), 1)), np.array([p.right for p in lone], dtype=float), np.ones(len(lone)),
                        np.full(1, RIDGE), base)
            coef[("s", "single")] = float(c[0])
    n = {w: sum(p.where == w for p in points) for w in POSITIONS}
    right = {w: (float(np.mean([p.right for p in points if p.where == w])) if n[w] else 0.0) for w in POSITIONS}
    return {"coef": coef, "use_basis": use_basis, "split_alike": split_alike, "split_agreed": split_agreed,
            "single_offset": coef[("s", "single")], "summary": {w: (n[w], round(right[w], DECIMALS)) for w in POSITIONS},
            "basis_summary": {b: (sum(p.basis == b for p in points),
                                  round(float(np.mean([p.right for p in points if p.basis == b])), DECIMALS)
                                  if any(p.basis == b for p in points) else 0.0) for b in BASES}}


def table_of(model: dict) -> dict:
    """{(position, basis): row over GRID} from a fitted model; every leading row is lifted to at least
    every rival and side row, whatever their bases, so calibration never demotes the leading cause (an
    alike cause is capped at the lead's probability when it is read: calibration.cap)."""
    coef, grid = model["coef"], np.array(GRID)
    rows = {}
    for w in POSITIONS:
        if (w == ALIKE and not model.get("split_alike")) or (w == AGREED and not model.get("split_agreed")):
            continue
        for b in BASES:
            z = coef.get(("a", w), 0.0) + coef.get(("b", w), 0.0) * (grid - 0.5)
            if model["use_basis"] is not False:
                z = z + coef.get(("c", b), 0.0)
            rows[(w, b)] = 1.0 / (1.0 + np.exp(-z))
    if not model.get("split_alike"):
        rows.update({(ALIKE, b): rows[(RIVAL, b)] for b in BASES})
    if not model.get("split_agreed"):
        rows.update({(AGREED, b): rows[(LEADING, b)] for b in BASES})
    # an alike cause says what the lead says: it is capped at the lead's probability (calibration.cap)
    # instead of lifting every lead to it
    lower = np.max([rows[(w, b)] for w in (RIVAL, SIDE) for b in BASES], axis=0)
    for w in (LEADING, AGREED):
        for b in BASES:
            rows[(w, b)] = np.maximum(rows[(w, b)], lower)
    return {k: tuple(round(float(v), DECIMALS) for v in row) for k, row in rows.items()}


def fit_table(points=None, optimism: float = 1.0, single_outcomes: list[float] | None = None) -> dict:
    """{"grid", "table", "summary", "basis_summary", "optimism"} of the shipped design fitted on the dev
    points; with no points given, the real dev causes are discounted by :func:`optimism_factor` and the
    single-curve offset is fitted on :func:`first_sight_single_curve` (with points given, on
    ``single_outcomes`` if any, else on the points without validation)."""
    if points is None:
        points, accuracy = dev_points(with_accuracy=True)
        optimism = optimism_factor(accuracy)
        if single_outcomes is None:
            single_outcomes = first_sight_single_curve()
    points = [replace(p, right=float(p.right) * optimism) if p.group == "real" else p for p in points]
    model = fit_model(points, **DESIGN, single_outcomes=single_outcomes)
    return {"grid": GRID, "table": table_of(model), "summary": model["summary"], "basis_summary": model["basis_summary"],
            "single_offset": round(model["single_offset"], DECIMALS), "optimism": round(optimism, DECIMALS)}


def render(fit: dict) -> str:
    """The fitted block of calibration.py."""
    def row(values) -> str:
        return "(" + ", ".join(f"{v:g}" for v in values) + ")"

    lines = [
        "# BEGIN FITTED TABLE (benchmarks/fit_calibration.py --write; do not edit by hand)",
        "#: Raw rule score at which each row is read off.",
        f"RAW_GRID = {row(fit['grid'])}",
        "#: Calibrated probability per (position, basis) at each grid point.",
        "CALIBRATION_TABLE = {",
        *(f"    ({w.upper()}, {b.upper()}): {row(fit['table'][(w, b)])}," for w in POSITIONS for b in BASES),
        "}",
        "#: Logit offset for the causes of a run without a validation curve (fitted on first-sight outcomes of leading",
        "#: causes on dev logs without one: benchmarks/data/first_sight_causes.tsv).",
        f"SINGLE_CURVE_OFFSET = {fit['single_offset']:g}",
        "#: Each right real dev cause counted as right with this probability (first-sight accuracy over",
        "#: today's real dev accuracy: benchmarks/fit_calibration.optimism_factor).",
        f"OPTIMISM_FACTOR = {fit['optimism']:g}",
        "#: What the fit saw: scored causes per position and per basis, and the share of them that were right",
        "#: (real dev causes discounted by OPTIMISM_FACTOR).",
        "FIT_SUMMARY = {",
        *(f"    {w.upper()}: ({fit['summary'][w][0]}, {fit['summary'][w][1]:g})," for w in POSITIONS),
        *(f"    {b.upper()}: ({fit['basis_summary'][b][0]}, {fit['basis_summary'][b][1]:g})," for b in BASES),
        "}",
        "# END FITTED TABLE",
    ]
    return "\n".join(lines)


def shipped() -> dict | None:
    summ = calibration.FIT_SUMMARY
    if not all(k in summ for k in (*POSITIONS, *BASES)):
        return None
    return {"grid": tuple(calibration.RAW_GRID), "table": {k: tuple(v) for k, v in calibration.CALIBRATION_TABLE.items()},
            "summary": {w: tuple(summ[w]) for w in POSITIONS}, "basis_summary": {b: tuple(summ[b]) for b in BASES},
            "single_offset": getattr(calibration, "SINGLE_CURVE_OFFSET", None),
            "optimism": getattr(calibration, "OPTIMISM_FACTOR", None)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="rewrite the fitted block of trueloss_dash/diagnose/calibration.py")
    args = ap.parse_args(argv)
    fit = fit_table()
    print("raw score          " + "  ".join(f"{g:5.2f}" for g in fit["grid"]))
    for (w, b), row in fit["table"].items():
        print(f"{w + ' / ' + b:<18} " + "  ".join(f"{v:5.2f}" for v in row))
    for k, (n, right) in {**fit["summary"], **fit["basis_summary"]}.items():
        print(f"{k:<9} n={n:<4} {100 * right:.0f}% right")
    print(f"optimism factor on real dev causes: {fit['optimism']:g} (first sight {first_sight_rate():.3f})")
    print(f"logit offset for runs without a validation curve: {fit['single_offset']:g}")
    same = fit == shipped()
    if args.write and not same:
        text = MODULE.read_text(encoding="utf-8")
        text = re.sub(r"# BEGIN FITTED TABLE.*?# END FITTED TABLE", lambda _: render(fit), text, flags=re.S)
        MODULE.write_text(text, encoding="utf-8")
        print(f"wrote {MODULE.relative_to(ROOT)}")
    else:
        print("the shipped table " + ("matches this fit" if same else "differs: run with --write"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
