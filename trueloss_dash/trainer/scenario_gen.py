"""Generate the randomised evaluation scenarios: train, verify the knob label on the curves, write
the log in its layout, and record the label.

    python -m trueloss_dash.trainer.scenario_gen --split dev --n 300 [--start 0] [--out DIR]

Output (committed, so evaluation never retrains): ``DIR/<split>/<id>/<log file>`` and
``DIR/<split>/labels.tsv`` (one row per run; ``status`` is ``verified`` or ``undecidable`` - the
knob label is not visible on the curves - or ``unloadable``). Resumable: runs already in
``labels.tsv`` with the same knobs are skipped, so an interrupted generation continues where it
stopped. One torch thread; run it under ``nice``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .. import columns as C
from .scenarios import HEALTHY, Label, Scenario, label_from_knobs, sample_scenario

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "scenarios"

LABEL_COLUMNS = ("file", "split", "id", "family", "layout", "has_true_loss", "context", "expected_finding",
                 "acceptable_causes", "also_ok", "status", "reason", "numbers", "train_cpu_s", "knobs")

#: Healthy runs whose validation ends this far above its minimum may also get an overfitting note.
MILD_RISE = 1.05


def start_loss(config) -> float:
    """Loss of an untrained model on this task: ln K for K balanced classes, E[y^2] for regression
    (an untrained net predicts about 0). The scenario criteria measure "learned" against it."""
    from .data import build_data

    data = build_data(config)
    if data.n_classes:
        return math.log(data.n_classes)
    return float((data.y_val.double() ** 2).mean())


def _context_fields(run) -> dict[str, Any]:
    ctx = run.context.to_dict()
    ctx.pop("extra", None)
    return ctx


def _knobs(scenario: Scenario) -> str:
    return json.dumps({**scenario.config, "layout_options": scenario.layout_options}, sort_keys=True, separators=(",", ":"))


def trained(scenario: Scenario, cache: Path | None = None):
    """(TrainResult, CPU seconds) of the scenario; with ``cache``, a run trained before is read back
    (the full records: re-verifying after a criterion changes costs no training)."""
    from .loop import TrainResult, train

    cfg = scenario.train_config()
    path = None
    if cache is not None:
        digest = hashlib.sha1(_knobs(scenario).encode()).hexdigest()[:10]
        path = cache / f"{scenario.id}-{digest}.json"
        if path.exists():
            d = json.loads(path.read_text())
            return TrainResult(config=cfg, records=d["records"], step_records=d["step_records"], status=d["status"],
                               n_train=d["n_train"], n_val=d["n_val"], message=d.get("message")), d["cpu_s"]
    t0 = time.process_time()
    result = train(cfg)
    cpu_s = time.process_time() - t0  # CPU seconds: what the run costs, whatever else shares the cores
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        keep = {"records": result.records, "step_records": result.step_records, "status": result.status,
                "n_train": result.n_train, "n_val": result.n_val, "message": result.message, "cpu_s": cpu_s}
        path.write_text(json.dumps(keep))
    return result, cpu_s


def generate_one(scenario: Scenario, folder: Path, cache: Path | None = None) -> dict[str, Any]:
    """Train (or read the cache), verify, write; return the labels.tsv row (as a dict)."""
    from ..errors import TruelossError
    from ..ingest import load_path
    from .framework_logs import write_layout
    from .phenomena import check_scenario

    cfg = scenario.train_config()
    result, train_s = trained(scenario, cache)
    run = result.to_run()
    verdict = check_scenario(scenario.family, run, start_loss(cfg))
    shutil.rmtree(folder / scenario.id, ignore_errors=True)  # a regenerated run keeps no stale file
    path = write_layout(folder / scenario.id, scenario.layout, scenario.layout_options, result)
    row: dict[str, Any] = {
        "file": str(path.relative_to(folder)), "split": scenario.split, "id": scenario.id, "family": scenario.family,
        "layout": scenario.layout, "train_cpu_s": f"{train_s:.2f}",
        "knobs": _knobs(scenario),
        "numbers": ", ".join(f"{k}={v:.3g}" for k, v in verdict.numbers.items()),
    }
    try:
        loaded = load_path(path)[0]
    except TruelossError as err:
        row.update(status="unloadable", reason=str(err), expected_finding="", acceptable_causes="", also_ok="",
                   has_true_loss="", context="")
        return row
    has_true = loaded.get(C.TRUE_TRAIN_LOSS) is not None
    context = _context_fields(loaded)
    label: Label = label_from_knobs(scenario.family, has_true_loss=has_true, context=context,
                                    collapsed=bool(verdict.numbers.get("collapsed")))
    also_ok = list(label.also_ok)
    if label.expected_finding == HEALTHY and verdict.numbers.get("val_end_over_min", 1.0) > MILD_RISE:
        also_ok.append("overfitting")  # validation ended 5-10% above its best: a note on it is fair
    row.update(
        has_true_loss=int(has_true), context=json.dumps(context, sort_keys=True, separators=(",", ":")),
        expected_finding=label.expected_finding, acceptable_causes=",".join(label.acceptable_causes),
        also_ok=",".join(also_ok),
        status="verified" if verdict.ok else "undecidable",
        reason=label.reason if verdict.ok else "knob label not visible on the curves: " + "; ".join(verdict.failed),
    )
    return row


def read_labels(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["id"]: r for r in csv.DictReader(fh, delimiter="\t")}


def write_labels(path: Path, rows: dict[str, dict[str, Any]]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=LABEL_COLUMNS, delimiter="\t", lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for key in sorted(rows):
            w.writerow(rows[key])
    tmp.replace(path)


def _same_knobs(row: dict[str, str], scenario: Scenario) -> bool:
    return row.get("knobs") == _knobs(scenario)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate randomised, knob-labelled, curve-verified training runs.")
    ap.add_argument("--split", required=True, choices=("dev", "test"))
    ap.add_argument("--n", type=int, required=True, help="number of runs (indices start..start+n-1)")
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--force", action="store_true", help="regenerate runs already in labels.tsv (re-verify: cached runs are not retrained)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "trueloss_scenario_cache",
                    help="full trainer records of every run (outside the repo); '' to disable")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    folder = args.out / args.split
    folder.mkdir(parents=True, exist_ok=True)
    labels_path = folder / "labels.tsv"
    rows: dict[str, dict[str, Any]] = dict(read_labels(labels_path))
    t_all = time.perf_counter()
    done = 0
    for index in range(args.start, args.start + args.n):
        scenario = sample_scenario(args.split, index)
        if not args.force and scenario.id in rows and _same_knobs(rows[scenario.id], scenario):
            continue
        row = generate_one(scenario, folder, args.cache if str(args.cache) else None)
        rows[scenario.id] = row
        done += 1
        print(f"{scenario.id} {scenario.family:20} {scenario.layout:10} {row['status']:11} {row['train_cpu_s']:>6}s cpu  {row.get('numbers', '')[:90]}",
              file=sys.stderr, flush=True)
        if done % 10 == 0:
            write_labels(labels_path, rows)
    write_labels(labels_path, rows)
    print(f"generated {done} runs in {time.perf_counter() - t_all:.0f} s -> {labels_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
