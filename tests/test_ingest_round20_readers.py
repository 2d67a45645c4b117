"""Readers for the pending dev formats of stop 23 (helper "readers"): each rule tested on the real dev file
and on a small generated file of the same shape."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


# -- a YOLOv5-fork results.txt whose every loss is NaN ------------------------------------------------------
def test_yolov5_fork_results_txt_nan_from_the_first_epoch_loads():
    # citizenyves/PoseDetection: one line '0/0 0G nan nan 0 nan nan nan 11 640 0 0 0 0 nan nan 0' (5 terms + total)
    runs = load_path(CORPUS / "citizenyves__PoseDetection" / "results.txt")
    assert len(runs) == 1 and runs[0].format == "yolov5_txt"
    train = runs[0].series["train_loss"]
    assert len(train.y) == 1 and math.isnan(train.y[0])
    assert math.isnan(runs[0].series["val_loss"].y[0])


def test_yolov5_fork_nan_lines_generated(tmp_path):
    line = "{e}/9  1.2G  nan  nan  0  nan  nan  nan  11  640  0  0  0  0  nan  nan  0\n"
    path = tmp_path / "results.txt"
    path.write_text("".join(line.format(e=e) for e in range(3)))
    run = load_path(path)[0]
    assert run.format == "yolov5_txt" and len(run.series["train_loss"].y) == 3
    # a total that is NaN while every term is finite is no sum: not this layout
    path.write_text("0/9  1.2G  0.1  0.2  0  0.1  0.3  nan  11  640  0  0  0  0  0.1  0.2  0\n")
    with pytest.raises(LogFormatError):
        load_path(path)


# -- Lightning's tqdm console: 'Validation: 0it [00:00, ?it/s]' is no epoch 0 -------------------------------
def test_lightning_tqdm_capture_loads_as_one_run_of_40_epochs():
    # Delve-ERAV1/Object-Detection-with-YOLOv3: one bar redraw per line, a 'Validation' bar after each epoch
    runs = load_path(CORPUS / "Delve-ERAV1__Object-Detection-with-YOLOv3" / "training_logs.txt")
    assert len(runs) == 1
    run = runs[0]
    assert len(run.series["train_loss"].y) == 40 and len(run.series["val_loss"].y) == 40
    assert run.series["train_loss"].source_column == "train_loss_epoch"
    # the epoch's last update wins: epoch 0's mean 37.3, epoch 1's 26.2 (printed after its validation)
    assert [round(float(v), 1) for v in run.series["train_loss"].y[:2]] == [37.3, 26.2]
    assert [round(float(v), 1) for v in run.series["val_loss"].y[:2]] == [28.1, 24.0]
    assert "v_num" not in run.series  # the logger's version number is no measurement


def _lightning_console(epochs: int) -> str:
    out = ["Sanity Checking: 0it [00:00, ?it/s]", "Training: 0it [00:00, ?it/s]"]
    post = ""
    for e in range(epochs):
        for i in (5, 10):
            out.append(f"Epoch {e}: {i * 10}%|##   | {i}/10 [00:0{i % 10}<00:01, 9.1it/s, v_num=3, "
                       f"train_loss_step={2.0 / (e + 1):.3f}{post}]")
        out += ["", "Validation: 0it [00:00, ?it/s]\x1b[A", "Validation DataLoader 0: 100%|#####| 4/4 [00:01<00:00]\x1b[A"]
        post = f", val_loss={2.2 / (e + 1):.3f}, train_loss_epoch={2.1 / (e + 1):.3f}"
        out.append(f"Epoch {e}: 100%|#####| 10/10 [00:02<00:00, 9.1it/s, v_num=3, train_loss_step={2.0 / (e + 1):.3f}{post}]")
    return "\n".join(out) + "\n"


def test_lightning_console_generated(tmp_path):
    path = tmp_path / "train.log"
    path.write_text(_lightning_console(6))
    runs = load_path(path)
    assert len(runs) == 1
    assert sorted(runs[0].series) == ["train_loss", "train_loss_step", "val_loss"]
    assert [round(float(v), 3) for v in runs[0].series["val_loss"].y] == [round(2.2 / (e + 1), 3) for e in range(6)]


# -- a tqdm bar whose description is the logged iteration, with its own counter ----------------------------
def test_tqdm_bar_describing_each_iteration_is_read_per_iteration():
    # RCVLab-AiimLab/crowd_counting: 'Epoch [0][12/1200] Time/b 0.42 (0.42) Loss 330.9746 (330.975) :  1%|...'
    # joined by carriage returns, two redraws per iteration
    run = load_path(CORPUS / "RCVLab-AiimLab__crowd_counting" / "train.out")[0]
    loss = run.series["train_loss"]
    assert loss.source_column == "Loss" and len(loss.y) == 204
    assert [round(float(v), 4) for v in loss.y[:3]] == [330.9746, 115.9429, 254.8954]  # not the running means


def test_tqdm_iteration_bars_generated(tmp_path):
    parts = []
    for e in range(2):
        for i in range(20):
            text = f"Epoch [{e}][{i}/20] Loss {3.0 / (e * 20 + i + 1):.4f} ({1.5:.4f}) : "
            parts.append(text + f"{i * 5:3d}%|#  | {i}/20 [00:01<00:09, 2.0it/s]")
            parts.append(text + f"{i * 5 + 5:3d}%|#  | {i + 1}/20 [00:01<00:09, 2.0it/s]")
    path = tmp_path / "train.out"
    path.write_bytes(("\r".join(parts) + "\n").encode())
    loss = load_path(path)[0].series["train_loss"]
    assert len(loss.y) == 40  # one point per iteration, the two redraws of each merged
    assert round(float(loss.y[-1]), 4) == round(3.0 / 40, 4)


def test_lightning_postfix_bars_still_give_one_point_per_epoch(tmp_path):
    # a bar without its own iteration counter in the text: its unfinished redraws are still skipped
    path = tmp_path / "train.log"
    path.write_text("".join(f"Epoch {e}: {p}%|#  | {p // 10}/10 [00:01<00:01, loss={1.0 / (e + 1) + p / 1000:.3f}]\n"
                            for e in range(4) for p in (50, 100)))
    loss = load_path(path)[0].series["train_loss"]
    assert len(loss.y) == 4 and round(float(loss.y[0]), 3) == 1.1


# -- an unnamed curve that never moves is no curve ------------------------------------------------------------
def test_headerless_epoch_cost_file_of_zeros_is_refused_with_a_sentence():
    # GulzarJS/IA_sandbox: '0,0.0' ... '799,0.0' (epoch, a cost that is 0.0 on every row)
    with pytest.raises(LogFormatError, match=r"'column_2' is 0 on all 800 rows") as err:
        load_path(CORPUS / "GulzarJS__IA_sandbox" / "training.out")
    assert "training.out" in str(err.value) and "expected" in str(err.value)


def test_flat_unnamed_curve_refused_moving_one_kept(tmp_path):
    path = tmp_path / "training.out"
    path.write_text("".join(f"{e},0.5\n" for e in range(30)))
    with pytest.raises(LogFormatError, match=r"'column_2' is 0.5 on all 30 rows"):
        load_path(path)
    path.write_text("".join(f"{e},{0.5 + 0.01 * (e % 3)}\n" for e in range(30)))
    assert "column_2" in load_path(path)[0].series  # it moves: loaded, the role picker offered
    path.write_text("epoch,loss\n" + "".join(f"{e},0.5\n" for e in range(30)))
    assert "train_loss" in load_path(path)[0].series  # a named loss that never moves is still a loss


# -- a lone falling curve whose zero is printed as float32 rounding -------------------------------------------
def test_lone_curve_reaching_zero_as_float32_rounding_reads_as_training_loss():
    # seilna/Deep-RDD loss_curve.csv: '0.935858,' ... down to '-1.19209e-07,' (122 values at 0 to float32 rounding)
    run = load_path(CORPUS / "seilna__Deep-RDD" / "loss_curve.csv")[0]
    assert run.series["train_loss"].source_column == "loss_curve" and len(run.series["train_loss"].y) == 967
    assert any("float32 rounding" in n for n in run.notes)


def test_lone_curve_rounding_generated(tmp_path):
    path = tmp_path / "curve.txt"
    values = [1.0 / (i + 1) for i in range(20)] + [-1.19209e-07, 0.0, -5.96e-08] * 4
    path.write_text("".join(f"{v:.6g}\n" for v in values))
    assert "train_loss" in load_path(path)[0].series
    path.write_text("".join(f"{v:.6g}\n" for v in [1.0 / (i + 1) for i in range(20)] + [-0.01] * 5))
    assert "train_loss" not in load_path(path)[0].series  # truly negative: no guess, the role picker


# -- console tables: rows of numbers under a header line -----------------------------------------------------
def test_matlab_train_network_table_loads_per_iteration():
    # dyl1x/dobotgrasping: trainRCNNObjectDetector's '|  Epoch  |  Iteration  | ... |  Mini-batch  |' table, its
    # header over two lines ('Mini-batch' / 'Loss'), under a banner of asterisks
    run = load_path(CORPUS / "dyl1x__dobotgrasping" / "training_logs.txt")[0]
    assert run.format == "console_table"
    loss = run.series["train_loss"]
    assert loss.source_column == "Mini-batch Loss" and len(loss.y) == 224
    assert [float(v) for v in loss.y[:2]] == [13.5502, 22.8836] and list(loss.step[:2]) == [1.0, 50.0]
    assert run.series["train_acc"].source_column == "Mini-batch Accuracy" and float(run.series["train_acc"].y[0]) == 40.0


def test_yolov9_console_table_loads_per_epoch_with_validation_metrics():
    # ibrahim737701/TSAIAssignment15: 'Epoch GPU_mem box_loss cls_loss dfl_loss Instances Size' over tqdm-redrawn rows
    # '0/199  28.2G  1.286  3.106  1.43  400  640: 100%|...', then 'Class Images Instances P R mAP50 mAP50-95' / 'all ...'
    run = load_path(CORPUS / "ibrahim737701__TSAIAssignment15" / "training_logs.txt")[0]
    assert run.format == "console_table" and len(run.series["train_loss"].y) == 200
    assert round(float(run.series["train_loss"].y[0]), 3) == round(1.286 + 3.106 + 1.43, 3)
    assert float(run.series["metrics/mAP50"].y[0]) == 0.396 and list(run.series["metrics/mAP50"].epoch[:2]) == [0.0, 1.0]


def test_space_padded_table_generated(tmp_path):
    lines = ["Loading data...", "model has 1,234 parameters", "",
             "Epoch    Train Loss    Val Loss    Accuracy    Time"]
    lines += [f"{e:<8d} {1.0 / e:<13.4f} {1.1 / e:<11.4f} {0.5 + e / 100:<11.2f} {3.2 + e:.1f}s" for e in range(1, 11)]
    lines += ["Training done. Best Val Loss: 0.11"]
    path = tmp_path / "train_output.log"
    path.write_text("\n".join(lines) + "\n")
    run = load_path(path)[0]
    assert run.format == "console_table"
    assert len(run.series["train_loss"].y) == 10 and len(run.series["val_loss"].y) == 10
    assert float(run.series["val_loss"].y[-1]) == 0.11 and list(run.series["val_loss"].epoch[:2]) == [1.0, 2.0]


def test_pipe_table_with_evaluation_rows_generated(tmp_path):
    lines = ["|" + "=" * 60 + "|", "|  Epoch  |  Iteration  |  Mini-batch  |  Validation  |",
             "|         |             |     Loss     |     Loss     |", "|" + "=" * 60 + "|"]
    lines += [f"| {1 + i // 5:7d} | {i * 10:11d} | {2.0 / (i + 1):12.4f} | {2.1 / (i + 1):12.4f} |" for i in range(12)]
    path = tmp_path / "log.txt"
    path.write_text("\n".join(lines) + "\n")
    run = load_path(path)[0]
    assert sorted(n for n in run.series if "loss" in n) == ["train_loss", "val_loss"]
    assert len(run.series["train_loss"].y) == 12


def test_table_of_per_item_rows_only_is_not_a_curve(tmp_path):
    # rows labelled by a class name (no aggregate row, no x column): nothing to read, still refused
    lines = ["Class    Images    Precision    box_loss"] + [f"cat{i}    {10 + i}    0.{i}5    0.{i}1" for i in range(6)]
    path = tmp_path / "eval.txt"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(LogFormatError):
        load_path(path)


# -- the negated SI-SDR of speech separation is its loss ------------------------------------------------------
def test_negated_sisdr_lines_read_as_training_and_validation_loss():
    # LaoDa-X/TriGA-Net: 'Train  -SISDR: -8.6729, SISDRi: 8.3271' / 'Valid  -SISDR: -7.7967, SISDRi: 7.3983' per epoch
    run = load_path(CORPUS / "LaoDa-X__TriGA-Net" / "train_logs.txt")[0]
    assert run.series["train_loss"].source_column == "-SISDR" and run.series["val_loss"].source_column == "val/-SISDR"
    assert len(run.series["val_loss"].y) == 60 and float(run.series["val_loss"].y[0]) == -7.7967
    assert float(run.series["val/SISDRi"].y[0]) == 7.3983  # the Valid line's other metric keeps its phase


def test_negated_measure_generated(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("".join(f"Epoch {e}/20\nTrain  -SISDR: {-5 - e * 0.5:.4f}, SDRi: {5 + e * 0.5:.4f}\n"
                            f"Valid  -SISDR: {-4 - e * 0.4:.4f}, SDRi: {4 + e * 0.4:.4f}\n" for e in range(1, 21)))
    run = load_path(path)[0]
    assert len(run.series["train_loss"].y) == 20 and len(run.series["val_loss"].y) == 20
    # a minus that is not glued to a name followed by a value stays punctuation
    path.write_text("".join(f"epoch {e} - loss: {1.0 / e:.3f}\n" for e in range(1, 8)))
    assert load_path(path)[0].series["train_loss"].source_column == "loss"


# -- Keras fits of one epoch with no 'Epoch 1/1' line ---------------------------------------------------------
def test_keras_one_epoch_fits_read_their_progress_as_the_curve():
    # NCAR/gecko-ml: five 'Train on 113600 samples' fits whose bars ('1024/113600 [....] - ETA: 8:33 - loss: 0.1160')
    # redraw with backspaces and carriage returns; no epoch line
    runs = load_path(CORPUS / "NCAR__gecko-ml" / "train.txt")
    assert len(runs) == 5 and all(len(r.series["train_loss"].y) == 111 for r in runs)
    first = runs[0].series["train_loss"]
    assert float(first.y[0]) == 0.116 and float(first.step[0]) == 1024 and float(first.y[-1]) == 0.0067
    assert any("running mean" in n for n in runs[0].notes)


def _keras_bar(done: int, total: int, loss: float) -> str:
    return f"{done:6d}/{total} [{'=' * (30 * done // total):.<30}] - ETA: 1:00 - loss: {loss:.4f}" + "\b" * 60


def test_keras_progress_without_epoch_lines_generated(tmp_path):
    path = tmp_path / "train.txt"
    updates = "\r".join(_keras_bar(d, 6400, 1.0 / (1 + d / 640)) for d in range(640, 6401, 640))
    path.write_bytes(("Train on 6400 samples\n" + updates + "\n").encode())
    loss = load_path(path)[0].series["train_loss"]
    assert len(loss.y) == 10 and list(loss.step[:2]) == [640.0, 1280.0]
    # the same bars without the fit's banner (model.evaluate() output): no training curve, refused as before
    path.write_bytes((updates + "\n").encode())
    with pytest.raises(LogFormatError, match="fewer than 3 points"):
        load_path(path)


def test_keras_progress_under_epoch_lines_still_one_point_per_epoch(tmp_path):
    path = tmp_path / "train.txt"
    text = "".join(f"Epoch {e}/4\n" + "\r".join(_keras_bar(d, 6400, 1.0 / e + d / 1e5) for d in range(640, 6401, 640)) + "\n"
                   for e in range(1, 5))
    path.write_bytes(text.encode())
    loss = load_path(path)[0].series["train_loss"]
    assert len(loss.y) == 4 and list(loss.epoch) == [1.0, 2.0, 3.0, 4.0]


# -- WGAN 'L_D' / 'L_G' are the critic's and the generator's losses -------------------------------------------
def test_wgan_l_d_l_g_load_as_roleless_gan_losses():
    # chanichkorn/pattern_proj: 'Epoch   15/300 | L_D=-3.7466 | L_G=-1.0175 | W=4.1433 | val_W=-0.8299 | 5.8s'
    run = load_path(CORPUS / "chanichkorn__pattern_proj" / "train_log.txt")[0]
    assert {"L_D", "L_G"} <= set(run.series) and not {"train_loss", "val_loss"} & set(run.series)
    assert any("L_D" in w and "no series has a known loss role" in w for w in run.warnings)


def test_wgan_names_generated(tmp_path):
    path = tmp_path / "train_log.txt"
    path.write_text("".join(f"Epoch {e:4d}/50 | L_D={-1 - e / 10:.4f} | L_G={-0.5 - e / 20:.4f} | W={1 + e / 10:.4f}\n"
                            for e in range(1, 11)))
    run = load_path(path)[0]
    assert sorted(run.series) == ["L_D", "L_G", "W"]
    assert any("2 loss series loaded as they are (L_D, L_G)" in w for w in run.warnings)
    path.write_text("".join(f"epoch {e}, L_D_weight: 0.5, L_total: {1.0 / e:.3f}\n" for e in range(1, 8)))
    with pytest.raises(LogFormatError):  # 'L_D_weight' is no GAN player's loss, and 'L_total' no loss name
        load_path(path)


# -- records that each hold one segment of the curve and that segment's loss --------------------------------
def test_sessions_with_iteration_lists_read_as_one_curve():
    # Fredlez/qualification: {total_iterations, sessions: [{session_number, iterations: [100 losses], final_loss}]}
    run = load_path(CORPUS / "Fredlez__qualification" / "training_log.json")[0]
    loss = run.series["train_loss"]
    assert len(loss.y) == 700 and list(loss.step[:2]) == [1.0, 2.0]
    assert round(float(loss.y[0]), 4) == 815.7003 and round(float(loss.y[99]), 4) == 737.0831  # session 1's final_loss


def test_segment_lists_generated(tmp_path):
    import json

    rounds = [[1.0 / (r * 10 + i + 1) for i in range(10)] for r in range(4)]
    path = tmp_path / "log.json"
    path.write_text(json.dumps({"rounds": [{"round": r + 1, "losses": v, "avg_loss": sum(v) / len(v)}
                                           for r, v in enumerate(rounds)]}))
    loss = load_path(path)[0].series["train_loss"]
    assert len(loss.y) == 40 and float(loss.y[-1]) == rounds[-1][-1]
    # the scalar matches neither the last value nor the mean: the lists are not said to be that loss
    path.write_text(json.dumps({"rounds": [{"round": r + 1, "losses": v, "avg_loss": 9.0} for r, v in enumerate(rounds)]}))
    loss = load_path(path)[0].series["train_loss"]
    assert loss.source_column == "avg_loss" and len(loss.y) == 4  # the per-round scalar, the lists left out


def test_single_space_table_under_a_header_generated(tmp_path):
    # print("epoch train_loss val_loss acc") then print(epoch, loss, val_loss, acc): one space apart
    path = tmp_path / "log.txt"
    path.write_text("Training on cpu\nepoch train_loss val_loss acc\n"
                    + "".join(f"{e} {1.0 / e:.4f} {1.2 / e:.4f} {0.5 + e / 50:.3f}\n" for e in range(1, 9)))
    run = load_path(path)[0]
    assert run.format == "console_table" and sorted(run.series) == ["train_acc", "train_loss", "val_loss"]
    path.write_text("step loss\n" + "".join(f"{s * 100} {3.0 / (s + 1):.4f}\n" for s in range(10)))
    loss = load_path(path)[0].series["train_loss"]
    assert len(loss.y) == 10 and float(loss.step[1]) == 100.0
    # a tab-separated table stays the CSV readers'
    path.write_text("epoch\tloss\tval_loss\n" + "".join(f"{e}\t{1.0 / e:.4f}\t{1.1 / e:.4f}\n" for e in range(1, 9)))
    assert load_path(path)[0].format != "console_table"


# -- a console of early-stopping messages only is refused with a sentence ------------------------------------
def test_early_stopping_messages_only_are_refused_saying_so(tmp_path):
    # SergeiNikolenko/gat: a Lightning run with no logger prints only 'Metric val_loss improved ... New best score: x'
    with pytest.raises(LogFormatError, match=r"only early-stopping messages .*7 lines.*best val_loss so far") as err:
        load_path(CORPUS / "SergeiNikolenko__gat" / "train.out")
    assert "train.out" in str(err.value) and "expected" in str(err.value)
    path = tmp_path / "train.out"
    path.write_text("GPU available: True\n" + "".join(
        f"Metric val_acc improved by 0.01 >= min_delta = 0.0. New best score: 0.{60 + i}\n" for i in range(4)))
    with pytest.raises(LogFormatError, match=r"best val_acc so far"):
        load_path(path)


def test_training_header_printed_once_and_validation_header_every_epoch(tmp_path):
    # YOLOv5: 'Epoch GPU_mem box_loss obj_loss cls_loss Instances Size' once, 'Class Images ...' after each epoch;
    # the next epoch's row comes under the validation header and is still a training row (its x continues)
    lines = ["      Epoch    GPU_mem   box_loss   obj_loss   cls_loss  Instances       Size"]
    for e in range(6):
        lines.append(f"      {e}/5      3.5G    {0.1 / (e + 1):.5f}    0.05000    0.04000         40        640: 100%|##| "
                     "100/100 [00:30<00:00,  3.3it/s]")
        lines.append("                 Class     Images  Instances          P          R      mAP50   mAP50-95: 100%|##| "
                     "10/10 [00:02<00:00,  4.1it/s]")
        lines.append(f"                   all        128        929      0.7      0.6      {0.3 + e / 20:.3f}      0.4")
    path = tmp_path / "yolo.txt"
    path.write_text("\n".join(lines) + "\n")
    run = load_path(path)[0]
    assert len(run.series["train_loss"].y) == 6 and len(run.series["metrics/mAP50"].y) == 6
    assert float(run.series["metrics/mAP50"].y[-1]) == 0.55


def test_fastai_fit_table_generated(tmp_path):
    path = tmp_path / "fastai.txt"
    path.write_text("epoch     train_loss  valid_loss  accuracy  time    \n" + "".join(
        f"{e:<9d} {1.0 / (e + 1):.6f}    {1.1 / (e + 1):.6f}    {0.5 + e / 40:.6f}  00:1{e % 10}   \n" for e in range(8)))
    run = load_path(path)[0]
    assert sorted(n for n in run.series if "loss" in n) == ["train_loss", "val_loss"]
    assert list(run.series["epoch_time"].y[:2]) == [10.0, 11.0] and float(run.series["train_loss"].wall_time[1]) == 21.0


def test_yolov10_console_table_sums_both_heads():
    # chandana-koganti14/NuInseg: W&B capture of a YOLOv10 console - 'Epoch GPU_mem box_om cls_om dfl_om box_oo cls_oo
    # dfl_oo Instances Size' before each epoch, 'Class Images Instances Box(P R mAP50 mAP50-95)' / 'all ...' after
    run = load_path(CORPUS / "chandana-koganti14__NuInseg" / "output.log")[0]
    loss = run.series["train_loss"]
    assert len(loss.y) == 100 and round(float(loss.y[0]), 3) == round(5.48 + 3.496 + 3.827 + 5.283 + 4.754 + 3.831, 3)
    assert "metrics/P" in run.series and "metrics/mAP50-95" in run.series  # 'Box(P' / 'mAP50-95)' cut from '(...)'


def test_yolov10_heads_generated(tmp_path):
    head = "      Epoch    GPU_mem     box_om     cls_om     box_oo     cls_oo  Instances       Size"
    rows = [f"      {e}/5      1.3G      {1.0 / e:.3f}      0.500      {1.1 / e:.3f}      0.600         48        512: "
            "100%|##| 117/117 [00:18<00:00,  6.22it/s]" for e in range(1, 6)]
    path = tmp_path / "output.log"
    path.write_text("\n".join(x for r in rows for x in (head, r)) + "\n")
    run = load_path(path)[0]
    assert len(run.series["train_loss"].y) == 5 and round(float(run.series["train_loss"].y[0]), 3) == 3.2


# -- losses named only by their phase, in fields apart by 2+ spaces; 'heldout' is the validation split --------
def test_phase_named_losses_in_space_separated_fields():
    # bjorvack/lorcana-training: '[pretrain] epoch   1/40  train=35.0026  heldout=26.8717  lr=1.50e-04  (best)'
    run = load_path(CORPUS / "bjorvack__lorcana-training" / "pretrain.log")[0]
    assert run.series["train_loss"].source_column == "train loss" and run.series["val_loss"].source_column == "heldout loss"
    assert len(run.series["val_loss"].y) == 28 and float(run.series["val_loss"].y[0]) == 26.8717


def test_phase_named_space_fields_generated(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("".join(f"epoch {e:3d}/20  train={2.0 / e:.4f}  val={2.2 / e:.4f}  lr=1.0e-04\n" for e in range(1, 11)))
    run = load_path(path)[0]
    assert len(run.series["train_loss"].y) == 10 and len(run.series["val_loss"].y) == 10
    # whole numbers after a phase are split sizes, not losses
    path.write_text("".join(f"epoch {e}  train=3667  val=786  loss={1.0 / e:.3f}\n" for e in range(1, 8)))
    run = load_path(path)[0]
    assert not {s.source_column for s in run.series.values()} & {"train loss", "val loss"}
