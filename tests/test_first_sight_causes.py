"""benchmarks/data/first_sight_causes.tsv (made by benchmarks/first_sight_causes.py) is well formed."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEDGER = ROOT / "benchmarks" / "data" / "first_sight_causes.tsv"
LABELS = ROOT / "tests" / "data" / "corpus" / "LABELS.tsv"
BINARY = ("right_leading", "right_top2", "false_alarm_cause", "finding_right",
          "today_right_leading", "today_right_top2", "today_finding_right")
CONFIDENCES = ("leading_confidence", "second_confidence", "today_leading_confidence")
JUDGED = {"acceptable", "false_alarm", "missed", "unjudged"}


def _ledger() -> tuple[list[str], list[dict[str, str]]]:
    text = LEDGER.read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return comments, list(csv.DictReader(io.StringIO(body), delimiter="\t"))


def _labels() -> dict[str, dict[str, str]]:
    with LABELS.open(encoding="utf-8", newline="") as fh:
        return {r["file"].strip(): r for r in csv.DictReader(fh, delimiter="\t") if r.get("file")}


def _causes(text: str) -> set[str]:
    return {t for t in re.split(r"[,|;\s]+", text or "") if t and t != "-"}


def test_header_explains_how_it_was_made():
    comments, rows = _ledger()
    text = "\n".join(comments)
    assert "benchmarks/first_sight_causes.py" in text
    assert "Label commits" in text and "first sight" in text
    assert rows, "the ledger has no rows"


def test_every_row_is_a_dev_row_of_labels_once():
    labels = _labels()
    _, rows = _ledger()
    files = [r["file"] for r in rows]
    assert len(files) == len(set(files)), "a file is in the ledger twice"
    for r in rows:
        assert r["file"] in labels, f"{r['file']}: not in LABELS.tsv"
        assert labels[r["file"]]["split"].strip() == "dev", f"{r['file']}: not a dev row"
        assert r["expected_finding"] == labels[r["file"]]["expected_finding"].strip()
        assert re.fullmatch(r"[0-9a-f]{7,40}", r["commit"]), r["commit"]
        assert r["round"].isdigit()


def test_values_are_in_range():
    _, rows = _ledger()
    for r in rows:
        for col in BINARY:
            assert r[col] in ("0", "1"), f"{r['file']}: {col}={r[col]!r}"
        for col in CONFIDENCES:
            if r[col] != "-":
                assert 0.0 <= float(r[col]) <= 1.0, f"{r['file']}: {col}={r[col]}"
        assert r["judged_as"] in JUDGED and r["today_judged_as"] in JUDGED
        for col in ("cause_points", "today_cause_points"):
            right, n = map(int, r[col].split("/"))
            assert 0 <= right <= n


def test_judgements_agree_with_the_labels():
    labels = _labels()
    _, rows = _ledger()
    for r in rows:
        ok = _causes(labels[r["file"]].get("acceptable_causes", ""))
        for prefix in ("", "today_"):
            judged, lead = r[f"{prefix}judged_as"], r[f"{prefix}leading_cause"]
            if judged == "acceptable":
                assert ok and r[f"{prefix}right_leading"] == str(int(lead in ok)), r["file"]
            else:
                assert r[f"{prefix}right_leading"] == "0" and r[f"{prefix}right_top2"] == "0", r["file"]
            if judged == "false_alarm":
                assert r["expected_finding"] == "healthy", r["file"]
