"""The randomised evaluation scenarios: same seed -> same run, label and log; committed labels
verify when regenerated; the evaluation's scoring computes the right numbers on a hand-made case."""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import pytest

from trueloss_dash.diagnose.model import Cause, Finding, Report
from trueloss_dash.ingest import load_path
from trueloss_dash.trainer.scenarios import (
    BENIGN_GAP_CAUSES,
    FAMILIES,
    label_from_knobs,
    sample_scenario,
    scenario_seed,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import eval_scoring as S  # noqa: E402

COMMITTED = ROOT / "benchmarks" / "data" / "scenarios"


def _committed_rows(split: str) -> list[dict[str, str]]:
    path = COMMITTED / split / "labels.tsv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _pick_cheap(rows, families, n):
    """The cheapest verified committed runs of these families, one per family (CPU budget)."""
    out = []
    for fam in families:
        cands = [r for r in rows if r["family"] == fam and r["status"] == "verified"]
        cands.sort(key=lambda r: float(r["train_cpu_s"]))
        out += cands[:1]
    return out[:n]


def test_sampling_is_a_pure_function_of_split_and_index():
    a = [sample_scenario("dev", i) for i in range(40)]
    b = [sample_scenario("dev", i) for i in range(40)]
    assert a == b
    assert {s.seed for s in a}.isdisjoint({sample_scenario("test", i).seed for i in range(40)})
    assert scenario_seed("test", 0) != scenario_seed("dev", 0)
    families = [sample_scenario("dev", i).family for i in range(300)]
    assert families.count("healthy") / len(families) >= 0.35  # healthy runs are the largest share
    assert set(families) == set(FAMILIES)
    for s in a:
        s.train_config()  # every sampled knob set is a valid TrainConfig


def test_labels_follow_what_the_log_can_tell():
    # dropout visible in the context or with the true loss: the specific cause is required
    assert label_from_knobs("heavy_dropout", has_true_loss=True).acceptable_causes == ("dropout",)
    assert label_from_knobs("heavy_dropout", has_true_loss=False, context={"dropout": 0.5}).acceptable_causes == ("dropout",)
    # two curves only: any training-time effect is an honest answer
    assert label_from_knobs("heavy_dropout", has_true_loss=False).acceptable_causes == BENIGN_GAP_CAUSES
    assert "data_mismatch" in label_from_knobs("label_noise", has_true_loss=False).acceptable_causes
    assert label_from_knobs("label_noise", has_true_loss=True).acceptable_causes == ("data_mismatch",)
    assert label_from_knobs("healthy", has_true_loss=False).expected_finding == "healthy"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """Three committed dev runs regenerated from their seeds (cheapest of three families)."""
    from trueloss_dash.trainer.scenario_gen import generate_one

    rows = _committed_rows("dev")
    if not rows:
        pytest.skip("no committed dev scenarios")
    picked = _pick_cheap(rows, ["healthy", "overfit", "lr_far_too_low", "heavy_dropout"], 3)
    out = tmp_path_factory.mktemp("scen")
    index = {r["id"]: r for r in rows}
    return [(index[r["id"]], generate_one(sample_scenario("dev", int(r["id"].split("-")[1])), out), out) for r in picked]


def test_committed_runs_regenerate_from_their_seed_with_verified_labels(regenerated):
    assert len(regenerated) == 3
    for committed, fresh, folder in regenerated:
        for key in ("file", "family", "layout", "expected_finding", "acceptable_causes", "also_ok", "status", "knobs", "has_true_loss"):
            assert str(fresh[key]) == committed[key], (committed["id"], key)
        assert fresh["status"] == "verified"
        new = load_path(folder / fresh["file"])[0]
        old = load_path(COMMITTED / "dev" / committed["file"])[0]
        for name in ("train_loss", "val_loss"):
            a, b = new.get(name).y, old.get(name).y
            assert len(a) == len(b)
            assert all(math.isclose(x, y, rel_tol=1e-4, abs_tol=1e-7) for x, y in zip(a, b)), (committed["id"], name)


def test_eval_script_scores_a_scenario_folder(regenerated, capsys):
    import eval_diagnosis

    from trueloss_dash.trainer.scenario_gen import write_labels

    _, _, folder = regenerated[0]
    root = folder.parent / "eval_root"
    (root / "dev").mkdir(parents=True)
    for committed, fresh, src in regenerated:
        dest = root / "dev" / fresh["file"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes((src / fresh["file"]).read_bytes())
    write_labels(root / "dev" / "labels.tsv", {f["id"]: f for _, f, _ in regenerated})
    assert eval_diagnosis.main(["--groups", "scenarios", "--scenarios", str(root), "--split", "dev", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| runs scored | 3 |" in out
    assert "scenarios:dev" in out


# -- scoring on a hand-made case ---------------------------------------------------------------------


def _report(findings, causes):
    return Report(run={}, findings=[Finding(k, sev, "val_loss", 1, 2, "epoch") for k, sev in findings],
                  causes=[Cause(i, i, conf, findings=idx) for i, conf, idx in causes])


def test_judge_healthy_finding_and_nothing():
    healthy = S.Label("healthy")
    quiet = _report([("inverted_gap", "info")], [("epoch_averaging_lag", 0.5, [0])])
    loud = _report([("oscillation", "warning"), ("inverted_gap", "info")], [("lr_too_high", 0.7, [0]), ("dropout", 0.4, [1])])
    j = S.judge(healthy, quiet)
    assert j.right and j.false_alarm is False and j.cause_points == []  # causes of info findings are not scored
    j = S.judge(healthy, loud)
    assert not j.right and j.false_alarm is True and j.cause_points == [(0.7, False)]
    assert S.judge(S.Label("healthy", also_ok=("oscillation",)), loud).right

    over = S.Label("overfitting", ("overfitting",))
    good = _report([("overfitting", "warning")], [("lr_too_high", 0.6, [0]), ("overfitting", 0.5, [0]), ("dropout", 0.3, [])])
    j = S.judge(over, good)
    assert j.right and j.cause_points == [(0.6, False), (0.5, True), (0.3, False)]
    third = _report([("overfitting", "warning")], [("lr_too_high", 0.6, [0]), ("dropout", 0.5, []), ("overfitting", 0.3, [0])])
    assert not S.judge(over, third).right  # the right cause only third
    assert not S.judge(over, _report([("plateau", "info")], [("overfitting", 0.9, [0])])).right  # finding missing
    assert S.judge(S.Label("plateau|underfitting", ("lr_too_low",)), _report([("underfitting", "warning")], [("lr_too_low", 0.8, [0])])).right

    nothing = S.Label("nothing_to_diagnose")
    assert S.judge(nothing, Report(run={}, verdict="Nothing could be checked", status="nothing")).right
    assert S.judge(nothing, Report(run={}, verdict="Nothing to diagnose: no validation loss")).right
    assert not S.judge(nothing, Report(run={}, verdict="Healthy")).right
    assert S.judge_unloadable(nothing, "no curve").right
    assert not S.judge_unloadable(healthy, "no curve").right


def test_judge_runs_scores_a_multi_run_file_as_its_user_sees_it():
    # a file of appended runs: every run is diagnosed, and the label describes the file
    quiet = _report([("plateau", "info")], [])
    loud = _report([("divergence", "critical")], [("lr_too_high", 0.8, [0])])
    healthy = S.Label("healthy")
    j = S.judge_runs(healthy, [quiet, loud])
    assert not j.right and j.false_alarm is True and "run 2/2" in j.why and j.cause_points == [(0.8, False)]
    assert S.judge_runs(healthy, [quiet, quiet]).right
    over = S.Label("overfitting")
    found = _report([("overfitting", "warning")], [])
    assert S.judge_runs(over, [quiet, found]).right  # some run shows it
    assert not S.judge_runs(over, [quiet, quiet]).right
    nothing = S.Label("nothing_to_diagnose")
    says = Report(run={}, verdict="Nothing to diagnose: one point", status="nothing")
    assert S.judge_runs(nothing, [says, says]).right and not S.judge_runs(nothing, [says, quiet]).right
    assert S.judge_runs(over, [found]).why == S.judge(over, found).why  # one run: exactly judge()


def test_reliability_and_split_score_numbers():
    points = [(0.9, True), (0.9, False), (0.25, False), (0.25, False)]
    rel = S.reliability(points)
    assert [(lo, n, round(conf, 3), acc) for lo, _, n, conf, acc in rel.rows] == [(0.2, 2, 0.25, 0.0), (0.9, 2, 0.9, 0.5)]
    assert rel.ece == pytest.approx(0.5 * 0.25 + 0.5 * 0.4)
    assert S.reliability([]).ece is None

    score = S.SplitScore()
    healthy, over = S.Label("healthy"), S.Label("overfitting", ("overfitting",))
    score.add(healthy, S.Judgement(True, "", False, []))
    score.add(healthy, S.Judgement(False, "x", True, [(0.7, False)]))
    score.add(over, S.Judgement(True, "", None, [(0.8, True)]))
    score.add(over, S.Judgement(False, "y", None, [(0.6, False)]))
    assert score.accuracy == 0.5 and score.false_alarm_rate == 0.5
    assert score.per_finding == {"healthy": [True, False], "overfitting": [True, False]}
    assert score.reliability.ece == pytest.approx((0.7 + 0.2 + 0.6) / 3)


def test_split_list_accepts_the_separators_labels_use():
    assert S.split_list("a, b|c;d e") == ("a", "b", "c", "d", "e")
    assert S.split_list("") == () and S.split_list("-") == () and S.split_list(None) == ()


def test_synthetic_shapes_task_is_generated_deterministically():
    import numpy as np

    from trueloss_dash.errors import ContextError
    from trueloss_dash.trainer import TrainConfig
    from trueloss_dash.trainer.data import SHAPE_CLASSES, synthetic_shapes

    x, y = synthetic_shapes(600, seed=3)
    x2, y2 = synthetic_shapes(600, seed=3)
    assert x.shape == (600, 64) and np.array_equal(x, x2) and np.array_equal(y, y2)
    assert set(np.unique(y)) == set(range(len(SHAPE_CLASSES)))
    assert not np.array_equal(x, synthetic_shapes(600, seed=4)[0])
    assert TrainConfig(task="shapes_cnn", shift=True).is_conv and TrainConfig(task="shapes_mlp").is_image_task
    with pytest.raises(ContextError, match="shapes_cnn"):
        TrainConfig(task="shapes_cnn", depth=0)


def test_nothing_to_diagnose_may_be_also_ok():
    label = S.Label("healthy", (), ("nothing_to_diagnose",))
    assert S.judge(label, Report(run={}, verdict="Nothing to diagnose: 2 points")).right
    assert S.judge_unloadable(label, "a final summary, not a curve").right
    assert not S.judge_unloadable(S.Label("overfitting", ("overfitting",)), "x").right


def test_intervals_say_how_far_a_reading_can_move_by_chance():
    """Wilson intervals for accuracy and false-alarm rate, a bootstrap over items for the ECE: the
    closing notes compare readings near their targets (90.4% against 90%), which only an interval can judge."""
    lo, hi = S.wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-3)  # the textbook Wilson bound, never negative
    lo, hi = S.wilson(637, 705)
    assert lo < 637 / 705 < hi and hi - lo == pytest.approx(0.043, abs=0.002)
    assert S.wilson(3, 0) is None
    # one item whose two causes are both right at 0.9 and one item whose cause is wrong at 0.8: the ECE
    # of every resample lies between its extremes (all-right 0.1 and all-wrong 0.8), and resampling
    # items keeps each item's causes together
    groups = [[(0.9, True), (0.9, True)], [(0.8, False)]] * 20
    lo, hi = S.bootstrap_ece(groups, draws=300, seed=1)
    assert 0.1 <= lo < S.reliability([p for g in groups for p in g]).ece < hi <= 0.8
    assert S.bootstrap_ece(groups, draws=300, seed=1) == (lo, hi)  # seeded: the report is reproducible
    assert S.bootstrap_ece(groups[:1]) is None
    score = S.SplitScore()
    for right in (True, False, True):
        score.add(S.Label("healthy", (), ()), S.Judgement(right, "", not right, [(0.7, right)]))
    assert score.accuracy_interval == S.wilson(2, 3) and score.false_alarm_interval == S.wilson(1, 3)
    assert len(score.point_groups) == 3 and score.ece_interval(draws=100) is not None
