"""The text-log grammar: each progress/pair style, non-finite values, appended runs, ignored
lines, and the incremental API (feed / take_new / runs) that the folder watcher uses."""

from __future__ import annotations

import math

import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_bytes
from trueloss_dash.ingest.textparser import TextLogParser

TRAIN = [1.0, 0.8, 0.6, 0.5]
VAL = [1.1, 0.9, 0.8, 0.75]


def _load(text: str, name: str = "train.log"):
    return load_bytes(name, text.encode(), require_curve=False)  # the grammar, even on a two-line log


STYLES = {
    "python logging, colon after the counter": (
        [f"INFO:root:Epoch {e}: Train Loss={t}, Val Loss={v}" for e, (t, v) in enumerate(zip(TRAIN, VAL), 1)], "epoch"),
    "nanoGPT step lines": ([f"step {e * 100}: train loss {t}, val loss {v}" for e, (t, v) in enumerate(zip(TRAIN, VAL))], "step"),
    "bracket progress and percents": (
        [f"[{e}/20] loss: {t} val_loss: {v} acc: 95.{e}%" for e, (t, v) in enumerate(zip(TRAIN, VAL), 1)], "epoch"),
    "fairseq pipes": ([f"| epoch {e:03d} | loss {t} | ppl 1,234.5 | num_updates {e * 100}\n"
                       f"| epoch {e:03d} | valid on 'valid' subset | loss {v} | num_updates {e * 100}"
                       for e, (t, v) in enumerate(zip(TRAIN, VAL), 1)], "step"),
    "mmengine epoch-based": (
        [f"2023/03/01 12:00:0{e} - mmengine - INFO - Epoch(train)  [{e}][ 50/50]  lr: 1.0000e-03  eta: 0:01:00  "
         f"time: 0.5000  loss: {t}\n2023/03/01 12:00:0{e} - mmengine - INFO - Epoch(val) [{e}][10/10]  loss: {v}"
         for e, (t, v) in enumerate(zip(TRAIN, VAL), 1)], "step"),
    "maskrcnn with running averages": (
        [f"2019-01-01 12:00:00,000 maskrcnn_benchmark.trainer INFO: eta: 1 day, 2:03:04  iter: {e * 20}  "
         f"loss: {t} (9.9)  val_loss: {v} (9.9)  lr: 0.001000  max mem: 1234" for e, (t, v) in enumerate(zip(TRAIN, VAL), 1)],
        "step"),
    "tqdm bars (only each epoch's last update counts)": (
        [f"Epoch {e}:  50%|#####     | 5/10 [00:01<00:01, 9.1it/s, loss=9.99]\r"
         f"Epoch {e}: 100%|##########| 10/10 [00:02<00:00, 9.1it/s, loss={t}, val_loss={v}]" for e, (t, v) in enumerate(zip(TRAIN, VAL))],
        "epoch"),
    "PaddleVideo phase counters and END-epoch averages": (
        [f"[12/25 14:2{e}:40] epoch:[  {e}/4 ] train step:0    loss: 9.{e} lr: 0.010000 top1: 0.01\n"
         f"[12/25 14:2{e}:50] epoch:[  {e}/4 ] train step:100  loss: 8.{e} lr: 0.010000 top1: 0.23\n"
         f"[12/25 14:2{e}:53] END epoch:{e}   train loss_avg: {t}  top1_avg: 0.10 avg_batch_cost: 6.8 sec\n"
         f"[12/25 14:2{e}:57] epoch:[  {e}/4 ] val step:0    loss: 7.{e} top1: 0.12\n"
         f"[12/25 14:2{e}:59] END epoch:{e}   val loss_avg: {v} top1_avg: 0.14 avg_batch_cost: 0.03 sec"
         for e, (t, v) in enumerate(zip(TRAIN, VAL), 1)], "epoch"),
    "keras with tensors and units": (
        [f"Epoch {e}/4\n32/32 [==============================] - 1s 5ms/step - loss: tensor({t}, device='cuda:0') - val_loss: {v}"
         for e, (t, v) in enumerate(zip(TRAIN, VAL), 1)], "epoch"),
}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_each_style_reads_train_and_val(style):
    lines, axis = STYLES[style]
    run = _load("Loading data from /data with 4 workers\n" + "\n".join(lines) + "\nDone.\n")[0]
    assert run.series["train_loss"].y.tolist() == TRAIN
    assert run.series["val_loss"].y.tolist() == VAL
    assert run.series["train_loss"].axes[0] == axis
    assert any("lines without metrics ignored" in w and "line 1" in w for w in run.warnings), run.warnings


