"""Evaluate the diagnosis on a labelled set much larger than the 15 committed sample runs.

Groups (each run is scored: expected finding present, expected cause in the top 2, and - on runs
labelled clean - no spike/divergence finding):

- ``presets``   every trainer preset x 4 seeds, plus -30% / +30% epochs and (image presets) the CNN
                task: the full trainer log (true training loss, gap decomposition, context).
- ``no_true``   the same runs with ``true_train_loss`` and the ``gap_*`` / penalty series REMOVED
                (what a Keras/Lightning user has: reported train + val), context kept.
- ``no_true_no_ctx`` ... and the context removed too. Without the true loss *and* without context
                the inverted-gap cause is not identifiable from two curves; there the label asks for
                a *plausible* cause in the top 2 (see ``NO_CTX_PLAUSIBLE``) and the true one listed.
- ``step_noise`` epoch-level runs resampled to step level (50 noisy minibatch losses per epoch,
                validation at epoch ends), true/gap series removed, context kept.
- ``real``      real public logs from ``/work/shared/real_logs`` with hand labels (below, one-line
                justification each, decided by looking at the curves).

Trained runs are cached as ``Run.to_dict`` JSON (``--cache``, default a temp dir) so re-running only
re-diagnoses. At most 2 training workers (``--workers``), one torch thread each.

    .venv/bin/python benchmarks/eval_diagnosis.py [--seeds 4] [--workers 2] [--cache DIR] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trueloss_dash import columns as C  # noqa: E402
from trueloss_dash.diagnose import diagnose  # noqa: E402
from trueloss_dash.run import Run, RunContext, Series  # noqa: E402

REAL_LOGS = Path(os.environ.get("TRUELOSS_REAL_LOGS", "/work/shared/real_logs"))

#: Findings that must never appear on a run labelled clean (no false alarms).
FALSE_ALARMS = ("spike", "divergence")

#: Inverted-gap causes that cannot be told apart with only reported train + val and no context:
#: any of them in the top 2 is a correct (plausible) answer; the preset's own cause must be listed.
BENIGN_GAP = ("dropout", "augmentation", "weight_penalty", "epoch_averaging_lag", "batchnorm_instability")


#: In ``no_true_no_ctx`` (reported train + val only, no context) a data mismatch (noisy labels,
#: easier validation, leakage) leaves the same two curves as a regulariser: validation below the
#: reported loss. Only the true training loss (or a step-0 validation) settles it; these runs are
#: scored, and also reported apart as "undecidable" (the score is printed with and without them).
UNDECIDABLE_NO_CTX = ("label_noise", "easier_val", "leakage")


@dataclass
class Case:
    group: str
    name: str
    findings: tuple[str, ...]  # at least one must be present
    causes: tuple[str, ...]  # at least one must be in the top 2 (empty: no requirement)
    clean: bool = False  # no spike/divergence allowed
    listed: tuple[str, ...] = ()  # must appear somewhere in the causes
    not_top: tuple[str, ...] = ()  # must not be the top cause
    why: str = ""
    undecidable: bool = False  # the information in this degraded log cannot settle the label
    run: Run | None = field(default=None, repr=False)
    path: Path | None = None


# --------------------------------------------------------------------------------------------------
# Real logs, hand labelled (looked at the curves; one line of justification each)
# --------------------------------------------------------------------------------------------------
# (relative path, expected findings, expected causes (one in top 2), clean?, not_top, justification)
REAL_LABELS = [
    ("keras_csv/Car-Prediction-CNN-Model__training.log", ("overfitting",), ("overfitting",), False, (),
     "val_loss bottoms at epoch 42 (0.71) then drifts up while loss keeps falling"),
    ("keras_csv/dogbreedai__history.csv", ("overfitting",), ("overfitting",), False, (),
     "val_loss minimum at row 9 then rising, training loss falling"),
    ("fastai_csv/fastai-sportsball-classifier__history.csv", ("overfitting",), ("overfitting",), False, (),
     "valid_loss min 0.23 at epoch 6 then up to 0.69 while train_loss falls"),
    ("keras_csv/Flowers_Classification_Project__transfer_learing_history.csv", ("inverted_gap",),
     ("dropout", "augmentation", "epoch_averaging_lag", "weight_penalty"), True, ("data_mismatch",),
     "val < train all 20 epochs on a transfer-learning model with augmentation/dropout: a training-time effect, not a bug"),
    ("keras_csv/BraTS2020CapstoneProject__training.log", (), (), True, (),
     "segmentation run that converges; val above train; nothing alarming"),
    ("keras_csv/testeimgbirds__history.csv", (), (), True, (),
     "10 epochs, both losses fall: no spike or divergence to report"),
    ("hf_trainer_state/tinyLlama-finetune__trainer_state.json", (), (), True, (),
     "SFT fine-tune, eval_loss monotonically decreasing"),
    ("hf_trainer_state/lora-imdb-distilbert__trainer_state.json", (), (), True, (),
     "LoRA fine-tune, minibatch-noisy loss every 20 steps, 3 evals: normal noise, no real spike"),
    ("hf_trainer_state/mT5-based-azerbaijani-news-summarize__trainer_state.json", (), (), True, (),
     "loss falls from 25.5 (warm-up drop) and keeps falling; evals every 100 steps decrease"),
    ("lightning_csv/cv-image-classification__metrics.csv", (), (), True, (),
     "MNIST CNN, train every 50 steps, val per epoch; ordinary descent"),
    ("lightning_csv/Contact-Point-Detection__hall_of_fame_metrics.csv", ("plateau",), (), True, ("underfitting",),
     "train_loss 85.09 -> 85.03 over 1023 epochs: a plateau; with no validation, underfitting is not established"),
    ("yolo_results/helmet-detection-yolov5__exp2_results.csv", ("overfitting",), ("overfitting", "overconfidence"), True, (),
     "val loss +7% after epoch 77 while train loss -29% (overfitting) yet mAP0.5:0.95 +10%: both readings are fair; "
     "precision alone (threshold trade-off) must not be the evidence"),
    ("yolo_results/yolov5-seat-belt__exp_results.csv", (), (), True, (),
     "YOLOv5: val/box_loss < train/box_loss most epochs (augmentation-heavy training), nothing broken"),
    ("yolo_results/YOLOv8-Fire-and-Smoke-Detection__results.csv", (), (), True, (),
     "25-epoch YOLOv8 run, losses fall"),
    ("yolo_results/HandRaisingDetector-YOLO12n__train3_results.csv", (), (), True, (),
     "200 epochs YOLO12n, val losses below train (mosaic augmentation), converges"),
    ("yolo_results/Weather-Classification-with-YOLOv8__classify_results.csv", (), (), True, (),
     "7-epoch classifier run, losses fall"),
    ("text_log/modded-nanogpt__2024-06-06_AdamW_f66d43d7.log", (), (), True, (),
     "GPT-2 speedrun, train every step + val every 128: smooth descent"),
    ("text_log/modded-nanogpt__2024-12-04_ValueEmbed_00008ea0.txt", (), (), True, (),
     "GPT-2 speedrun record, smooth descent"),
    ("tfevents/cv-image-classification__mnist_cnn_v0_events.out.tfevents.1785441771.squirrels-iMac.local.1798.3", (), (), True, (),
     "same MNIST CNN as the Lightning CSV, TensorBoard copy"),
    ("tfevents/YOLOv8-Fire-and-Smoke-Detection__events.out.tfevents.1675348815.43529bab29be.37247.0", (), (), True, (),
     "same run as the YOLOv8 results.csv, per-batch train losses"),
    ("detectron2_metrics_json/Medical_Waste_Detection_Detectron2__metrics.json", (), (), True, (),
     "detectron2 total_loss falling with LR warm-up; no eval rows"),
]


def real_cases() -> list[Case]:
    from trueloss_dash.ingest import load_path

    out = []
    for rel, finds, causes, clean, not_top, why in REAL_LABELS:
        path = REAL_LOGS / rel
        if not path.exists():
            continue
        try:
            runs = load_path(path)
        except Exception as err:  # a reader problem is not a diagnosis score
            print(f"  (skipped {rel}: {err})", file=sys.stderr)
            continue
        out.append(Case("real", rel.split("/")[-1][:60], finds, causes, clean, (), not_top, why, run=runs[0], path=path))
    return out


# --------------------------------------------------------------------------------------------------
# Trainer runs (cached)
# --------------------------------------------------------------------------------------------------


def variants(seeds: int) -> list[tuple[str, dict]]:
    from trueloss_dash.trainer import PRESETS

    out = []
    for name, p in PRESETS.items():
        epochs = int(p.config.get("epochs", 20))
        for s in range(1, seeds + 1):
            out.append((name, {"seed": s}))
        out.append((name, {"seed": 11, "epochs": max(6, int(round(epochs * 0.7)))}))
        out.append((name, {"seed": 12, "epochs": int(round(epochs * 1.3))}))
        if p.config.get("task") == "digits_mlp" and name in ("clean", "dropout", "augmentation", "l2_penalty", "bn_small_batch"):
            out.append((name, {"seed": 13, "task": "digits_cnn"}))
    return out


def grid_variants(seeds=range(6), factors=(0.7, 1.0, 1.3)) -> list[tuple[str, dict]]:
    """The robustness grid: every preset x seeds x epoch factors (x1.0 = the preset's own length)."""
    from trueloss_dash.trainer import PRESETS

    out = []
    for name, p in PRESETS.items():
        epochs = int(p.config.get("epochs", 20))
        for f in factors:
            for s in seeds:
                over = {"seed": s} if f == 1.0 else {"seed": s, "epochs": max(6, int(round(epochs * f)))}
                out.append((name, over))
    return out


def with_twins(todo: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """``todo`` plus the twin run each twin-compared criterion needs (same overrides)."""
    from trueloss_dash.trainer.phenomena import TWINS

    out = list(todo)
    for name, over in todo:
        if name in TWINS and (TWINS[name], over) not in out:
            out.append((TWINS[name], over))
    return out


def _label(name: str, over: dict) -> str:
    return name + "".join(f"_{k}{v}" for k, v in sorted(over.items()))


def _key(name: str, over: dict) -> str:
    """Cache key: the variant's label plus a hash of its full config (a changed preset retrains)."""
    import hashlib

    from trueloss_dash.trainer import preset_config

    digest = hashlib.sha1(json.dumps(preset_config(name, **over).to_dict(), sort_keys=True).encode()).hexdigest()[:8]
    return _label(name, over) + "_" + digest


def _train_one(args) -> tuple[str, dict]:
    name, over, cache = args
    path = Path(cache) / f"{_key(name, over)}.json"
    if path.exists():
        return str(path), {}
    import torch

    torch.set_num_threads(1)
    from trueloss_dash.trainer import preset_config, train

    cfg = preset_config(name, **over)
    if "lr_spike_epoch" in cfg.__dict__ and cfg.lr_spike_epoch is not None and cfg.lr_spike_epoch > cfg.epochs:
        return str(path), {"error": "lr spike after the end"}
    t = time.time()
    run = train(cfg).to_run()
    run.meta["eval_train_seconds"] = time.time() - t
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(run.to_dict()))
    tmp.replace(path)
    return str(path), {}


def trained_runs(todo: list[tuple[str, dict]], workers: int, cache: Path, train: bool = True) -> list[tuple[str, dict, Run]]:
    cache.mkdir(parents=True, exist_ok=True)
    jobs = [(n, o, str(cache)) for n, o in todo]
    missing = [j for j in jobs if not (cache / f"{_key(j[0], j[1])}.json").exists()]
    if missing and train:
        print(f"training {len(missing)} runs with {workers} worker(s) (cache {cache}) ...", file=sys.stderr)
        with ProcessPoolExecutor(max_workers=workers) as ex:
            list(ex.map(_train_one, missing))
    out = []
    for n, o in todo:
        p = cache / f"{_key(n, o)}.json"
        if p.exists():
            out.append((n, o, Run.from_dict(json.loads(p.read_text()))))
    return out


# --------------------------------------------------------------------------------------------------
# Degradations
# --------------------------------------------------------------------------------------------------

_MEASURED_ONLY = (C.TRUE_TRAIN_LOSS, C.TRUE_TRAIN_ACC, "train_loss_no_penalty", "penalty")


def strip_true(run: Run, keep_context: bool) -> Run:
    """Only what a framework logs: reported train, val, accuracies, lr, grad norm."""
    r = Run.from_dict(run.to_dict())
    for name in list(r.series):
        if name.startswith("gap_") or name.startswith(_MEASURED_ONLY):
            del r.series[name]
    if not keep_context:
        r.context = RunContext()
        r.meta = {}
    return r


def to_step_level(run: Run, per_epoch: int = 50, noise: float = 0.12, seed: int = 0) -> Run:
    """Epoch-level run -> step-level: the reported epoch mean becomes ``per_epoch`` noisy minibatch
    losses around a geometric interpolation (centred half an epoch earlier, as the mean is);
    validation and lr stay at epoch ends, placed on the step axis."""
    rng = np.random.default_rng(seed)
    r = strip_true(run, keep_context=True)
    tr = r.get(C.TRAIN_LOSS)
    if tr is None or tr.epoch is None:
        return r
    ok = np.isfinite(tr.y) & np.isfinite(tr.epoch)
    ep, y = tr.epoch[ok], tr.y[ok]
    n_ep = len(ep)
    steps = np.arange(1, n_ep * per_epoch + 1, dtype=float)
    frac_ep = steps / per_epoch
    if np.all(y > 0):
        base = np.exp(np.interp(frac_ep, ep - 0.5, np.log(y)))
        ys = base * np.exp(rng.normal(0, noise, len(steps)))
    else:
        base = np.interp(frac_ep, ep - 0.5, y)
        ys = base + rng.normal(0, noise * np.abs(base))
    bad = ~np.isfinite(tr.y)
    if bad.any():  # keep a diverged tail non-finite
        ys = np.append(ys, tr.y[bad][:1])
        steps = np.append(steps, steps[-1] + 1)
        frac_ep = np.append(frac_ep, frac_ep[-1] + 1 / per_epoch)
    new = {C.TRAIN_LOSS: Series(C.TRAIN_LOSS, ys, step=steps, epoch=frac_ep)}
    for name, s in r.series.items():
        if name == C.TRAIN_LOSS or s.epoch is None:
            continue
        new[name] = Series(name, s.y, step=s.epoch * per_epoch, epoch=s.epoch)
    r.series = new
    r.name = r.name + "_steps"
    return r


# --------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------


def reproduction(runs) -> dict[str, "object"]:
    """label -> Phenomenon: the preset's criterion (``trainer.phenomena``, the one the tests assert)
    measured on each run, with its twin when the criterion compares against one."""
    from trueloss_dash.trainer.phenomena import TWINS, check_phenomenon

    by_label = {_label(n, o): r for n, o, r in runs}
    return {_label(n, o): check_phenomenon(n, r, by_label.get(_label(TWINS[n], o)) if n in TWINS else None)
            for n, o, r in runs}


def preset_cases(runs, groups, verified) -> list[Case]:
    """Labelled cases from trained runs. A run whose phenomenon the curves do not show gets no
    label (it is reported as 'not reproduced', not scored): labels are verified, never assumed."""
    from trueloss_dash.trainer import PRESETS

    out = []
    for name, over, run in runs:
        p = PRESETS[name]
        label = _label(name, over)
        if not verified[label].ok:
            continue
        clean = not p.expected_findings
        if "presets" in groups:
            out.append(Case("presets", label, p.expected_findings, p.expected_causes, clean, run=run))
        if "no_true" in groups:
            out.append(Case("no_true", label, p.expected_findings, p.expected_causes, clean, run=strip_true(run, True)))
        if "no_true_no_ctx" in groups:
            causes, listed = p.expected_causes, ()
            if p.expected_causes and set(p.expected_causes) <= set(BENIGN_GAP):
                causes, listed = BENIGN_GAP, p.expected_causes
            out.append(Case("no_true_no_ctx", label, p.expected_findings, causes, clean, listed,
                            undecidable=name in UNDECIDABLE_NO_CTX, run=strip_true(run, False)))
        if "step_noise" in groups and name != "no_shuffle":
            out.append(Case("step_noise", label, p.expected_findings, p.expected_causes, clean, run=to_step_level(run, seed=len(label))))
    return out


def print_reproduction(todo, verified, verbose: bool) -> None:
    per: dict[str, list[bool]] = defaultdict(list)
    for name, over in todo:
        ph = verified.get(_label(name, over))
        if ph is None:
            continue
        per[name].append(ph.ok)
        if verbose or not ph.ok:
            print(f"  {_label(name, over):40} {ph}")
    print(f"\n{'preset':16} {'runs':>5} {'phenomenon reproduced':>22}")
    for name, v in per.items():
        print(f"{name:16} {len(v):5d} {sum(v):12d} ({100 * sum(v) / len(v):5.1f}%)")
    allv = [x for v in per.values() for x in v]
    if allv:
        print(f"{'ALL':16} {len(allv):5d} {sum(allv):12d} ({100 * sum(allv) / len(allv):5.1f}%)\n")


def score(case: Case) -> tuple[bool, str, dict]:
    rep = diagnose(case.run)
    kinds = rep.kinds()
    ids = rep.cause_ids()
    bad = []
    if case.findings and not set(case.findings) & set(kinds):  # "expected finding found": any of them
        bad.append(f"missing {'|'.join(case.findings)}")
    if case.causes and not set(case.causes) & set(ids[:2]):
        bad.append(f"cause not in top2 (want {'|'.join(case.causes)})")
    for c in case.listed:
        if c not in ids:
            bad.append(f"{c} not listed")
    if case.clean:
        alarms = [f.kind + ":" + f.series for f in rep.findings if f.kind in FALSE_ALARMS]
        if alarms:
            bad.append(f"false alarm {alarms}")
    if ids and ids[0] in case.not_top:
        bad.append(f"top cause {ids[0]} is wrong")
    got = " ".join(sorted(set(kinds))) or "-"
    top = ", ".join(f"{c.id} {c.confidence:.2f}" for c in rep.causes[:3]) or "-"
    return not bad, "; ".join(bad), {"findings": got, "top": top, "verdict": rep.verdict}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--grid", action="store_true",
                    help="robustness grid instead of the eval variants: every preset x seeds 0-5 x epochs x0.7/x1.0/x1.3")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "trueloss_eval_cache")
    ap.add_argument("--groups", default="presets,no_true,no_true_no_ctx,step_noise,real")
    ap.add_argument("--presets", help="comma-separated preset names (default: all)")
    ap.add_argument("--cached-only", action="store_true", help="score only runs already in the cache (no training)")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every run, not only failures")
    ap.add_argument("--json", type=Path, help="write per-run results here")
    args = ap.parse_args(argv)
    groups = args.groups.split(",")
    cases: list[Case] = []
    if set(groups) - {"real"}:
        todo = grid_variants() if args.grid else variants(args.seeds)
        if args.presets:
            keep = set(args.presets.split(","))
            todo = [(n, o) for n, o in todo if n in keep]
        runs = trained_runs(with_twins(todo), min(2, args.workers), args.cache, not args.cached_only)
        verified = reproduction(runs)
        print_reproduction(todo, verified, args.verbose)
        scored = {_label(n, o) for n, o in todo}
        cases += preset_cases([r for r in runs if _label(r[0], r[1]) in scored], groups, verified)
    if "real" in groups:
        cases += real_cases()
    t0 = time.perf_counter()
    per_group: dict[str, list[bool]] = defaultdict(list)
    decidable: dict[str, list[bool]] = defaultdict(list)
    rows = []
    for case in cases:
        ok, why, info = score(case)
        per_group[case.group].append(ok)
        if not case.undecidable:
            decidable[case.group].append(ok)
        rows.append({"group": case.group, "run": case.name, "ok": ok, "why": why, "undecidable": case.undecidable, **info})
        if args.verbose or not ok:
            mark = "ok  " if ok else ("UNDC" if case.undecidable else "FAIL")
            print(f"{mark} {case.group:15} {case.name:48} {info['findings']:40} | {info['top']}" + (f"  <- {why}" if why else ""))
    dt = time.perf_counter() - t0
    print()
    print(f"{'group':16} {'runs':>5} {'pass':>5} {'rate':>7}   {'without undecidable':>20}")
    tot, tot_dec = [], []
    for g in groups:
        v, d = per_group.get(g, []), decidable.get(g, [])
        tot += v
        tot_dec += d
        if v:
            extra = f"   {sum(d):5d}/{len(d):<5d} {100 * sum(d) / len(d):6.1f}%" if len(d) != len(v) and d else ""
            print(f"{g:16} {len(v):5d} {sum(v):5d} {100 * sum(v) / len(v):6.1f}%{extra}")
    if tot:
        extra = f"   {sum(tot_dec):5d}/{len(tot_dec):<5d} {100 * sum(tot_dec) / len(tot_dec):6.1f}%" if len(tot_dec) != len(tot) else ""
        print(f"{'ALL':16} {len(tot):5d} {sum(tot):5d} {100 * sum(tot) / len(tot):6.1f}%{extra}")
    print(f"(diagnosed {len(tot)} runs in {dt:.1f} s)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
