"""The live trainer: config parsing, exact gap decomposition, measurement that changes nothing,
background jobs (cancel, divergence, failure, concurrency), the log writer and the train CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from trueloss_dash import columns as C
from trueloss_dash.cli import main as cli_main
from trueloss_dash.errors import ContextError, TruelossError
from trueloss_dash.ingest import load_path
from trueloss_dash.provenance import HEADER_PREFIX, parse_header
from trueloss_dash.trainer import TrainConfig, preset_config, records_to_run, start, train, write_log
from trueloss_dash.trainer.data import augment, build_data
from trueloss_dash.trainer.loop import _loss_fn
from trueloss_dash.trainer.measure import measure
from trueloss_dash.trainer.models import RngSlot, build_model

from conftest import REPO

# Every term of the decomposition active at once: penalty (L1+L2), dropout and BatchNorm,
# augmentation (shift, flip, noise), on the CNN.
KITCHEN_SINK = dict(task="digits_cnn", width=8, depth=2, dropout=0.3, batchnorm=True, l1=1e-4, l2=1e-3,
                    shift=True, flip=True, noise_std=0.2, batch_size=64, epochs=3, subsample=128, name="all_terms")


def _strip_time(records):
    return [{k: v for k, v in r.items() if k != C.WALL_TIME} for r in records]


# -- config ----------------------------------------------------------------------------------
def test_from_overrides_parses_strings_and_names_bad_values():
    cfg = TrainConfig.from_overrides(TrainConfig(), {"lr": "0.1", "batchnorm": "yes", "epochs": "7",
                                                     "lr_spike_epoch": "3", "optimizer": "AdamW", "dropout": 0.2})
    assert (cfg.lr, cfg.batchnorm, cfg.epochs, cfg.lr_spike_epoch, cfg.optimizer, cfg.dropout) == (0.1, True, 7, 3, "adamw", 0.2)
    assert TrainConfig.from_overrides(cfg, {"lr_spike_epoch": "none"}).lr_spike_epoch is None
    with pytest.raises(ContextError, match=r"lr: found 'abc', expected a number"):
        TrainConfig.from_overrides(TrainConfig(), {"lr": "abc"})
    with pytest.raises(ContextError, match=r"unknown training setting 'learning_rat'"):
        TrainConfig.from_overrides(TrainConfig(), {"learning_rat": "1"})
    with pytest.raises(ContextError, match=r"optimizer: found 'rmsprop', expected one of sgd, adam, adamw"):
        TrainConfig.from_overrides(TrainConfig(), {"optimizer": "rmsprop"})
    with pytest.raises(ContextError, match=r"dropout: found 1.5, expected a value in \[0, 0.95\]"):
        TrainConfig.from_overrides(TrainConfig(), {"dropout": "1.5"})
    with pytest.raises(ContextError, match=r"epochs: found '2.5', expected a whole number"):
        TrainConfig.from_overrides(TrainConfig(), {"epochs": "2.5"})
    with pytest.raises(ContextError, match="lr_spike_epoch"):
        TrainConfig.from_overrides(TrainConfig(epochs=5), {"lr_spike_epoch": 9})
    with pytest.raises(ContextError, match="batchnorm: found 'maybe', expected true or false"):
        TrainConfig.from_overrides(TrainConfig(), {"batchnorm": "maybe"})


def test_field_help_covers_every_field_and_config_round_trips():
    from dataclasses import fields

    help_ = TrainConfig.field_help()
    assert list(help_) == [f.name for f in fields(TrainConfig)]
    assert all(isinstance(v, str) and v for v in help_.values())
    cfg = preset_config("dropout", epochs="4")
    assert cfg.epochs == 4 and cfg.dropout == 0.5
    assert TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(TruelossError, match="unknown preset 'nope'"):
        preset_config("nope")


def test_run_context_tells_diagnosis_the_settings():
    ctx = TrainConfig(dropout=0.3, l2=1e-3, batchnorm=True, noise_std=0.1, batch_size=8, optimizer="sgd", lr=0.05).run_context(n_train=10, n_val=5)
    assert (ctx.dropout, ctx.penalty_in_loss, ctx.augmentation, ctx.batchnorm, ctx.batch_size, ctx.optimizer, ctx.lr) == (
        0.3, True, True, True, 8, "sgd", 0.05)
    assert (ctx.n_train, ctx.n_val) == (10, 5)
    decoupled = TrainConfig(weight_decay=0.01, optimizer="adamw").run_context()
    assert decoupled.penalty_in_loss is False and decoupled.weight_decay == 0.01


# -- decomposition and measurement -------------------------------------------------------------
@pytest.fixture(scope="module")
def sink_run():
    return train(TrainConfig(**KITCHEN_SINK))


def test_decomposition_is_exact_every_epoch_with_every_term_active(sink_run):
    assert sink_run.status == "finished" and len(sink_run.records) == 3
    for rec in sink_run.records:
        total = sum(rec[k] for k in C.GAP_TERMS)
        assert abs(total - (rec[C.TRAIN_LOSS] - rec[C.VAL_LOSS])) < 1e-6
        assert rec[C.GAP_PENALTY] == pytest.approx(rec[C.PENALTY]) and rec[C.PENALTY] > 0
        for k in C.GAP_TERMS:
            assert rec[k] != 0, k  # every mechanism contributes something
        assert rec[C.TRUE_TRAIN_LOSS + C.CI_LOW_SUFFIX] < rec[C.TRUE_TRAIN_LOSS] < rec[C.TRUE_TRAIN_LOSS + C.CI_HIGH_SUFFIX]


def _model_and_data(config):
    data = build_data(config)
    gen = torch.Generator().manual_seed(config.seed)
    slot = RngSlot(gen)
    model = build_model(config, int(data.x_train[0].numel()), data.n_classes or 1, slot, gen)
    return data, model, slot, gen


def test_measurement_leaves_the_model_bit_identical():
    config = TrainConfig(**KITCHEN_SINK)
    data, model, slot, gen = _model_and_data(config)
    # Move BatchNorm running statistics away from their initial values first.
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(augment(data.x_train[:64], config, data.image_shape, gen))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    gen_state = gen.get_state()
    global_state = torch.get_rng_state()
    sub = data.subsample_index
    m = measure(model, _loss_fn(data), data.x_train[sub], data.y_train[sub], data.x_val, data.y_val,
                augment=lambda x, g: augment(x, config, data.image_shape, g), train_batch_size=config.batch_size,
                slot=slot, generator=torch.Generator().manual_seed(99), with_ci=True)
    after = model.state_dict()
    assert before.keys() == after.keys()
    for k in before:
        assert torch.equal(before[k], after[k]), k
    assert model.training is True and all(mod.training for mod in model.modules())
    assert torch.equal(gen.get_state(), gen_state) and torch.equal(torch.get_rng_state(), global_state)
    assert slot.generator is gen
    assert m.trainmode_aug != m.evalmode_aug != m.true_train.mean  # the passes really differ


def test_training_with_measurement_gives_the_same_weights_as_without(sink_run):
    bare = train(TrainConfig(**KITCHEN_SINK), measure_true_loss=False)
    for k, v in sink_run.state_dict.items():
        assert torch.equal(v, bare.state_dict[k]), k
    assert [r[C.TRAIN_LOSS] for r in bare.records] == [r[C.TRAIN_LOSS] for r in sink_run.records]
    assert [r[C.VAL_LOSS] for r in bare.records] == [r[C.VAL_LOSS] for r in sink_run.records]
    assert C.TRUE_TRAIN_LOSS not in bare.records[0]


def test_full_true_loss_has_no_ci_and_same_training(sink_run):
    full = train(TrainConfig(**{**KITCHEN_SINK, "true_loss": "full"}))
    for k, v in sink_run.state_dict.items():
        assert torch.equal(v, full.state_dict[k]), k
    rec = full.records[-1]
    assert C.TRUE_TRAIN_LOSS + C.CI_LOW_SUFFIX not in rec
    total = sum(rec[k] for k in C.GAP_TERMS)
    assert abs(total - (rec[C.TRAIN_LOSS] - rec[C.VAL_LOSS])) < 1e-6


def test_stratified_subsample_keeps_class_proportions():
    data = build_data(TrainConfig(subsample=200))
    full = np.bincount(data.y_train.numpy(), minlength=10) / data.n_train
    sub = np.bincount(data.y_train[data.subsample_index].numpy(), minlength=10) / len(data.subsample_index)
    assert abs(len(data.subsample_index) - 200) <= 10
    assert np.max(np.abs(full - sub)) < 0.01


def test_same_seed_same_curves_other_seed_other_curves():
    cfg = TrainConfig(epochs=2, width=16, dropout=0.2)
    a, b = train(cfg), train(cfg)
    c = train(TrainConfig.from_overrides(cfg, {"seed": 1}))
    assert _strip_time(a.records) == _strip_time(b.records)
    assert _strip_time(a.records) != _strip_time(c.records)


# -- stopping ----------------------------------------------------------------------------------
def test_should_stop_acts_before_the_next_batch():
    calls = []

    def stop():
        calls.append(1)
        return len(calls) >= 5

    result = train(TrainConfig(epochs=3, per_step=True), should_stop=stop)
    assert result.status == "cancelled"
    assert len(result.step_records) == 4 and result.records == []


def test_divergence_keeps_finished_epochs_and_records_the_partial_one():
    result = train(preset_config("diverge"))
    assert result.status == "diverged"
    finished, last = result.records[:-1], result.records[-1]
    assert len(finished) >= 3 and all(math.isfinite(r[C.VAL_LOSS]) for r in finished)
    assert not math.isfinite(last[C.TRAIN_LOSS]) or last[C.TRAIN_LOSS] > 1e5
    run = result.to_run()
    assert any("diverged" in w for w in run.warnings)


# -- jobs ----------------------------------------------------------------------------------------
def test_two_concurrent_jobs_match_their_solo_runs():
    cfg_a = TrainConfig(name="a", epochs=3, dropout=0.3, width=32)
    cfg_b = TrainConfig(name="b", epochs=3, batchnorm=True, noise_std=0.2, width=32, seed=5, optimizer="sgd", lr=0.05)
    solo_a, solo_b = train(cfg_a), train(cfg_b)
    ja, jb = start(cfg_a), start(cfg_b)
    assert ja.wait(120) and jb.wait(120)
    assert ja.status == jb.status == "finished" and ja.error is None
    assert _strip_time(ja.records) == _strip_time(solo_a.records)
    assert _strip_time(jb.records) == _strip_time(solo_b.records)
    assert ja.id != jb.id


def test_job_poll_progress_cancel_and_snapshot():
    job = start(TrainConfig(name="long", epochs=200, width=32))
    deadline = time.time() + 60
    seen: list[dict] = []
    while len(seen) < 2 and time.time() < deadline:
        seen += job.poll()
        time.sleep(0.02)
    assert len(seen) >= 2 and [r[C.EPOCH] for r in seen[:2]] == [1, 2]
    done, total, eta = job.progress
    assert total == 200 and done >= 2 and eta is not None and eta > 0
    snapshot = job.to_run()
    assert len(snapshot.get(C.VAL_LOSS)) >= 2 and snapshot.context.n_train == 1347
    job.cancel()
    assert job.wait(30)
    assert job.status == "cancelled" and job.done and len(job.records) < 200
    seen += job.poll()
    assert len(seen) == len(job.records)
    assert job.progress[2] == 0.0


def test_job_reports_failure_with_message():
    # The job trains in a worker process, so the failure must happen there for real (a monkeypatch
    # in this process would not reach it): a batch size of 0, forced past the config's validation,
    # makes the worker's batching raise.
    config = TrainConfig(epochs=1)
    object.__setattr__(config, "batch_size", 0)
    job = start(config)
    assert job.wait(60)
    assert job.status == "failed" and "ValueError" in job.error and "must not be zero" in job.error
    assert job.records == []


def test_job_diverged_status():
    job = start(preset_config("diverge"))
    assert job.wait(60)
    assert job.status == "diverged" and len(job.records) >= 3


# -- records, logs and CLI ---------------------------------------------------------------------
def test_records_to_run_and_log_round_trip_through_the_readers(sink_run, tmp_path):
    run = records_to_run(sink_run.records, sink_run.config, status="finished", n_train=sink_run.n_train)
    assert run.get(C.VAL_LOSS).epoch.tolist() == [1.0, 2.0, 3.0]
    assert run.band(C.TRUE_TRAIN_LOSS) is not None and run.context.dropout == 0.3
    for fmt in ("csv", "jsonl"):
        path = write_log(tmp_path / f"log.{fmt}", sink_run.records, context=run.context, meta={"k": 1})
        assert path.read_text().startswith(HEADER_PREFIX)
        (loaded,) = load_path(path)
        assert loaded.context.dropout == 0.3 and loaded.context.batchnorm is True
        for key in (C.TRAIN_LOSS, C.TRUE_TRAIN_LOSS, C.VAL_LOSS, *C.GAP_TERMS):
            np.testing.assert_allclose(loaded.get(key).y, run.get(key).y, rtol=1e-9, err_msg=f"{fmt} {key}")


def test_cli_train_writes_a_log_diagnose_reads_with_context(tmp_path, capsys):
    out = tmp_path / "d.csv"
    code = cli_main(["train", "--preset", "dropout", "--epochs", "3", "--set", "width=32", "--out", str(out)])
    assert code == 0
    err = capsys.readouterr().err
    assert "3/3 epochs" in err and "finished" in err
    header = parse_header(out.read_text().splitlines()[0])
    ctx, meta = header
    assert ctx.dropout == 0.5 and ctx.n_train == 538 and meta["config"]["width"] == 32 and meta["status"] == "finished"  # dropout trains on 40% of the 1347 training digits
    (run,) = load_path(out)
    assert len(run.get(C.TRUE_TRAIN_LOSS)) == 3


def test_cli_train_errors_are_sentences(tmp_path, capsys):
    assert cli_main(["train", "--preset", "dropout", "--set", "lr=fast", "--out", str(tmp_path / "x.csv")]) == 2
    assert "lr: found 'fast', expected a number" in capsys.readouterr().err
    assert cli_main(["train", "--preset", "nope", "--out", str(tmp_path / "x.csv")]) == 2
    assert "unknown preset 'nope'" in capsys.readouterr().err
    assert cli_main(["train", "--preset", "clean", "--set", "lr", "--out", str(tmp_path / "x.csv")]) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
    assert cli_main(["train", "--preset", "clean"]) == 2
    assert "--out is required" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_cli_list_presets(capsys):
    assert cli_main(["train", "--list-presets"]) == 0
    out = capsys.readouterr().out
    for name in ("clean", "dropout", "no_shuffle", "bn_small_batch"):
        assert name in out


def test_cli_and_trainer_config_do_not_import_torch():
    code = ("import sys, trueloss_dash.cli as c; c.build_parser(); "
            "from trueloss_dash.trainer import TrainConfig, PRESETS, preset_config, records_to_run; "
            "preset_config('dropout'); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "False"


def test_sample_runs_exist_for_every_preset_with_context(tmp_path):
    from trueloss_dash.trainer import PRESETS
    from trueloss_dash.trainer.make_samples import readme_text

    sample_dir = REPO / "sample_runs"
    readme = (sample_dir / "README.md").read_text()
    assert readme == readme_text()
    for name in PRESETS:
        (run,) = load_path(sample_dir / f"{name}.csv")
        assert run.context.batch_size == preset_config(name).batch_size
        assert C.TRUE_TRAIN_LOSS in run and C.GAP_GENERALIZATION in run


def test_end_to_end_train_then_diagnose_names_dropout(tmp_path):
    out = tmp_path / "d.csv"
    exe = [sys.executable, "-m", "trueloss_dash.cli"]
    subprocess.run([*exe, "train", "--preset", "dropout", "--out", str(out), "--quiet"], check=True, cwd=REPO,
                   capture_output=True, text=True)
    diag = subprocess.run([*exe, "diagnose", str(out), "--json"], cwd=REPO, capture_output=True, text=True)
    assert diag.returncode == 0, diag.stderr
    report = json.loads(diag.stdout)
    kinds = [f["kind"] for f in report["findings"]]
    assert "inverted_gap" in kinds
    top = report["causes"][0]
    assert top["id"] == "dropout"
    gap_index = kinds.index("inverted_gap")
    assert gap_index in top["findings"]