def test_nan_and_inf_are_kept_as_points_and_units_stripped():
    text = "".join(f"iter {i}: loss {v}, time 95.1ms\n" for i, v in enumerate(["10.9", "9.5", "nan", "inf", "-inf"]))
    run = _load(text)[0]
    y = run.series["train_loss"].y
    assert y[:2].tolist() == [10.9, 9.5] and math.isnan(y[2]) and y[3] == math.inf and y[4] == -math.inf
    assert run.series["time per iter"].y.tolist() == [95.1] * 5
    assert any("3 non-finite" in w for w in run.warnings)


def test_cyclegan_losses_load_without_roles_and_steps_continue_across_epochs():
    text = "".join(f"(epoch: {e}, iters: {i}, time: 0.1, data: 0.2) D_A: 0.{e}{i // 100} G_A: 1.{e}{i // 100} cycle_A: 2.0\n"
                   for e in (1, 2) for i in (100, 200))
    run = _load(text, "loss_log.txt")[0]
    assert run.series["D_A"].step.tolist() == [100, 200, 300, 400]
    assert {"D_A", "G_A", "cycle_A"} <= set(run.series) and "train_loss" not in run.series


def test_mmengine_in_epoch_iterations_become_global_steps():
    text = "".join(f"Epoch(train) [{e}][{i:3d}/100]  lr: 1e-3  loss: {e + i / 1000}\n" for e in (1, 2) for i in (50, 100))
    text += "Epoch(val) [2][10/10]  coco/bbox_mAP: 0.3\n"
    run = _load(text)[0]
    assert run.series["train_loss"].step.tolist() == [50, 100, 150, 200]
    assert run.series["val/coco/bbox_mAP"].step.tolist() == [200]


def test_appended_runs_are_split():
    one = "".join(f"Epoch {e}/3, loss: {t}, val_loss: {v}\n" for e, (t, v) in enumerate(zip(TRAIN, VAL), 1) if e <= 3)
    runs = _load(one + one.replace("loss: ", "loss: 1"))
    assert [r.name for r in runs] == ["train", "train (part 2)"]
    assert runs[1].series["train_loss"].y.tolist() == [11.0, 10.8, 10.6]
    assert any("2 appended runs" in w for w in runs[0].warnings)


def test_prose_is_not_a_metric():
    text = ("Epoch 00001: val_loss improved from inf to 0.50123, saving model to model.h5\n"
            "Epoch 1, loss: 0.5, val_loss: 0.6\nFile \"train.py\", line 3, in <module>\n")
    run = _load(text)[0]
    assert set(run.series) == {"train_loss", "val_loss"}


def test_refusal_names_the_first_line_without_metrics():
    with pytest.raises(LogFormatError) as err:
        load_bytes("notes.log", b"hello\nthe weather is nice at 5\n", format="text_log")
    msg = str(err.value)
    assert "notes.log" in msg and "line 1: 'hello'" in msg and "expected lines such as" in msg


def test_incremental_feed_keeps_state_and_matches_one_shot_reading():
    lines = [f"Epoch {e}/4\n32/32 [====] - 1s - loss: {t} - val_loss: {v}" for e, (t, v) in enumerate(zip(TRAIN, VAL), 1)]
    text = "\n".join(lines) + "\n"
    parser = TextLogParser()
    got = []
    for cut in range(0, len(text), 7):  # a growing file read in 7-character chunks
        parser.feed_text(text[cut:cut + 7])
        got.extend(parser.take_new())
    assert [r["epoch"] for r in got] == [1, 2, 3, 4] and [r["loss"] for r in got] == TRAIN
    assert parser.take_new() == []
    run = parser.runs(name="live", source="train.log")[0]
    assert run.series["val_loss"].y.tolist() == VAL and run.series["val_loss"].epoch.tolist() == [1, 2, 3, 4]
    parser.feed(["Epoch 5/5", "32/32 [====] - 1s - loss: 0.4 - val_loss: 0.7"])
    assert parser.take_new() == [{"run": 0, "line": 10, "epoch": 5.0, "loss": 0.4, "val_loss": 0.7}]


