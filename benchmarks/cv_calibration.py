"""Choose the cause-confidence calibration design by grouped cross-validation INSIDE the dev splits.

Every candidate design (``CANDIDATES``) is fitted on all dev scored causes but one fold and asked for
the held-out fold's probabilities; folds are whole repositories for the real logs and whole generator
seeds for the scenarios, so a fold is never predicted by a fit that saw its own run. The held-out
predictions of each dev group are then scored like the evaluation scores a split: expected calibration
error (``eval_scoring.reliability``) and the Brier score, averaged over ``--repeats`` random fold
assignments. The test splits are never read (``fit_calibration.dev_points`` asks for dev only).

    .venv/bin/python benchmarks/cv_calibration.py [--folds 5] [--repeats 20]

The choice rule is the lowest Brier score averaged over the two dev groups. Brier is a proper score;
ECE is not: one bin holding "alike" causes (right 95% on scenario dev) and rival causes (right 21%)
reads perfectly calibrated at 0.55 while each kind is 30-40 points off, so choosing by ECE had
shipped exactly that pooling. ECE is printed beside it as the check the issue asks for. The design
shipped in ``trueloss_dash/diagnose/calibration.py`` is the one this picks (docs/diagnosis-history.md has the tables).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import fit_calibration as F  # noqa: E402
from eval_scoring import reliability  # noqa: E402

from trueloss_dash.diagnose import calibration  # noqa: E402


def _pos_basis(points, design: dict) -> callable:
    """A design's fitted predictor: fit_calibration.fit_model + read off the table the way calibrate() does."""
    model = F.fit_model(points, **design)
    table = F.table_of(model)
    off = model.get("single_offset", 0.0)

    def read(p, score, where, basis):
        q = calibration.read_table(table, score, where, basis)
        return calibration.with_offset(q, off) if p.single and off else q

    return lambda p: calibration.cap(read(p, p.score, p.where, p.basis), p.where, read(p, p.top_score, p.top_where, p.top_basis))


#: name -> keyword arguments of fit_calibration.fit_model (the shipped design is fit_calibration.DESIGN).
CANDIDATES = {
    "A position x score (before)": dict(use_basis=False, balanced=False),
    "B position x score, groups weighted equally": dict(use_basis=False, balanced=True),
    "C position + basis, pooled": dict(use_basis=True, balanced=False),
    "D position + basis, groups weighted equally": dict(use_basis=True, balanced=True),
    "E position only (no score slope), pooled": dict(use_basis=False, balanced=False, slope=False),
    "F position + basis, no score slope, groups equal": dict(use_basis=True, balanced=True, slope=False),
    "G position x score, real logs 25% of the weight": dict(use_basis=False, balanced=0.25),
    "H position + basis, real logs 25% of the weight": dict(use_basis=True, balanced=0.25),
    "I position x score, real logs 75% of the weight": dict(use_basis=False, balanced=0.75),
    "J position x score pooled + basis offsets from real logs": dict(use_basis="real", balanced=False),
    "K position x score, groups equal + basis offsets from real logs": dict(use_basis="real", balanced=True),
    "L position x score, real 25% + basis offsets from real logs": dict(use_basis="real", balanced=0.25),
    "M position (rivals split: alike / other) x score, pooled": dict(use_basis=False, balanced=False, split_alike=True),
    "N position (rivals split) x score, real logs 25% of the weight": dict(use_basis=False, balanced=0.25, split_alike=True),
    "O position (rivals split) x score, groups weighted equally": dict(use_basis=False, balanced=True, split_alike=True),
    "P position (rivals and leads split by agreement) x score, pooled": dict(use_basis=False, balanced=False, split_alike=True, split_agreed=True),
    "Q position (rivals and leads split) x score, real logs 25% of the weight": dict(use_basis=False, balanced=0.25, split_alike=True, split_agreed=True),
    "R position (rivals and leads split) x score, groups weighted equally": dict(use_basis=False, balanced=True, split_alike=True, split_agreed=True),
    "S position (rivals split) only, pooled": dict(use_basis=False, balanced=False, slope=False, split_alike=True),
    "T position (rivals split) only, groups weighted equally": dict(use_basis=False, balanced=True, slope=False, split_alike=True),
    "U position (rivals and leads split) only, pooled": dict(use_basis=False, balanced=False, slope=False, split_alike=True, split_agreed=True),
    "V position (rivals split) only, real logs 25% of the weight": dict(use_basis=False, balanced=0.25, slope=False, split_alike=True),
    "W O + one logit offset for runs without a validation curve (real logs)": dict(use_basis=False, balanced=True, split_alike=True,
                                                                                   single_curve=True),
}


def folds_of(points, k: int, rng) -> np.ndarray:
    """A fold number per point: every fold key (repository / seed) in one fold."""
    keys = sorted({p.fold for p in points})
    order = rng.permutation(len(keys))
    fold_of_key = {keys[j]: i % k for i, j in enumerate(order)}
    return np.array([fold_of_key[p.fold] for p in points])


def cross_validate(points, design: dict, k: int, repeats: int, seed: int = 0) -> dict[str, tuple[float, float, int]]:
    """{group: (mean ECE, mean Brier, n)} of the held-out predictions over ``repeats`` fold draws."""
    rng = np.random.default_rng(seed)
    groups = sorted({p.group for p in points})
    eces, briers = {g: [] for g in groups}, {g: [] for g in groups}
    for _ in range(repeats):
        fold = folds_of(points, k, rng)
        pred = np.zeros(len(points))
        for f in range(k):
            train = [p for p, q in zip(points, fold) if q != f]
            predict = _pos_basis(train, design)
            for i in np.flatnonzero(fold == f):
                pred[i] = predict(points[i])
        for g in groups:
            idx = [i for i, p in enumerate(points) if p.group == g]
            pts = [(float(pred[i]), points[i].right) for i in idx]
            eces[g].append(reliability(pts).ece)
            briers[g].append(float(np.mean([(c - r) ** 2 for c, r in pts])))
    return {g: (float(np.mean(eces[g])), float(np.mean(briers[g])), sum(p.group == g for p in points)) for g in groups}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated candidate letters (A,B,...)")
    args = ap.parse_args(argv)
    points = F.dev_points()
    rows, brier = [], {}
    for name, design in CANDIDATES.items():
        if args.only and not name.startswith(tuple(args.only.split(","))):
            continue
        cv = cross_validate(points, design, args.folds, args.repeats)
        brier[name] = float(np.mean([cv[g][1] for g in ("real", "scenarios")]))
        shipped = " (shipped)" if design == F.DESIGN else ""
        rows.append([name + shipped, *(f"{cv[g][0]:.3f} / {cv[g][1]:.3f}" for g in ("real", "scenarios"))])
    header = ["design", f"real dev CV ECE / Brier (n={sum(p.group == 'real' for p in points)})",
              f"scenarios dev CV ECE / Brier (n={sum(p.group == 'scenarios' for p in points)})"]
    if args.markdown:
        print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        w = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for r in [header, *rows]:
            print("  ".join(str(v).ljust(w[i]) for i, v in enumerate(r)))
    best = min(brier, key=brier.get)
    print(f"\nlowest mean Brier over the two groups (the choice rule): {best} ({brier[best]:.3f})")
    print(f"{args.folds}-fold grouped CV (real: by repository, scenarios: by generator seed), {args.repeats} fold draws; dev only")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
