"""Retrospective first-sight CAUSE ledger of the real-log corpus, dev rows only.

The labelling protocol (``tests/data/corpus/README.md``) commits every label row together with its
file BEFORE the engine is run on it. So for each commit C of ``git log -- tests/data/corpus/LABELS.tsv``
that ADDS rows, the diagnosis engine of C's tree is the engine that first saw those rows. This script,
for every such commit, extracts C's ``trueloss_dash`` package and the files of the dev rows C added
(``git archive``, into a temporary folder removed afterwards), runs that engine in a subprocess
(``PYTHONPATH`` = the folder; the subprocess checks it imported C's package) and records the top-2
causes. The same rows are then diagnosed by today's engine (this checkout) for comparison.

Only rows whose split is ``dev`` both at C and today are ever loaded; test rows are never touched.

Judging (the calibration rules of ``benchmarks/eval_scoring.py``, applied to the leading cause):
- rows with ``acceptable_causes``: the leading cause is right when it is one of them
  (``judged_as=acceptable``); ``right_top2``: one of the top 2 is;
- rows labelled ``healthy`` whose leading cause explains a warning/critical finding (not ``also_ok``):
  a wrong cause behind a false alarm (``judged_as=false_alarm``, right_* = 0);
- rows with ``acceptable_causes`` where no cause was given (or the file was refused) are ``missed``
  (right_* = 0; counted in the top-2 rate, not among leading causes);
- everything else is ``unjudged`` (right_* written as 0 but never counted): no acceptable causes
  listed, a healthy row whose leading cause explains info findings only, no cause, unloadable.
Right/wrong uses today's labels; where the label at C differs the ``note`` says so and gives the
verdict under C's label.

    .venv/bin/python benchmarks/first_sight_causes.py [--out benchmarks/data/first_sight_causes.tsv]
        [--limit N] [--timeout 300]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
LABELS = "tests/data/corpus/LABELS.tsv"
CORPUS = "tests/data/corpus"
OUT = ROOT / "benchmarks" / "data" / "first_sight_causes.tsv"
ALARM = ("warning", "critical")
#: A judged leading cause: right or wrong by the calibration's rules (a cause behind a false alarm is wrong).
JUDGED_LEADING = ("acceptable", "false_alarm")
THRESHOLD = 0.5
COLUMNS = [
    "round", "commit", "file", "expected_finding", "acceptable_causes", "leading_cause", "leading_confidence",
    "second_cause", "second_confidence", "right_leading", "right_top2", "judged_as", "false_alarm_cause",
    "finding_right", "cause_points", "today_leading_cause", "today_leading_confidence", "today_second_cause", "today_right_leading",
    "today_right_top2", "today_judged_as", "today_finding_right", "today_cause_points", "single_curve", "note",
]


# --------------------------------------------------------------------------------------------------
# Worker: runs inside a subprocess with PYTHONPATH pointing at one commit's package
# --------------------------------------------------------------------------------------------------


def worker(pkg_root: str, files_json: str) -> None:
    import trueloss_dash

    got = Path(trueloss_dash.__file__).resolve()
    if Path(pkg_root).resolve() not in got.parents:
        raise SystemExit(f"imported {got}, not the package under {pkg_root}")
    from trueloss_dash.diagnose import diagnose
    from trueloss_dash.ingest import load_path

    def said(err: Exception) -> str:
        return f"{type(err).__name__}: {str(err).replace(str(Path(pkg_root) / CORPUS) + '/', '')[:160]}"

    for rel in json.loads(files_json):
        rec: dict = {"file": rel}
        path = Path(pkg_root) / CORPUS / rel
        try:
            runs = load_path(path)
        except Exception as err:  # noqa: BLE001 - any refusal of an old reader is recorded, not fatal
            rec["error"] = f"refused: {said(err)}"
            print(json.dumps(rec), flush=True)
            continue
        if not runs:
            rec["error"] = "no run in the file"
            print(json.dumps(rec), flush=True)
            continue
        try:
            report = diagnose(runs[0])
        except Exception as err:  # noqa: BLE001
            rec["error"] = f"diagnose raised {said(err)}"
            print(json.dumps(rec), flush=True)
            continue
        rec["findings"] = [[f.kind, f.severity] for f in report.findings]
        rec["verdict"] = str(getattr(report, "verdict", ""))
        rec["status"] = str(getattr(report, "status", ""))
        causes = list(report.causes)
        if hasattr(report, "cause_ids"):
            order = list(report.cause_ids())
            by_id = {c.id: c for c in causes}
            causes = [by_id[i] for i in order if i in by_id] + [c for c in causes if c.id not in order]
        rec["causes"] = [[c.id, float(c.confidence), list(getattr(c, "findings", []) or [])] for c in causes]
        try:  # whether the log has a validation curve (engines before calibration.single_curve say nothing)
            from trueloss_dash.diagnose import calibration
            from trueloss_dash.diagnose.view import RunView

            rec["single_curve"] = int(bool(calibration.single_curve(RunView.of(runs[0]))))
        except (ImportError, AttributeError):
            pass
        print(json.dumps(rec), flush=True)


# --------------------------------------------------------------------------------------------------
# Git helpers
# --------------------------------------------------------------------------------------------------


def git(*args: str, binary: bool = False):
    out = subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True)
    return out.stdout if binary else out.stdout.decode("utf-8")


def labels_at(commit: str | None) -> dict[str, dict[str, str]]:
    if commit is None:
        text = (ROOT / LABELS).read_text(encoding="utf-8")
    else:
        try:
            text = git("show", f"{commit}:{LABELS}")
        except subprocess.CalledProcessError:
            return {}
    rows = csv.DictReader(io.StringIO(text), delimiter="\t")
    return {r["file"].strip(): {k: (v or "").strip() for k, v in r.items() if k} for r in rows if r.get("file")}


def split_list(text: str) -> list[str]:
    return [t for t in re.split(r"[,|;\s]+", text or "") if t and t != "-"]


def round_of(subject: str) -> str:
    m = re.search(r"round (\d+)", subject)
    if m:
        return m.group(1)
    return "2" if re.search(r"(more|new) labelled real logs", subject) else "1"


def label_commits() -> list[tuple[str, str, str]]:
    """(full hash, iso date, subject) of the commits touching LABELS.tsv, oldest first (first-parent order)."""
    out = git("log", "--reverse", "--format=%H%x09%ad%x09%s", "--date=iso", "--", LABELS)
    return [tuple(line.split("\t", 2)) for line in out.splitlines() if line.strip()]  # type: ignore[misc]


def extract(commit: str, dest: Path, files: list[str]) -> None:
    paths = ["trueloss_dash", *(f"{CORPUS}/{f}" for f in files)]
    data = git("archive", "--format=tar", commit, *paths, binary=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest)  # noqa: S202 - our own repository's tree


def run_engine(pkg_root: Path, files: list[str], timeout: float) -> tuple[dict[str, dict], str]:
    env = {**os.environ, "PYTHONPATH": str(pkg_root), "MPLBACKEND": "Agg"}
    try:
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", str(pkg_root), json.dumps(files)],
                              capture_output=True, text=True, timeout=timeout, env=env, cwd=str(pkg_root))
    except subprocess.TimeoutExpired:
        return {}, f"timed out after {timeout:.0f} s"
    recs = {}
    for line in proc.stdout.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        recs[rec["file"]] = rec
    err = "" if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1][:200]
    return recs, err


# --------------------------------------------------------------------------------------------------
# Judging
# --------------------------------------------------------------------------------------------------


def judge(rec: dict | None, label: dict[str, str]) -> dict:
    """Leading / second cause and the verdict on them under ``label`` (module docstring)."""
    out = {"leading": "-", "lconf": "-", "second": "-", "sconf": "-", "right_leading": 0, "right_top2": 0,
           "judged_as": "unjudged", "false_alarm_cause": 0, "error": ""}
    acceptable = set(split_list(label.get("acceptable_causes", "")))
    if rec is None or "error" in rec:
        out["error"] = "not run" if rec is None else rec["error"]
        if acceptable:
            out["judged_as"] = "missed"
        return out
    causes = rec["causes"]
    if causes:
        out["leading"], out["lconf"] = causes[0][0], causes[0][1]
    if len(causes) > 1:
        out["second"], out["sconf"] = causes[1][0], causes[1][1]
    also_ok = set(split_list(label.get("also_ok", "")))
    if label.get("expected_finding") == "healthy":
        bad = {i for i, (kind, sev) in enumerate(rec["findings"]) if sev in ALARM and kind not in also_ok}
        behind = [bool(set(c[2]) & bad) for c in causes]
        out["false_alarm_cause"] = int(any(behind))
        if behind and behind[0]:
            out["judged_as"] = "false_alarm"
    elif acceptable and not causes:
        out["judged_as"] = "missed"
    elif acceptable:
        out["judged_as"] = "acceptable"
        out["right_leading"] = int(causes[0][0] in acceptable)
        out["right_top2"] = int(any(c[0] in acceptable for c in causes[:2]))
    return out


def _shim(rec: dict, label: dict[str, str]):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import eval_scoring as es

    lab = es.Label(label.get("expected_finding", ""), es.split_list(label.get("acceptable_causes")),
                   es.split_list(label.get("also_ok")))
    if rec is None or "error" in rec:
        return es, lab, None
    findings = [SimpleNamespace(kind=k, severity=sev, series="") for k, sev in rec["findings"]]
    causes = [SimpleNamespace(id=i, confidence=c, findings=f) for i, c, f in rec["causes"]]
    report = SimpleNamespace(findings=findings, causes=causes, verdict=rec.get("verdict", ""), status=rec.get("status", ""),
                             kinds=lambda: [f.kind for f in findings], cause_ids=lambda: [c.id for c in causes])
    return es, lab, report


def finding_right(rec: dict | None, label: dict[str, str]) -> int:
    """Whole-report verdict under today's rules of ``benchmarks/eval_scoring.py`` (the eval's "accuracy")."""
    es, lab, report = _shim(rec, label)
    if rec is None:
        return 0
    if report is None:
        return int(es.judge_unloadable(lab, rec["error"]).right)
    return int(es.judge(lab, report).right)


def cause_points(rec: dict | None, label: dict[str, str], threshold: float = THRESHOLD) -> str:
    """'right/n' over EVERY cause the calibration scores on this row (eval_scoring.cause_points) with confidence >= threshold."""
    es, lab, report = _shim(rec, label)
    if report is None:
        return "0/0"
    pts = [(c, ok) for c, ok in es.cause_points(lab, report) if c >= threshold]
    return f"{sum(ok for _, ok in pts)}/{len(pts)}"


def fmt_conf(x) -> str:
    return x if isinstance(x, str) else f"{x:.3f}"


# --------------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------------


def summarise(rows: list[dict], prefix: str, threshold: float = THRESHOLD) -> dict[str, tuple[int, int]]:
    """(right, n) for leading causes with confidence >= threshold: all judged, acceptable rows, false alarms."""
    def sel(kinds):
        pts = [r for r in rows if r[f"{prefix}judged_as"] in kinds and r[f"{prefix}leading_confidence"] not in ("-", "")
               and float(r[f"{prefix}leading_confidence"]) >= threshold]
        return sum(int(r[f"{prefix}right_leading"]) for r in pts), len(pts)

    def sel_all(kinds):
        pts = [r for r in rows if r[f"{prefix}judged_as"] in kinds]
        return sum(int(r[f"{prefix}right_leading"]) for r in pts), len(pts)

    def points(col):
        got = [tuple(map(int, r[col].split("/"))) for r in rows]
        return sum(a for a, _ in got), sum(b for _, b in got)

    return {
        "every scored cause (calibration), conf>=0.5": points(f"{prefix}cause_points"),
        "leading causes judged, conf>=0.5": sel(("acceptable", "false_alarm")),
        "leading, acceptable-causes rows, conf>=0.5": sel(("acceptable",)),
        "leading, behind a false alarm, conf>=0.5": sel(("false_alarm",)),
        "leading causes judged, any conf": sel_all(("acceptable", "false_alarm")),
        "leading, acceptable-causes rows, any conf": sel_all(("acceptable",)),
        "top-2 right, acceptable-causes rows": (sum(int(r[f"{prefix}right_top2"]) for r in rows
                                                    if r[f"{prefix}judged_as"] in ("acceptable", "missed")),
                                                sum(r[f"{prefix}judged_as"] in ("acceptable", "missed") for r in rows)),
        "leading, behind a false alarm, any conf": sel_all(("false_alarm",)),
    }


def _frac(a: int, n: int) -> str:
    return f"{a}/{n} = {100 * a / n:.1f}%" if n else f"{a}/{n}"


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--limit", type=int, default=0, help="only the first N label commits with dev rows (debugging)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per commit")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0

    today = labels_at(None)
    rows: list[dict] = []
    log: list[str] = []
    done = 0
    prev: dict[str, dict[str, str]] = {}
    for full, date, subject in label_commits():
        cur = labels_at(full)
        added = [f for f in cur if f not in prev]
        prev = cur
        dev = [f for f in added if cur[f].get("split") == "dev"]
        skipped_today = [f for f in dev if today.get(f, {}).get("split") != "dev"]
        dev = [f for f in dev if f not in skipped_today]
        if not dev:
            continue
        if args.limit and done >= args.limit:
            break
        done += 1
        short = full[:7]
        rnd = round_of(subject)
        tmp = Path(tempfile.mkdtemp(prefix=f"fs_{short}_"))
        try:
            extract(full, tmp, dev)
            calibrated = (tmp / "trueloss_dash" / "diagnose" / "calibration.py").exists()
            recs, err = run_engine(tmp, dev, args.timeout)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        n_err = sum(1 for f in dev if f not in recs or "error" in recs[f])
        entry = (f"{short} {date[:16]} round {rnd}: {len(dev)} dev rows added, engine "
                 f"{'with' if calibrated else 'without'} calibration.py")
        if n_err:
            entry += f"; {n_err} not diagnosed"
        if err:
            entry += f"; worker: {err}"
        if skipped_today:
            entry += f"; {len(skipped_today)} row(s) no longer dev today, skipped"
        log.append(entry)
        print(entry, file=sys.stderr, flush=True)
        for f in dev:
            rec = recs.get(f)
            lab_now, lab_then = today[f], cur[f]
            j = judge(rec, lab_now)
            notes = []
            if j["error"]:
                notes.append(j["error"])
            fields = ("expected_finding", "acceptable_causes", "also_ok")
            if any(split_list(lab_now.get(k, "")) != split_list(lab_then.get(k, "")) for k in fields):
                jt = judge(rec, lab_then)
                notes.append("label changed since first sight (then: " + "; ".join(
                    f"{k}={lab_then.get(k) or '-'}" for k in fields) + f"; under it judged_as={jt['judged_as']} "
                    f"right_leading={jt['right_leading']} right_top2={jt['right_top2']})")
            rows.append({
                "round": rnd, "commit": short, "file": f, "expected_finding": lab_now.get("expected_finding", ""),
                "acceptable_causes": lab_now.get("acceptable_causes", "") or "-",
                "leading_cause": j["leading"], "leading_confidence": fmt_conf(j["lconf"]),
                "second_cause": j["second"], "second_confidence": fmt_conf(j["sconf"]),
                "right_leading": j["right_leading"], "right_top2": j["right_top2"], "judged_as": j["judged_as"],
                "false_alarm_cause": j["false_alarm_cause"], "finding_right": finding_right(rec, lab_now),
                "cause_points": cause_points(rec, lab_now), "note": " | ".join(notes) or "-",
            })

    # today's engine (this checkout) on the same rows
    files = [r["file"] for r in rows]
    recs, err = run_engine(ROOT, files, args.timeout)
    if err:
        print(f"today's engine: {err}", file=sys.stderr)
    for r in rows:
        j = judge(recs.get(r["file"]), today[r["file"]])
        r.update({"today_leading_cause": j["leading"], "today_leading_confidence": fmt_conf(j["lconf"]),
                  "today_second_cause": j["second"], "today_right_leading": j["right_leading"],
                  "today_right_top2": j["right_top2"], "today_judged_as": j["judged_as"],
                  "today_finding_right": finding_right(recs.get(r["file"]), today[r["file"]]),
                  "today_cause_points": cause_points(recs.get(r["file"]), today[r["file"]]),
                  # a property of the file, read by today's reader: no validation curve (calibration.single_curve)
                  "single_curve": (recs.get(r["file"]) or {}).get("single_curve", "")})
        if j["error"]:
            r["note"] = (r["note"] + " | " if r["note"] != "-" else "") + f"today: {j['error']}"

    write(args.out, rows, log)
    return 0


def write(out: Path, rows: list[dict], log: list[str]) -> None:
    rows_s = [{k: str(v) for k, v in r.items()} for r in rows]
    head = [
        "First-sight CAUSE ledger of the real-log corpus, dev rows only (made by benchmarks/first_sight_causes.py;",
        "regenerate with: .venv/bin/python benchmarks/first_sight_causes.py, about 1-2 minutes).",
        "Each row: a dev row of tests/data/corpus/LABELS.tsv diagnosed by the engine of the commit that added its label",
        "(labels land with their files before any engine run, so that engine is the first one to see it), and by today's.",
        f"{len(rows)} dev rows from {len(log)} label commits. Test rows are never loaded.",
        "",
        "Leading cause (ranked first) judged as in benchmarks/eval_scoring.py calibration: right when in acceptable_causes;",
        "on a healthy row, a leading cause behind a warning/critical finding is a wrong cause behind a false alarm",
        "(judged_as=false_alarm). missed = acceptable causes listed but no cause given (counted in top-2 only); other rows",
        "unjudged (right_* = 0 there, never counted). cause_points = right/n over EVERY cause the calibration scores on the",
        "row (eval_scoring.cause_points) with confidence >= 0.5. finding_right = the eval's whole-report verdict on the",
        "file's FIRST run (what every first-sight eval judged; the eval judges every run of a multi-run file since 38f6860).",
        "Right/wrong uses today's labels; the note says when a label changed after first sight (none did at generation).",
        "Caveat: today's engine was tuned on these dev rows after first sight, so its column is in-sample.",
        "single_curve = 1 when today's reader finds no validation curve in the file (calibration.single_curve): the",
        "calibration's offset for such runs is fitted on these rows' first-sight outcomes (fit_calibration.py).",
    ]
    scopes = [("all rounds", rows_s), ("rounds 5 and later, as first_sight.tsv", [r for r in rows_s if int(r["round"]) >= 5])]
    for name, sub in scopes:
        first, now = summarise(sub, ""), summarise(sub, "today_")
        head += ["", f"{name + ' (' + str(len(sub)) + ' dev rows)':<46} first sight            today's engine"]
        for key in first:
            head.append(f"{key:<46} {_frac(*first[key]):<22} {_frac(*now[key])}")
        a, b = sum(int(r["finding_right"]) for r in sub), sum(int(r["today_finding_right"]) for r in sub)
        head.append(f"{'whole-report accuracy (finding_right)':<46} {_frac(a, len(sub)):<22} {_frac(b, len(sub))}")
        for single, what in (("1", "no validation curve"), ("0", "beside validation")):
            judged = [r for r in sub if r["single_curve"] == single and r["judged_as"] in JUDGED_LEADING]
            now = [r for r in sub if r["single_curve"] == single and r["today_judged_as"] in JUDGED_LEADING]
            head.append(f"{'leading causes judged, ' + what:<46} "
                        f"{_frac(sum(int(r['right_leading']) for r in judged), len(judged)):<22} "
                        f"{_frac(sum(int(r['today_right_leading']) for r in now), len(now))}")
    summary_end = len(head)
    head += ["", "Whole-report accuracy per round, first sight -> today:"]
    for rnd in sorted({r["round"] for r in rows_s}, key=int):
        sub = [r for r in rows_s if r["round"] == rnd]
        a, b = sum(int(r["finding_right"]) for r in sub), sum(int(r["today_finding_right"]) for r in sub)
        head.append(f"  round {rnd:>2}: {a}/{len(sub)} -> {b}/{len(sub)}")
    head += ["", "Label commits (short hash, date, round, dev rows added):"] + log
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        for line in head:
            fh.write(("# " + line).rstrip() + "\n")
        w = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in COLUMNS})
    print("\n".join(head[17:summary_end]))

if __name__ == "__main__":
    sys.exit(main())
