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
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_diagnosis import real_items, scenario_items  # noqa: E402
from eval_scoring import scored_causes  # noqa: E402

from trueloss_dash.diagnose import calibration, diagnose  # noqa: E402
from trueloss_dash.diagnose import thresholds as T  # noqa: E402

MODULE = ROOT / "trueloss_dash" / "diagnose" / "calibration.py"
GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: Ridge on the logistic slope (per unit of raw score, centred at 0.5).
RIDGE = 1.0
DECIMALS = 3
DEV = ("dev",)


def dev_points() -> list[tuple[float, str, bool]]:
    """(raw score, position, right) of every scored cause on the dev splits."""
    from trueloss_dash.errors import TruelossError
    from trueloss_dash.ingest import load_path

    points = []
    for item in scenario_items(splits=DEV) + real_items(splits=DEV):
        assert item.split == "dev"
        if item.status == "undecidable":
            continue
        try:
            runs = load_path(item.path)
        except TruelossError:
            continue
        if not runs:
            continue
        report = diagnose(runs[0])
        if not report.causes:
            continue
        top = report.causes[0]
        for cause, right in scored_causes(item.label, report):
            where = calibration.position(cause.rank_score, cause.findings, top.rank_score, top.findings, T.CAUSE_TIE_MARGIN)
            points.append((cause.rank_score, where, bool(right)))
    return points


def fit_logistic(x: np.ndarray, y: np.ndarray, ridge: float = RIDGE) -> tuple[float, float]:
    """(a, b) of p = 1 / (1 + exp(-(a + b * (x - 0.5)))), Newton steps on the penalised log-likelihood."""
    X = np.column_stack([np.ones_like(x), x - 0.5])
    w = np.zeros(2)
    penalty = np.diag([0.0, ridge])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-X @ w))
        grad = X.T @ (p - y) + penalty @ w
        hess = X.T @ (X * (p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    if w[1] < 0:  # a falling curve would reverse the rules' order: refit as a constant
        w = np.array([np.log(y.mean() / (1 - y.mean())) if 0 < y.mean() < 1 else 0.0, 0.0])
    return float(w[0]), float(w[1])


def fit_table(points=None) -> dict:
    """{"grid", "table", "summary"} from the dev points (see the module docstring)."""
    points = dev_points() if points is None else points
    grid = np.array(GRID)
    table, summary = {}, {}
    for where in (calibration.SIDE, calibration.RIVAL, calibration.LEADING):
        x = np.array([s for s, w, _ in points if w == where], dtype=float)
        y = np.array([r for _, w, r in points if w == where], dtype=float)
        a, b = fit_logistic(x, y)
        row = 1.0 / (1.0 + np.exp(-(a + b * (grid - 0.5))))
        if where == calibration.LEADING:  # the lead never drops below a lower cause
            row = np.maximum(row, np.maximum(table[calibration.RIVAL], table[calibration.SIDE]))
        table[where] = row
        summary[where] = (len(x), round(float(y.mean()), DECIMALS) if len(y) else 0.0)
    return {
        "grid": GRID,
        "table": {w: tuple(round(float(v), DECIMALS) for v in table[w]) for w in calibration.POSITIONS},
        "summary": summary,
    }


def render(fit: dict) -> str:
    """The fitted block of calibration.py."""
    def row(values) -> str:
        return "(" + ", ".join(f"{v:g}" for v in values) + ")"

    lines = [
        "# BEGIN FITTED TABLE (benchmarks/fit_calibration.py --write; do not edit by hand)",
        "#: Raw rule score at which each row is read off.",
        f"RAW_GRID = {row(fit['grid'])}",
        "#: Calibrated probability per position at each grid point.",
        "CALIBRATION_TABLE = {",
        *(f"    {w.upper()}: {row(fit['table'][w])}," for w in calibration.POSITIONS),
        "}",
        "#: What the fit saw: scored causes per position, and the share of them that were right.",
        "FIT_SUMMARY = {",
        *(f"    {w.upper()}: ({fit['summary'][w][0]}, {fit['summary'][w][1]:g})," for w in calibration.POSITIONS),
        "}",
        "# END FITTED TABLE",
    ]
    return "\n".join(lines)


def shipped() -> dict:
    return {"grid": tuple(calibration.RAW_GRID), "table": {w: tuple(v) for w, v in calibration.CALIBRATION_TABLE.items()},
            "summary": {w: tuple(v) for w, v in calibration.FIT_SUMMARY.items()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="rewrite the fitted block of trueloss_dash/diagnose/calibration.py")
    args = ap.parse_args(argv)
    fit = fit_table()
    print("raw score   " + "  ".join(f"{g:5.2f}" for g in fit["grid"]))
    for w in calibration.POSITIONS:
        n, right = fit["summary"][w]
        print(f"{w:<11} " + "  ".join(f"{v:5.2f}" for v in fit["table"][w]) + f"   (n={n}, {100 * right:.0f}% right)")
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