def test_fast_path_blocks_match_the_line_by_line_reading():
    text = "".join(f"2024-05-01 10:00:{i % 60:02d},123 - INFO - step {i}: train loss {1 / (i + 1):.5f}, lr 1e-3\n"
                   for i in range(500))
    text += "step 500: train loss nan, lr 1e-3\nstep 3: train loss 0.1, lr 1e-3\n"  # a restart after a NaN
    parser = TextLogParser()
    parser.feed_text(text)
    assert parser._blocks, "the repeated shape should have been read as a block"
    records = parser.take_new()
    slow = TextLogParser()
    for line in text.splitlines():
        slow._line(line)  # line by line, no blocks
    def canon(recs):  # NaN != NaN: compare the written form
        return [sorted((k, repr(v)) for k, v in r.items()) for r in recs]

    assert canon(records) == canon(slow.take_new())


def test_a_counter_inside_a_sentence_names_the_value_after_the_colon():
    from trueloss_dash.ingest.textgrammar import parse_message

    p = parse_message("Average loss for epoch 1: 0.3625")
    assert p.pairs == [("loss", 0.3625)] and p.epoch == 1
    p = parse_message("Loss after step 200 = 0.5")
    assert p.pairs == [("Loss", 0.5)] and p.step == 200
    # prose with the same words stays prose
    assert parse_message("val_loss improved from 0.52 to 0.50").pairs == []
    assert parse_message("best loss at epoch 3").pairs == []


def test_the_print_glued_after_a_tqdm_bar_is_read_as_its_own_line():
    from trueloss_dash.ingest.textgrammar import parse_message

    p = parse_message("  1%|          | 1/100 [31:27<51:54:28, 1887.57s/it]Epoch 2, Training loss: 1.6877, Validation loss: 1.0509")
    assert p.epoch == 2 and dict(p.pairs) == {"Training loss": 1.6877, "Validation loss": 1.0509} and not p.bar
    # a plain unfinished bar is still an unfinished bar
    p = parse_message("Epoch 1:  45%|####5     | 425/938 [00:10<00:12, 41.2it/s, loss=0.31]")
    assert p.unfinished


def test_real_logs_with_a_sentence_counter_and_a_glued_bar_load():
    from pathlib import Path

    from trueloss_dash.ingest import load_path

    corpus = Path(__file__).resolve().parent / "data" / "corpus"
    run, = load_path(corpus / "ivanovot__ToxicClassifier" / "training.log")  # 'Average loss for epoch N: x'
    assert len(run.series["train_loss"].y) == 50
    run, = load_path(corpus / "tech-tatsuma__VisualAtom" / "train.txt")  # tqdm bar + 'Epoch N, Training loss: x'
    assert len(run.series["train_loss"].y) == 61 and len(run.series["val_loss"].y) == 61


def test_a_per_epoch_count_under_an_epoch_header_is_not_a_restart():
    # doosik71 (dev): "Epoch 3/69" / "batch = 405" / "train Loss: 0.3854 ..." - the same count every
    # epoch under its header: one run of 70 epochs (global step 405 x epoch), not 70 one-point runs
    from pathlib import Path

    from trueloss_dash.ingest import load_path

    run, = load_path(Path(__file__).resolve().parent / "data" / "corpus" / "doosik71__Person-reID-triplet-loss" / "train.log")
    s = run.series["train_loss"]
    assert len(s.y) == 70 and list(s.epoch[:3]) == [0, 1, 2] and list(s.step[:3]) == [405, 810, 1215]


def test_paddlevideo_log_is_one_run_with_epoch_averages_as_the_curves():
    """justld/3D-ResNets_paddle: 'val step:0' is the evaluation loop's counter (it used to restart the
    training step and split epoch 1 off as a run of its own), 'END epoch:N' closes an epoch, and the
    epoch means 'train loss_avg' / 'val loss_avg' beat the one-batch 'loss' samples for the roles."""
    from pathlib import Path

    from trueloss_dash.ingest import load_path

    path = Path(__file__).parent / "data" / "corpus" / "justld__3D-ResNets_paddle" / "train.log"
    runs = load_path(path)
    assert len(runs) == 1
    run = runs[0]
    assert run.series["train_loss"].source_column == "train loss_avg"
    assert run.series["val_loss"].source_column == "val loss_avg"
    assert len(run.series["train_loss"].y) == len(run.series["val_loss"].y) == 25
    assert run.series["train_loss"].y[0] == pytest.approx(3.94312)
    assert run.series["val_loss"].y[-1] == pytest.approx(2.57698)
    assert run.series["val/loss"].y[0] == pytest.approx(3.27431)  # the one-batch sample stays, apart


