"""Readers for the pending dev formats of stop 24 (helper "readers"): each rule tested on the real dev file
and on a small generated file of the same shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _load_written(path: Path, text: str, **kw) -> list:
    path.write_text(text)
    return load_path(path, **kw)


def _y(run, name):
    return [round(float(v), 4) for v in run.series[name].y]


# -- a console table whose header block comes before its rows (W&B's output.log) ----------------------------
def test_wandb_capture_of_an_ultralytics_console_reads_its_training_table():
    # klrc/person_veh_detection: 100 'Epoch GPU_mem box_loss ...' headers (stdout) first, the tqdm-drawn rows
    # '1/100 4.1G 5.944 6.374 0 123 640: 100%|...' (stderr) after 'Results saved to ...' and other lines
    runs = load_path(CORPUS / "klrc__person_veh_detection.pytorch" / "output.log")
    assert len(runs) == 1 and runs[0].format == "console_table"
    run = runs[0]
    assert len(run.series["train/box_loss"].y) == 100
    assert _y(run, "train/box_loss")[:2] == [5.944, 3.752] and _y(run, "train/box_loss")[-1] == 2.293
    assert _y(run, "train/cls_loss")[0] == 6.374 and _y(run, "train_loss")[-1] == round(2.293 + 1.66, 4)


def _split_capture(epochs: int) -> str:
    head = "      Epoch    GPU_mem   box_loss   cls_loss   dfl_loss  Instances       Size\n"
    val = "                 Class     Images  Instances      Box(P          R      mAP50  mAP50-95)"
    out = ["Starting training for %d epochs..." % epochs]
    for e in range(epochs):
        out.append(head.rstrip("\n"))
        out.append(f"                   all        100        500      0.{50 + e}      0.{40 + e}      0.{30 + e}      0.{20 + e}")
    out += ["Results saved to runs/detect/train"]
    for e in range(1, epochs + 1):
        redraws = [f"{e:>11}/{epochs}      3.6G      {3.0 / e + i * 0.01:.3f}      {2.0 / e:.3f}      1.1        "
                   f"120        640: {p}%|###| {i}/3 [00:01<00:00,  9.1it/s]" for i, p in ((1, 33), (2, 66), (3, 100))]
        out.append("\r".join(redraws))
        out.append(f"{val}: 100%|###| 4/4 [00:01<00:00, 9.9it/s]")
    return "\n".join(out) + "\n"


def test_headers_first_rows_after_generated(tmp_path):
    path = tmp_path / "output.log"
    path.write_text(_split_capture(5))
    run = load_path(path)[0]
    assert run.format == "console_table"
    assert _y(run, "train/box_loss") == [round(3.0 / e + 0.03, 4) for e in range(1, 6)]  # the last redraw of each
    assert len(run.series["train_loss"].y) == 5


def test_rows_after_an_x_less_table_alone_are_not_read(tmp_path):
    # a row under a table with no x (a validation table) that fits an earlier x table only by its cell count,
    # its x cell a plain number and not a count 'n/N', stays out: nothing says it is a training row
    path = tmp_path / "output.log"
    text = "   Epoch   loss   acc\n"
    text += "   Class   Images   P\n" + "".join(f"   {i}   0.{9 - i}   0.{i}\n" for i in range(1, 5))
    path.write_text(text)
    with pytest.raises(LogFormatError):
        load_path(path)


# -- Python warning lines are no metrics; a whole file of carriage-return redraws is sniffed whole ----------
def test_python_warnings_glued_to_metric_lines_give_no_series():
    # hou-yz/ssd.pytorch: 'iter 10510 || Loss: 3.8534 || /usr/.../tensor.py:447: UserWarning: mask ...'
    run = load_path(CORPUS / "hou-yz__ssd.pytorch" / "log_train.txt")[0]
    assert len(run.series["train_loss"].y) == 3160  # the loss before the glued warning is kept
    assert not [n for n in run.series if ".py" in n]
    runs = load_path(CORPUS / "Gila-6__E2DTC" / "slurm.out")
    assert not [n for r in runs for n in r.series if ".py" in n or ".cpp" in n]


def test_python_warnings_generated(tmp_path):
    lines = []
    for i in range(1, 21):
        if i == 5:
            lines.append(f"iter {i * 10} || Loss: {4 - i * 0.1:.4f} || /usr/lib/python3/dist-packages/torch/autograd/"
                         "_functions/tensor.py:447: UserWarning: mask is not broadcastable")
            continue
        if i == 9:
            lines.append("/usr/lib/python3.8/site-packages/torch/nn/modules/loss.py:528: UserWarning: Using a target size "
                         "(torch.Size([])) that is different")
        lines.append(f"iter {i * 10} || Loss: {4 - i * 0.1:.4f} || timer: 0.2 sec.")
    (run,) = _load_written(tmp_path / "train.log", "\n".join(lines) + "\n")
    assert set(run.series) == {"train_loss", "timer"}
    assert len(run.series["train_loss"].y) == 20 and _y(run, "train_loss")[4] == 3.5


def test_one_line_of_carriage_return_redraws_after_warnings_is_sniffed():
    # RCVLab-AiimLab/crowd_counting: warnings, then one line of tqdm redraws 'Epoch [0][i/1200] ... Loss x (avg) :'
    # joined by carriage returns with no final line break; its only loss lines are in that last line
    run = load_path(CORPUS / "RCVLab-AiimLab__crowd_counting" / "train.out")[0]
    assert run.format == "text_log" and len(run.series["train_loss"].y) == 204
    assert not [n for n in run.series if ".py" in n]


def test_carriage_return_redraws_without_final_newline_generated(tmp_path):
    text = ("\r  0%|          | 0/50 [00:00<?, ?it/s]/home/u/proj/dataset.py:73: H5pyDeprecationWarning: The default "
            "file mode will change\n  f = h5py.File(p)\n")
    for i in range(30):
        for done in (i, i + 1):
            text += (f"\rEpoch [0][{i}/50] Time/b 0.42 (0.42) Loss {300 - i * 5:.4f} ({300 - i * 2:.3f}) :   {i * 2}%|"
                     f"          | {done}/50 [00:0{i % 10}<00:30,  3.1it/s]")
    path = tmp_path / "train.out"
    path.write_text(text)
    run = load_path(path)[0]
    assert run.format == "text_log" and len(run.series["train_loss"].y) == 30
    assert _y(run, "train_loss")[-1] == 155.0


# -- KAIR: '<epoch:  0, iter:   1,000, lr:2.000e-04> G_loss: 9.606e-03' ----------------------------------------
def test_kair_training_log_loads_as_one_run_with_g_loss_as_training_loss():
    # qureai/swinir-diffusionxray: 25 logged iterations 200 .. 5,000 (each line printed twice); 'iter: 1,000,' had
    # read as 1 (the thousands comma before the field's comma) and started a new run
    runs = load_path(CORPUS / "qureai__swinir-diffusionxray" / "train_log.out")
    assert len(runs) == 1
    loss = runs[0].series["train_loss"]
    assert loss.source_column == "G_loss" and len(loss.y) == 25
    assert [float(v) for v in loss.step[:5]] == [200.0, 400.0, 600.0, 800.0, 1000.0] and float(loss.step[-1]) == 5000.0
    assert any("no discriminator loss" in n for n in runs[0].notes)


def _kair(extra: str = "") -> str:
    return "".join(f"25-01-26 18:16:17.735 : <epoch:{i // 8:3d}, iter:{i * 200:8,d}, lr:2.000e-04> "
                   f"G_loss: {0.02 / (1 + i / 5):.3e} {extra}\n" for i in range(1, 26))


def test_kair_lines_generated(tmp_path):
    path = tmp_path / "train.log"
    path.write_text(_kair())
    run = load_path(path)[0]
    assert len(run.series["train_loss"].y) == 25 and float(run.series["train_loss"].step[-1]) == 5000.0
    # beside a discriminator loss, G_loss is a GAN player: role-less as every GAN log
    path.write_text(_kair("D_loss: 7.0e-01 "))
    run = load_path(path)[0]
    assert "train_loss" not in run.series and {"G_loss", "D_loss"} <= set(run.series)


def test_thousands_separated_numbers_before_a_comma():
    from trueloss_dash.ingest.textgrammar import parse_message

    got = parse_message("iter:   1,000, lr: 2.0e-04, loss: 0.5")
    assert got.step == 1000.0 and ("loss", 0.5) in got.pairs
    # a comma followed by more digits is a list of numbers, not a thousands group: the first number is '1'
    assert parse_message("iter: 1,000,5 loss: 0.5").step == 1.0


# -- two step counters on a line: 'iteration:2 step:18/82, NER loss:27.87' ----------------------------------
def test_ner_logs_with_a_running_and_a_restarting_step_counter_load_as_one_run():
    # HuStanding/NER_IDCNN_CRF: 'iteration' counts on, 'step:a/82' restarts every epoch; the restarts had cut the
    # log into 11 runs of 4 to 14 points
    runs = load_path(CORPUS / "HuStanding__NER_IDCNN_CRF" / "train.log")
    assert len(runs) == 1
    ner = runs[0].series["NER loss"]
    assert len(ner.y) == 82 and [float(v) for v in ner.step[:4]] == [2.0, 3.0, 4.0, 5.0]
    assert round(float(ner.y[0]), 4) == 27.8761 and round(float(ner.y[-1]), 4) == 0.3345
    # GaoQ1/ner-slot_filling, the same logger: 29 points, not 2 runs of 9
    runs = load_path(CORPUS / "GaoQ1__ner-slot_filling" / "train.log")
    assert len(runs) == 1 and len(runs[0].series["NER loss"].y) == 29


def test_two_step_counters_generated(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("".join(f"2021-04-12 23:35:32,903 - log/train.log - INFO - iteration:{i} step:{(i * 18) % 82}/82, "
                            f"loss:{20 / i:.6f}\n" for i in range(1, 31)))
    run = load_path(path)[0]
    assert len(run.series["train_loss"].y) == 30
    assert [float(v) for v in run.series["train_loss"].step[:3]] == [1.0, 2.0, 3.0]
    # the counter with a total first, the running one after it: the running one is still the step
    path.write_text("".join(f"step {(i * 18) % 82}/82 global_step {i * 7} loss {20 / i:.4f}\n" for i in range(1, 31)))
    run = load_path(path)[0]
    assert len(run.series["train_loss"].y) == 30 and float(run.series["train_loss"].step[-1]) == 210.0


# -- 'best' in other languages: 'Early stopping na epoch 11 (melhor: epoch 1, val_loss=1.3323)' ----------------
def test_best_so_far_in_portuguese_is_no_point():
    # ronaldochiavegatti/vocal-anomaly-detection-mlp: 5 folds of 2 logged epochs each stay refused (no curve), and no
    # fold's best value ('melhor') is read as a run of its own with one val_loss point
    with pytest.raises(LogFormatError) as exc:
        load_path(CORPUS / "ronaldochiavegatti__vocal-anomaly-detection-mlp" / "train_log.txt")
    assert "fewer than 3 points" in str(exc.value) and "val_loss: 1 point" not in str(exc.value)


def test_best_words_generated(tmp_path):
    path = tmp_path / "train.log"
    for word in ("melhor", "mejor", "meilleur", "best"):
        lines = [f"[INFO] Epoch {e}: train_loss={1 / e:.4f} val_loss={0.5 + 0.01 * e:.4f}" for e in range(1, 8)]
        lines.append(f"[INFO] Early stopping na epoch 8 ({word}: epoch 1, val_loss=0.5100)")
        path.write_text("\n".join(lines) + "\n")
        runs = load_path(path, require_curve=False)
        assert [len(r.series.get("val_loss", ())) for r in runs] == [7], word
        assert not [n for r in runs for n in r.series if "stopping" in n], word


# -- refusal: console lines whose values name no loss ------------------------------------------------------------
@pytest.mark.parametrize("folder,key,times", [("PNNL-CompBio__cdrp", "Val_rmse", 30), ("And1210__FER_SSL", "total", 306)])
def test_console_lines_without_a_loss_are_refused_naming_their_values(folder, key, times):
    path = next((CORPUS / folder).iterdir())
    with pytest.raises(LogFormatError) as exc:
        load_path(path)
    msg = str(exc.value)
    assert path.name in msg and f"'{key}' {times} times" in msg and "none is named as a loss" in msg and "expected" in msg


def test_console_lines_without_a_loss_generated(tmp_path):
    path = tmp_path / "train.out"
    path.write_text("Setting up\n" + "".join(f"[epoch: 1/200, iter: {i * 25}/489] total: {1.6 - i * 0.01:.6f}\n"
                                             for i in range(8)) + "Validation accuracy: 0.440\n")
    with pytest.raises(LogFormatError, match=r"'total' 8 times\) but none is named as a loss; expected"):
        load_path(path)
    # a key seen once or twice (a config line) is not listed: prose stays 'unknown log format' alone
    path.write_text("Dear diary,\nbatch_size: 32\nthe model trained well today.\n")
    with pytest.raises(LogFormatError) as exc:
        load_path(path)
    assert "unknown log format" in str(exc.value) and "none is named" not in str(exc.value)


# -- 'epoch_losses' (a plural history list) is the training loss like 'epoch_loss' and 'train_losses' --------------
def test_epoch_losses_list_is_the_training_loss():
    # JFan5/microgpt-torch: {"epoch_losses": [10 values], "elapsed_seconds": 337.6}
    run = load_path(CORPUS / "JFan5__microgpt-torch" / "training_losses.json")[0]
    assert run.series["train_loss"].source_column == "epoch_losses" and len(run.series["train_loss"].y) == 10


def test_epoch_losses_generated(tmp_path):
    (run,) = _load_written(tmp_path / "history.json", '{"epoch_losses": [2.4, 2.3, 2.2, 2.1], "seconds": 3.5}')
    assert _y(run, "train_loss") == [2.4, 2.3, 2.2, 2.1]
    (run,) = _load_written(tmp_path / "epoch_losses.csv", ",epoch_losses\n0,2.4\n1,2.3\n2,2.2\n")
    assert len(run.series["train_loss"].y) == 3
