"""Log shapes that were refused or misread in the real-log corpus (tests/test_corpus_labels.py
PENDING_READERS): each reader rule is tested on its real corpus file and on generated logs of the
same family (other numbers, spacing, order, extra lines), so the rule is not fitted to one file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.ingest import load_bytes, load_path

CORPUS = Path(__file__).parent / "data" / "corpus"


def _load(text: str, name: str = "train.log"):
    return load_bytes(name, text.encode(), require_curve=False)


def _one(runs):
    assert len(runs) == 1, [r.name for r in runs]
    return runs[0]


# -- an epoch header line heads passes whose counter restarts below it -----------------------------
def test_enoch_epoch_header_wins_over_pass_counters():
    run = _one(load_path(CORPUS / "Enoch-H-Kang__DDC-DPT/train_output.log"))
    train = run.series["train_loss"]
    assert len(train) == 22 and train.step is None
    assert train.epoch.tolist() == list(range(1, 23))
    assert train.y[0] == pytest.approx(0.7522530609130861)
    assert len(run.series["entropy test loss"]) == 22


def _passes(epochs, header, *, glued, first_val=True, tensors=False, train_batches=13, val_batches=4):
    sep = "" if glued else "\r"
    out = ["Args: {'lr': 0.001, 'num_epochs': 9}", f"Num train batches: {train_batches}"]
    for e in range(1, epochs + 1):
        out.append(header.format(e=e))
        val = sep.join(f"Batch {b} of {val_batches}" for b in range(val_batches))
        if tensors:
            out += ["Batch 0 of 4tensor([[2.63, 0.00],", "        [0.93, 0.00]])"]
        val_line = f"{val}{sep}\tValidation loss: {1.0 / e + 0.3:.4f}"
        train = sep.join(f"Batch {b} of {train_batches}" for b in range(train_batches))
        train_line = f"{train}{sep}\tTrain loss: {0.9 / e + 0.2:.4f}"
        out += [val_line, "\tEval time: 0.05", train_line, "\tTrain time: 0.3"] if first_val else \
               [train_line, "\tTrain time: 0.3", val_line]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("header", ["Epoch: {e}", "Epoch {e}", "=== epoch {e} ===", "----- Epoch {e} -----"])
@pytest.mark.parametrize("glued", [True, False])
@pytest.mark.parametrize("first_val", [True, False])
def test_epoch_header_wins_generated(header, glued, first_val):
    run = _one(_load(_passes(7, header, glued=glued, first_val=first_val, train_batches=9, val_batches=3)))
    train = run.series["train_loss"]
    assert train.epoch.tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert np.allclose(train.y, [round(0.9 / e + 0.2, 4) for e in range(1, 8)])
    val = run.series["val_loss"]
    assert np.allclose(val.y, [round(1.0 / e + 0.3, 4) for e in range(1, 8)])


def test_epoch_header_appended_run_still_splits():
    """A second run that starts again at 'Epoch: 1' is still an appended run."""
    text = _passes(5, "Epoch: {e}", glued=False) + _passes(4, "Epoch: {e}", glued=False, tensors=True)
    runs = _load(text)
    assert [len(r.series["train_loss"]) for r in runs] == [5, 4]


def test_epoch_header_one_pass_keeps_counters():
    """One counter line per header (no second pass): the counter restarts only at the next header,
    as before (CycleGAN-like), and the curve keeps one point per epoch."""
    lines = []
    for e in range(1, 6):
        lines += [f"Epoch {e}", f"iter 50 loss: {1.0 / e:.3f}", f"iter 100 loss: {0.9 / e:.3f}"]
    run = _one(_load("\n".join(lines) + "\n"))
    assert len(run.series["train_loss"]) == 10
    assert np.all(np.diff(run.series["train_loss"].step) > 0)


# -- best-so-far lines are not points of the curve ----------------------------------------------------
def test_ange339_best_sentinel_is_not_a_point():
    from trueloss_dash.errors import LogFormatError

    with pytest.raises(LogFormatError, match="Ange339__graph_neural_network/train.log"):
        load_path(CORPUS / "Ange339__graph_neural_network/train.log")


def test_ecg2dig_best_summary_does_not_take_the_val_role():
    """'[BEST VAL] Loss: x | AUC ...' at the end was the one-point val_loss; the 18 epoch lines are."""
    run = _one(load_path(CORPUS / "elenikaxiras__ECG2DIG/training.log"))
    assert len(run.series["val_loss"]) == 18 and len(run.series["train_loss"]) == 18


@pytest.mark.parametrize("best", [
    "Best model found at epoch {e}, Val Loss: {v}, AUC: 91.00%",
    "Saving best model at epoch {e} with val loss {v}",
    "New best valid loss {v}",
    "get best test loss {v}",
    "epoch {e}: best_val_loss={v}",
    "  -> best val loss: {v} (epoch {e})",
])
@pytest.mark.parametrize("order", ["after", "before"])
def test_best_lines_generated(best, order):
    train = [2.0, 1.4, 1.1, 0.9, 0.8, 0.75, 0.72]
    val = [2.1, 1.5, 1.3, 1.25, 1.3, 1.35, 1.4]
    lines = ["Start training", "Best model found at epoch 0, Val Loss: inf, AUC: 0.00%"]
    best_v = float("inf")
    for e, (t, v) in enumerate(zip(train, val), 1):
        line = f"Epoch {e:3d}/50 - train loss: {t:.4f} - val loss: {v:.4f}"
        lines += [line] if order == "after" else []
        if v < best_v:
            best_v = v
            lines.append(best.format(e=e, v=f"{v:.4f}"))
        lines += [line] if order == "before" else []
    lines.append(best.format(e=3, v="1.2500"))  # a final summary
    run = _one(_load("\n".join(lines) + "\n"))
    assert np.allclose(run.series["train_loss"].y, train)
    assert np.allclose(run.series["val_loss"].y, val)
    assert run.series["val_loss"].epoch.tolist() == list(range(1, 8))


@pytest.mark.parametrize("line,kept", [
    ("Epoch 5 | Train Loss: 0.3 | Val Loss: 0.41 <- best loss", ["Train Loss", "Val Loss"]),  # marker after
    ("epoch 3 best_acc 0.9 loss 0.3", ["best_acc", "loss"]),  # 'best' about accuracy
    ("Epoch 4: train loss 0.3, best val loss 0.25", ["train loss"]),
])
def test_best_only_about_a_loss(line, kept):
    from trueloss_dash.ingest.textgrammar import drop_best, parse_message

    parsed = parse_message(line)
    drop_best(line, parsed)
    assert [k for k, _ in parsed.pairs] == kept


# -- losses named only by their phase ------------------------------------------------------------------
def test_nice_pipe_fields_named_by_phase():
    run = _one(load_path(CORPUS / "AkshayaG27__NICE/train.log"))
    assert len(run.series["train_loss"]) == len(run.series["val_loss"]) == 560
    assert run.series["train_loss"].y[0] == pytest.approx(1090.1872)
    assert run.series["val_loss"].y[0] == pytest.approx(1078.6729)
    assert any("only by its phase" in n for n in run.notes)


@pytest.mark.parametrize("fmt", [
    "Epoch {e:4d}/200 | train: {t:.4f} ({b:.4f} bpd) | val: {v:.4f} ({b:.4f} bpd) | lr: 0.000100",
    "epoch {e} | val = {v:.3f} | train = {t:.3f} | time 12.5s",
    "[{e:03d}] |train:{t:.5f}|valid:{v:.5f}|",
    "2024-01-01 10:00:00 INFO Epoch {e} | Training: {t:.4f} | Validation: {v:.4f} | grad_norm: 1.25",
])
def test_phase_named_pipe_fields_generated(fmt):
    train = [3.1, 2.4, 2.0, 1.8, 1.7, 1.65]
    val = [3.2, 2.6, 2.3, 2.2, 2.15, 2.14]
    lines = ["Dataset : mnist", "Parameters : 19,158,352"]
    for e, (t, v) in enumerate(zip(train, val), 1):
        lines.append(fmt.format(e=e, t=t, v=v, b=t / 1000))
        lines.append(f"  New best model at epoch {e} (val: {v})")
    run = _one(_load("\n".join(lines) + "\n"))
    assert np.allclose(run.series["train_loss"].y, train)
    assert np.allclose(run.series["val_loss"].y, val)
    assert np.all(np.diff(run.series["train_loss"].epoch) == 1)  # "[001]" is read 0-based, "Epoch 1" as 1


def test_phase_named_percentages_stay_accuracies():
    from trueloss_dash.ingest.textgrammar import parse_message

    for e in range(1, 4):
        parsed = parse_message(f"epoch {e} | loss: {1 / e:.3f} | train: {80 + e}.5% | val: {78 + e}.0%")
        assert not parsed.phase_named and [k for k, _ in parsed.pairs] == ["loss"]


def test_nanogpt_step_phase_value_lines():
    run = _one(load_path(CORPUS / "neemiasbsilva__developing-nanoGPT2-fineweb/train_log.txt"))
    assert len(run.series["train_loss"]) == 1992 and len(run.series["val_loss"]) == 8
    assert run.series["val_loss"].step.tolist()[:3] == [0, 250, 500]


@pytest.mark.parametrize("sep,val_every,hella", [(" ", 100, False), ("\t", 50, True), ("  ", 200, True)])
def test_nanogpt_step_phase_value_generated(sep, val_every, hella):
    lines = ["using device: cuda", "total desired batch size: 524288"]
    train, val = [], []
    for step in range(0, 600):
        if step % val_every == 0:
            v = 10.0 / (1 + step / 100) + 3.2
            val.append(v)
            lines.append(f"{step}{sep}val{sep}{v:.4f}")
            if hella:
                lines.append(f"{step}{sep}hella{sep}{0.25 + step / 100000:.4f}")
        t = 10.0 / (1 + step / 90) + 3.0
        train.append(t)
        lines.append(f"{step}{sep}train{sep}{t:.6f}")
    run = _one(_load("\n".join(lines) + "\n", "log.txt"))
    assert np.allclose(run.series["train_loss"].y, train, atol=1e-6)
    assert np.allclose(run.series["val_loss"].y, val, atol=1e-4)
    assert run.series["val_loss"].step.tolist() == list(range(0, 600, val_every))


def test_phase_named_counts_are_not_losses():
    """'[Split] Train=3667 | Val=786 | Test=787' (split sizes, Akash05-kr) names no loss."""
    from trueloss_dash.ingest.textgrammar import parse_message

    for line in ["[Split] Train=3667 | Val=786 | Test=787", "Train=115 batches | Val=25 batches", "12 train 3"]:
        assert not parse_message(line).phase_named, line


@pytest.mark.parametrize("name", ["AGNDM__build-nanogpt/log.txt", "AaronConnolly__LLM_From_Scratch/log.txt",
                                  "DHThcmute__Badminton-Court-Detection-and-Heatmap-Analysis-for-Player/loss_history.txt"])
def test_phase_named_other_corpus_files(name):
    run = _one(load_path(CORPUS / name))
    assert len(run.series["train_loss"]) >= 14 and len(run.series["val_loss"]) >= 1


# -- Chinese column names ------------------------------------------------------------------------------
def test_chinese_columns_real_file():
    run = _one(load_path(CORPUS / "2zmc__car_DL/training_metrics.csv"))
    loss = run.series["train_loss"]
    assert len(loss) == 1200 and loss.y[0] == pytest.approx(29.244764) and loss.step[:3].tolist() == [0, 1, 2]
    assert "train_acc" in run.series


@pytest.mark.parametrize("header,sep", [
    (["轮次", "训练损失", "验证损失", "学习率"], ","),
    (["步数", "验证集损失", "训练准确率", "损失", "验证准确率"], "\t"),
    (["迭代次数", "平均损失", "测试损失"], ", "),
])
def test_chinese_columns_generated(header, sep):
    rows = [sep.join(header)]
    for i in range(12):
        values = {"轮次": i + 1, "步数": (i + 1) * 50, "迭代次数": i * 10, "学习率": 0.001, "训练准确率": 0.5 + i / 40,
                  "验证准确率": 0.45 + i / 40}
        row = [values.get(h, round(2.0 / (i + 1) + (0.3 if "验证" in h or "测试" in h else 0.1), 4)) for h in header]
        rows.append(sep.join(str(v) for v in row))
    run = _one(load_bytes("metrics.csv" if sep != "\t" else "metrics.tsv", ("\n".join(rows) + "\n").encode(),
                          require_curve=False))
    assert len(run.series["train_loss"]) == 12
    assert ("val_loss" in run.series) == any(h in header for h in ("验证损失", "验证集损失", "测试损失"))
    x = run.series["train_loss"].epoch if "轮次" in header else run.series["train_loss"].step
    assert x is not None and np.all(np.diff(x) > 0)


# -- '[Losses: ... total t ...]' groups (PyTorch-YOLOv3) -----------------------------------------------
def test_yolov3_losses_group_real_file():
    run = _one(load_path(CORPUS / "aunnnn__PyTorch-YOLOv3/log_train.txt"))
    loss = run.series["train_loss"]
    assert len(loss) == 71 and loss.y[0] == pytest.approx(15.143305) and loss.step[:3].tolist() == [0, 1, 2]


def _yolo_log(n_epochs, batches, fmt):
    lines = ["UserWarning: Anti-aliasing will be enabled by default", "  warn(\"Anti-aliasing\")"]
    totals = []
    for e in range(n_epochs):
        for b in range(batches):
            t = 20.0 / (1 + e * batches + b) ** 0.3
            totals.append(round(t, 6))
            lines.append(fmt.format(e=e, n=n_epochs, b=b, m=batches, x=t / 50, c=t / 4, t=t))
    return "\n".join(lines) + "\n", totals


@pytest.mark.parametrize("fmt", [
    "[Epoch {e}/{n}, Batch {b}/{m}] [Losses: x {x:.6f}, y {x:.6f}, w {c:.6f}, h {c:.6f}, conf {c:.6f}, cls {x:.6f}, "
    "total {t:.6f}, recall: 0.50000, precision: 0.01000]",
    "[Epoch {e}/{n}][Batch {b}/{m}]  [Losses:  xy {x:.4f}  wh {c:.4f}  obj {c:.4f}  total {t:.6f} ]  lr: 0.001",
    "Epoch {e}/{n} Batch {b}/{m} Losses: coord {x:.6f}, conf {c:.6f}, sum {t:.6f}",
])
def test_losses_group_generated(fmt):
    text, totals = _yolo_log(3, 40, fmt)
    run = _one(_load(text))
    assert np.allclose(run.series["train_loss"].y, totals, atol=1e-4)
    assert np.all(np.diff(run.series["train_loss"].step) > 0)
    from trueloss_dash.ingest.textparser import TextLogParser  # the fast path reads the same records

    fast, slow = TextLogParser(), TextLogParser(fast=False)
    for parser in (fast, slow):
        parser.feed_text(text)
        parser.flush()
    assert fast.take_new() == slow.take_new()


def test_losses_group_with_a_loss_key_is_left_alone():
    from trueloss_dash.ingest.textgrammar import parse_message

    parsed = parse_message("[Losses: loss 1.25, aux 0.3, total 1.55]")
    assert [k for k, _ in parsed.pairs] == ["loss", "aux", "total"]


# -- perplexity-only logs: the loss is ln(perplexity), said in a note ---------------------------------
def test_nmtgminor_perplexity_only():
    run = _one(load_path(CORPUS / "DanSchum__NMTGMinor/output.log"))
    loss = run.series["train_loss"]
    assert loss.y[0] == pytest.approx(np.log(16615.48)) and loss.y[-1] > 600  # ppl 6e278: diverged
    assert any("ln('ppl')" in n for n in run.notes)


PPL_TRAIN = [900.0, 300.0, 120.0, 60.0, 40.0, 33.0]
PPL_VAL = [950.0, 320.0, 140.0, 80.0, 61.0, 58.0]


@pytest.mark.parametrize("name,text", [
    ("metrics.csv", "epoch,train_ppl,val_ppl\n" + "".join(f"{e},{t},{v}\n" for e, (t, v) in
                                                          enumerate(zip(PPL_TRAIN, PPL_VAL), 1))),
    ("train.log", "".join(f"epoch {e} | train ppl {t:.2f} | valid ppl {v:.2f} | lr 0.0005\n" for e, (t, v) in
                          enumerate(zip(PPL_TRAIN, PPL_VAL), 1))),
    ("output.log", "Building model...\n" + "".join(
        f"Epoch {e:2d},   {b:4d}/ 1056; acc: {30 + e:.2f}; ppl: {t * (1 + b / 5000):.2f}; lr: 1.00000 ; "
        f"num updates: {(e - 1) * 1056 + b:6d}   528 src tok/s\n"
        for e, t in enumerate(PPL_TRAIN, 1) for b in (100, 200))),
])
def test_perplexity_only_generated(name, text):
    run = _one(_load(text, name))
    loss = run.series["train_loss"]
    assert loss.y[0] == pytest.approx(np.log(PPL_TRAIN[0] * (1 + 100 / 5000) if name == "output.log" else PPL_TRAIN[0]))
    assert np.all(np.diff(loss.y[::2] if name == "output.log" else loss.y) < 0)
    assert ("val_loss" in run.series) == (name != "output.log")
    if "val_loss" in run.series:
        assert np.allclose(run.series["val_loss"].y, np.log(PPL_VAL))
    assert any("perplexity is exp" in n for n in run.notes)


def test_perplexity_beside_a_loss_stays_an_extra():
    text = "epoch,loss,ppl\n" + "".join(f"{e},{np.log(t):.4f},{t}\n" for e, t in enumerate(PPL_TRAIN, 1))
    run = _one(_load(text, "metrics.csv"))
    assert np.allclose(run.series["train_loss"].y, np.round(np.log(PPL_TRAIN), 4)) and "ppl" in run.series
    assert not any("perplexity is exp" in n for n in run.notes)


# -- a counter followed by a duration unit is a duration ('Time taken for 1 epoch 658.7 sec') -----------
def test_tf_tutorial_epoch_batch_log_real_file():
    run = _one(load_path(CORPUS / "Fors3cDream__AutoMaster/train_history.txt"))
    loss = run.series["train_loss"]
    assert len(loss) == 20 and loss.epoch.tolist() == list(range(1, 21))
    assert loss.y[0] > 6.3 and loss.y[-1] < 1.8


@pytest.mark.parametrize("timing", ["Time taken for 1 epoch {t:.4f} sec", "Time taken for 1 epoch {t:.1f} seconds",
                                    "time per epoch {t:.2f} s", "Training 1 epoch {t:.0f} min"])
@pytest.mark.parametrize("batches", [3, 12])
def test_duration_after_a_counter_generated(timing, batches):
    lines = ["Building the model ...", "Starting the training ..."]
    for e in range(1, 9):
        for b in range(1, batches + 1):
            lines.append(f"Epoch {e} Batch {b * 100} Loss {7.0 / (e + b / batches):.4f}")
        lines += [f"Saving checkpoint for epoch {e} at ckpt-{e}", f"Epoch {e} Loss {7.0 / (e + 0.5):.4f}",
                  timing.format(t=600 + 37.3 * e), ""]
    run = _one(_load("\n".join(lines) + "\n"))
    loss = run.series["train_loss"]
    assert loss.epoch.tolist() == list(range(1, 9))
    assert np.all(np.diff(loss.y) < 0)


# -- printed (counter, value) tuples ---------------------------------------------------------------------
def test_counter_tuples_real_file():
    run = _one(load_path(CORPUS / "Averyyy__AudioToVelocity/loss.txt"))
    loss = run.series["train_loss"]
    assert len(loss) == 20 and loss.epoch.tolist() == list(range(20)) and loss.y[0] == 23047468.0


@pytest.mark.parametrize("fmt", ["loss: ({e}, {t})", "train_loss = ( {e} , {t:.6f} )\tval_loss = ( {e} , {v:.6f} )",
                                 "Loss:({e},{t:.3e}); Val Loss:({e},{v:.3e})"])
def test_counter_tuples_generated(fmt):
    train = [5.0 / (e + 1) + 0.5 for e in range(15)]
    val = [5.5 / (e + 1) + 0.7 for e in range(15)]
    lines = ["starting", *(fmt.format(e=e, t=t, v=v) for e, (t, v) in enumerate(zip(train, val))), "done"]
    run = _one(_load("\n".join(lines) + "\n", "loss.txt"))
    assert np.allclose(run.series["train_loss"].y, train, rtol=1e-3)
    assert run.series["train_loss"].epoch.tolist() == list(range(15))
    if "val" in fmt.lower():
        assert np.allclose(run.series["val_loss"].y, val, rtol=1e-3)


def test_counter_tuples_need_one_counter_and_nothing_else():
    from trueloss_dash.ingest.textgrammar import _counter_tuples

    assert _counter_tuples("loss: (0, 2.3) acc: (1, 0.5)") is None  # two counters
    assert _counter_tuples("model saved to ckpt (0, 1.2) at step 5") is None  # prose around the tuple


# -- logs that now load may hold losses below zero (a flow's negative log-likelihood, NICE) -------------
@pytest.mark.parametrize("base,jump", [(-300, 800), (-50, 400), (-2000, 900)])
def test_level_shift_on_a_loss_crossing_zero_has_no_undefined_ratio(base, jump):
    """A level shift whose level before is <= 0 has no ratio for the validation-follow check: the
    finding stays as detected, without a log of a negative number (RuntimeWarning, NaN rise)."""
    import warnings

    from trueloss_dash.diagnose import diagnose

    rng = np.random.default_rng(1)
    e = np.arange(1, 401)
    t = base + 1000 * np.exp(-e / 30) + jump * (e >= 250) + rng.normal(0, 5, len(e))
    text = "epoch,train_loss,val_loss\n" + "".join(f"{a},{b:.3f},{b + 30:.3f}\n" for a, b in zip(e, t))
    run = _one(load_bytes("metrics.csv", text.encode()))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        report = diagnose(run)
    assert any(f.kind == "level_shift" for f in report.findings)
