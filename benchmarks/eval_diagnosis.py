"""Evaluate the diagnosis on labelled logs, dev and test side by side.

Groups and splits (a split is where a number may be tuned: ``dev`` yes, ``test`` never):

- ``scenarios`` dev / test: randomised, knob-labelled, curve-verified runs written as the logs users
  have (``benchmarks/data/scenarios/{dev,test}``, made by ``python -m trueloss_dash.trainer.scenario_gen``;
  split by generator seed). Runs whose knob label the curves do not show are ``undecidable``:
  counted, never scored.
- ``real`` dev / test: public training logs in ``tests/data/corpus`` labelled from their curves
  (``LABELS.tsv``, split by repository).
- ``presets`` (tuned): every trainer preset x seeds/lengths, full trainer logs (trains on first use,
  cached in ``--cache``).
- ``shared`` (tuned): hand-labelled files of ``../shared/real_logs``.

Per split: accuracy (expected finding present and, if causes are listed, one in the top 2;
``healthy`` = no warning/critical finding), false-alarm rate on healthy runs, expected calibration
error of cause confidences and a reliability table, undecidable / unloadable counts. Scoring rules:
``benchmarks/eval_scoring.py``. Failures are listed for dev splits only; ``--show-test-failures``
prints test failures too (looking at them invites tuning on test).

    .venv/bin/python benchmarks/eval_diagnosis.py [--split dev|test|all] [--groups scenarios,real,presets,shared]
        [--markdown] [--json FILE] [--show-test-failures] [--cache DIR] [--cached-only] [--grid]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_scoring import Item, Judgement, Label, SplitScore, judge_runs, judge_unloadable, split_list  # noqa: E402

from trueloss_dash.diagnose import diagnose  # noqa: E402

SCENARIOS = ROOT / "benchmarks" / "data" / "scenarios"
CORPUS = ROOT / "tests" / "data" / "corpus"
GROUPS = ("scenarios", "real", "presets", "shared")


# --------------------------------------------------------------------------------------------------
# Loading labelled items
# --------------------------------------------------------------------------------------------------


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(fh, delimiter="\t")]


def scenario_items(root: Path = SCENARIOS, splits=("dev", "test")) -> list[Item]:
    out = []
    for split in splits:
        labels = root / split / "labels.tsv"
        if not labels.exists():
            continue
        for row in _read_tsv(labels):
            label = Label(row["expected_finding"], split_list(row["acceptable_causes"]), split_list(row["also_ok"]))
            status = "labelled" if row["status"] == "verified" else row["status"]
            out.append(Item("scenarios", split, row["id"], label, path=root / split / row["file"],
                            family=row["family"], status=status, reason=row["reason"]))
    return out


def real_items(root: Path = CORPUS, splits=("dev", "test")) -> list[Item]:
    labels = root / "LABELS.tsv"
    if not labels.exists():
        return []
    out = []
    for row in _read_tsv(labels):
        split = row.get("split", "")
        if split not in splits or not row.get("file"):
            continue
        path = root / row["file"]
        if not path.exists():
            path = ROOT / row["file"]
        label = Label(row.get("expected_finding", ""), split_list(row.get("acceptable_causes")), split_list(row.get("also_ok")))
        out.append(Item("real", split, row["file"], label, path=path, family=row.get("repo", ""), reason=row.get("reason", "")))
    return out


# --------------------------------------------------------------------------------------------------
# Judging
# --------------------------------------------------------------------------------------------------


def evaluate(item: Item) -> tuple[Judgement, dict]:
    """Diagnose one item and judge it; info = what the engine said (for failure lists and --json)."""
    from trueloss_dash.errors import TruelossError
    from trueloss_dash.ingest import load_path

    run = item.run
    if run is None:
        try:
            runs = load_path(item.path)
        except TruelossError as err:
            return judge_unloadable(item.label, str(err)), {"findings": "-", "top": "-", "verdict": f"refused: {err}", "unloadable": True}
        if not runs:
            return judge_unloadable(item.label, "no run in the file"), {"findings": "-", "top": "-", "verdict": "no run", "unloadable": True}
    else:
        runs = [run]
    reports = [diagnose(r) for r in runs]  # every run of the file, as its user sees them
    sep = " || " if len(reports) > 1 else ""
    info = {
        "findings": sep.join(" ".join(f"{f.kind}:{f.severity[0]}" for f in r.findings) or "-" for r in reports),
        "top": sep.join(", ".join(f"{c.id} {c.confidence:.2f}" for c in r.causes[:3]) or "-" for r in reports),
        "verdict": sep.join(r.verdict for r in reports),
        "unloadable": False,
    }
    return judge_runs(item.label, reports), info


def _key(item: Item) -> str:
    return f"{item.group}:{item.split}"


def score_all(items: list[Item]) -> tuple[dict[str, SplitScore], list[dict]]:
    scores: dict[str, SplitScore] = defaultdict(SplitScore)
    rows = []
    for item in items:
        score = scores[_key(item)]
        if item.status == "undecidable":
            score.undecidable += 1
            rows.append({"group": item.group, "split": item.split, "name": item.name, "status": "undecidable"})
            continue
        judgement, info = evaluate(item)
        score.add(item.label, judgement)
        score.unloadable += bool(info.get("unloadable"))
        rows.append({"group": item.group, "split": item.split, "name": item.name, "family": item.family,
                     "expected": item.label.expected_finding, "causes": "|".join(item.label.acceptable_causes),
                     "right": judgement.right, "why": judgement.why, "false_alarm": judgement.false_alarm, **info})
    return scores, rows


# --------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _interval(iv: tuple[float, float] | None, percent: bool = False) -> str:
    """A 95% interval: Wilson for the rates, a bootstrap over files for the ECE."""
    if iv is None:
        return "-"
    return f"{100 * iv[0]:.1f}-{100 * iv[1]:.1f}%" if percent else f"{iv[0]:.3f}-{iv[1]:.3f}"


def _frac(a: int, b: int) -> str:
    return f"{a}/{b}" if b else "-"


def summary_table(scores: dict[str, SplitScore], columns: list[str], markdown: bool) -> str:
    metrics = [
        ("runs scored", lambda s: str(s.n)),
        ("accuracy", lambda s: f"{_pct(s.accuracy)} ({_frac(s.right, s.n)})"),
        ("  95% interval", lambda s: _interval(s.accuracy_interval, percent=True)),
        ("false alarms (healthy)", lambda s: f"{_pct(s.false_alarm_rate)} ({_frac(s.false_alarms, s.healthy)})"),
        ("  95% interval", lambda s: _interval(s.false_alarm_interval, percent=True)),
        ("calibration error (ECE)", lambda s: "-" if s.reliability.ece is None else f"{s.reliability.ece:.3f} (n={s.reliability.n})"),
        ("  95% interval (bootstrap)", lambda s: _interval(s.ece_interval())),
        ("undecidable (excluded)", lambda s: str(s.undecidable)),
        ("unloadable (scored wrong)", lambda s: str(s.unloadable)),
    ]
    return _table(["", *columns], [[name, *(fn(scores[c]) if c in scores else "-" for c in columns)] for name, fn in metrics], markdown)


def per_finding_table(scores: dict[str, SplitScore], columns: list[str], markdown: bool) -> str:
    kinds = sorted({k for c in columns if c in scores for k in scores[c].per_finding})
    rows = []
    for kind in kinds:
        cells = []
        for c in columns:
            v = scores[c].per_finding.get(kind, []) if c in scores else []
            cells.append(f"{_pct(sum(v) / len(v))} ({sum(v)}/{len(v)})" if v else "-")
        rows.append([kind, *cells])
    return _table(["expected finding", *columns], rows, markdown)


def reliability_table(score: SplitScore, markdown: bool) -> str:
    rows = [[f"{lo:.1f}-{hi:.1f}", str(n), f"{conf:.2f}", f"{acc:.2f}"] for lo, hi, n, conf, acc in score.reliability.rows]
    return _table(["confidence", "causes", "mean confidence", "fraction right"], rows, markdown)


def _table(header: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        cell = lambda v: str(v).replace("|", "\\|")  # noqa: E731 - "a|b" labels inside a table
        lines = ["| " + " | ".join(map(cell, header)) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(map(cell, r)) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = lambda r: "  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([fmt(header), *(fmt(r) for r in rows)])


def failure_lines(rows: list[dict], show_test: bool) -> list[str]:
    out = []
    for r in rows:
        if r.get("status") == "undecidable" or r.get("right", True):
            continue
        if r["split"] == "test" and not show_test:
            continue
        out.append(f"FAIL {r['group']}:{r['split']} {r['name']:<28} {r.get('family', ''):<20} want {r['expected']}"
                   f"{' [' + r['causes'] + ']' if r['causes'] else ''}\n     got {r['findings']} | {r['top']}\n     <- {r['why']}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="all", choices=("dev", "test", "all"))
    ap.add_argument("--groups", default=",".join(GROUPS), help=f"comma-separated, from {', '.join(GROUPS)}")
    ap.add_argument("--markdown", action="store_true", help="tables in Markdown (for docs/diagnosis.md)")
    ap.add_argument("--json", type=Path, help="write per-run results here")
    ap.add_argument("--show-test-failures", action="store_true", help="also list test-split failures (do not tune on them)")
    ap.add_argument("--no-failures", action="store_true", help="do not list failures")
    ap.add_argument("--reliability", action="store_true", help="print the reliability table of every split")
    ap.add_argument("--scenarios", type=Path, default=SCENARIOS, help="scenario folder (with dev/ and test/)")
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="real-log corpus folder (with LABELS.tsv)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "trueloss_eval_cache", help="preset-run cache")
    ap.add_argument("--cached-only", action="store_true", help="presets: score only runs already cached (no training)")
    ap.add_argument("--workers", type=int, default=1, help="preset training workers (at most 2)")
    ap.add_argument("--grid", action="store_true", help="presets: the robustness grid (presets x seeds 0-5 x epochs x0.7/x1.0/x1.3)")
    ap.add_argument("--verbose", "-v", action="store_true", help="presets: print the phenomenon-reproduced table")
    args = ap.parse_args(argv)
    groups = [g for g in args.groups.split(",") if g]
    unknown = set(groups) - set(GROUPS)
    if unknown:
        ap.error(f"unknown group(s) {', '.join(sorted(unknown))}; expected {', '.join(GROUPS)}")
    splits = ("dev", "test") if args.split == "all" else (args.split,)

    t0 = time.perf_counter()
    items: list[Item] = []
    if "scenarios" in groups:
        items += scenario_items(args.scenarios, splits)
    if "real" in groups:
        items += real_items(args.corpus, splits)
    if args.split != "test" and ("presets" in groups or "shared" in groups):
        import eval_presets

        if "presets" in groups:
            items += eval_presets.preset_items(args.cache, grid=args.grid, workers=args.workers,
                                               train=not args.cached_only, verbose=args.verbose)
        if "shared" in groups:
            items += eval_presets.shared_items()
    t_load = time.perf_counter()
    scores, rows = score_all(items)
    t_score = time.perf_counter()

    columns = [c for c in (f"{g}:{s}" for g in groups for s in (*splits, "tuned")) if c in scores]
    md = args.markdown
    print(summary_table(scores, columns, md))
    print()
    print(per_finding_table(scores, columns, md))
    for c in columns:
        if args.reliability or c.startswith(("scenarios", "real")):  # the splits the targets are set on
            print(f"\nReliability of cause confidences, {c}:\n")
            print(reliability_table(scores[c], md))
    if not args.no_failures:
        fails = failure_lines(rows, args.show_test_failures)
        hidden = sum(1 for r in rows if r.get("split") == "test" and r.get("right") is False) if not args.show_test_failures else 0
        print(f"\n{len(fails)} failure(s) listed" + (f" ({hidden} test failure(s) not shown: --show-test-failures)" if hidden else "") + ":")
        for line in fails:
            print(line)
    print(f"\n(prepared {len(items)} items in {t_load - t0:.1f} s, diagnosed and scored in {t_score - t_load:.1f} s)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