def test_a_phase_header_line_gives_its_phase_to_the_block_below():
    """'testing in eval mode...' heads the evaluation's metric line; the block ends at a line that
    repeats one of its keys (the next record) or names its own phase. Prose that only mentions a
    phase word ('testing the cuda device here') is not a header, and 'loss is: x' names 'loss'."""
    lines = ["testing the cuda device here", "testing in eval mode......",
             "epoch: 0,  loss is: 2.5, acc is: 0.07"]  # before training: an evaluation of the random model
    for e, (t, v) in enumerate(zip(TRAIN, VAL)):
        lines += [f"epoch: {e},  loss is: {t}, acc is: 0.8", "testing in eval mode......",
                  f"epoch: {e},  loss is: {v}, acc is: 0.7", "Now continue training......"]
    run = _load("\n".join(lines) + "\n")[0]
    assert run.series["train_loss"].y.tolist() == TRAIN
    assert run.series["val_loss"].y.tolist() == VAL  # epoch 0's evaluation after training is kept
    assert run.series["train_acc"].y.tolist() == [0.8] * 4


def test_validation_block_under_a_header_and_training_after_it():
    text = "\n".join(
        f"Epoch {e}: loss {t}\nValidation:\nloss {v}\nacc 0.9" for e, (t, v) in enumerate(zip(TRAIN, VAL), 1))
    run = _load(text + "\n")[0]
    assert run.series["train_loss"].y.tolist() == TRAIN
    assert run.series["val_loss"].y.tolist() == VAL


def test_real_paddle_capture_with_eval_headers():
    """AIHHU/PaddleCIFAR10 (real dev): train and test lines share one format; only the
    'testing in eval mode' line above a line says it is the test set. It used to be refused."""
    from pathlib import Path

    from trueloss_dash.ingest import load_path

    run = load_path(Path(__file__).parent / "data" / "corpus" / "AIHHU__PaddleCIFAR10" / "training_log.txt")[0]
    assert run.series["train_loss"].y[:3].round(4).tolist() == [0.6286, 0.3675, 0.2923]
    assert run.series["val_loss"].y[:3].round(4).tolist() == [0.4866, 0.5760, 0.4973]
    assert len(run.series["train_loss"].y) == len(run.series["val_loss"].y)


def test_a_step_total_under_a_carried_epoch_reads_the_same_on_the_fast_path():
    """'Batch 10/165' lines under an 'Epoch 2/20' header: when the batch counter restarts, the step
    moves on by the total (165), not by the last logged batch (160) - on the fast path too."""
    from trueloss_dash.ingest.textparser import TextLogParser

    lines = []
    for e in (1, 2, 3):
        lines.append(f"2025-11-20 13:44:58,764 - INFO - Epoch {e}/20")
        lines += [f"2025-11-20 13:44:59,{b:03d} - INFO -   Batch {b}/165 | Batch Energy: {1.5 - e * 0.1 - b / 1e4:.4f} | "
                  f"Perplexity: {900 + b}.1234" for b in range(10, 170, 10)]
        lines.append(f"2025-11-20 13:45:08,427 - INFO - Epoch {e}/20 | Train Energy: 1.3597 | Val Energy: 1.3987")
    got = {}
    for fast in (True, False):
        p = TextLogParser(fast=fast)
        p.feed(lines)
        got[fast] = [r.get("step") for r in p.take_new()]
    assert got[True] == got[False]
    assert 175.0 in got[False] and 340.0 in got[False]


def test_a_named_training_loss_beats_a_bare_loss_printed_for_the_evaluation():
    """Haodan2401/densenet: 'Epoch 1 [IMPR] loss = 0.502' is the validation loss; 'Training loss: 0.433,
    Valid loss: 0.502' names both. The bare 'loss' used to win the training role."""
    text = "".join(f"Epoch {e} [IMPR] loss = {v}\nTraining loss: {t}, Valid loss: {v}\n" for e, (t, v) in enumerate(zip(TRAIN, VAL), 1))
    run = _load(text)[0]
    assert run.series["train_loss"].y.tolist() == TRAIN
    assert run.series["val_loss"].y.tolist() == VAL
    assert run.series["train_loss"].source_column == "Training loss"
