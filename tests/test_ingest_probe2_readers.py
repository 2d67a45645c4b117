"""Reader rules added for the format probe's second set of libraries (helper "probe", stop 24): each rule on a
small generated log in the library's own line format (formats read from the library sources named beside each)."""

from __future__ import annotations

import pytest

from trueloss_dash.columns import TRAIN_LOSS, VAL_LOSS, measure_roles
from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_path
from trueloss_dash.ingest.textgrammar import LINE_PREFIX, parse_message

LOSSES = [2.3, 1.9, 1.6, 1.4, 1.25]


def _load(tmp_path, name: str, lines: list[str]):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    runs = load_path(path)
    assert len(runs) == 1
    return runs[0]


def _message(line: str):
    return parse_message(line[LINE_PREFIX.match(line).end():])


# -- line prefixes: glog / absl, loguru, ESPnet --------------------------------------------------------------
@pytest.mark.parametrize("line", [
    "I0305 16:59:10.118186 11114 solver.cpp:228] Iteration 100, loss = 0.3",  # Caffe (glog)
    "I0101 12:00:01.123456 140000000000000 train.py:148] epoch:  1, train_loss: 0.3",  # JAX / TF (absl)
    "2021-07-20 10:00:00.123 | INFO     | yolox.core.trainer:261 - epoch: 1/300, iter: 10/3665, total_loss: 0.3",
    "2024-01-01 12:00:00 | INFO | __main__:train:45 - epoch: 1, loss: 0.3",  # loguru's default source field
    "[host] 2021-01-01 12:00:00,464 (trainer:338) INFO: epoch 1 results: loss=0.3",  # ESPnet
])
def test_logger_prefixes_are_not_metrics(line):
    keys = [k for k, _ in _message(line).pairs]
    assert keys and all(k.lower() in ("loss", "train_loss", "total_loss") for k in keys), keys


def test_loguru_source_field_needs_a_dotted_name_or_a_function():
    # 'epoch:3 - loss: 0.5' is no logger field: the epoch stays
    parsed = _message("epoch:3 - loss: 0.5")
    assert parsed.epoch == 3 and parsed.pairs == [("loss", 0.5)]


def test_caffe_log_loads_train_and_test_net_losses(tmp_path):
    lines = []
    for i, v in enumerate(LOSSES):
        it = 100 * (i + 1)
        lines += [f"I0305 16:59:{i:02d}.118186 11114 solver.cpp:228] Iteration {it}, loss = {v}",
                  f"I0305 16:59:{i:02d}.118214 11114 solver.cpp:244]     Train net output #0: loss = {v} (* 1 = {v} loss)",
                  f"I0305 16:59:{i:02d}.200000 11114 solver.cpp:347] Iteration {it}, Testing net (#0)",
                  f"I0305 16:59:{i:02d}.687693 11114 solver.cpp:414]     Test net output #1: loss = {v + 0.2} (* 1 = {v + 0.2} loss)"]
    run = _load(tmp_path, "caffe.log", lines)
    assert list(run.get(TRAIN_LOSS).y) == LOSSES
    assert list(run.get(VAL_LOSS).y) == pytest.approx([v + 0.2 for v in LOSSES])
    assert not any(k.startswith("I0305") or ".cpp" in k for k in run.series)


# -- several phase words with bare values (PyTorch Geometric) ----------------------------------------------
def test_per_split_accuracies_do_not_make_the_training_loss_a_test_loss(tmp_path):
    lines = [f"Epoch: {i + 1:03d}, Loss: {v:.4f}, Train: 0.{50 + i}, Val: 0.{40 + i}, Test: 0.{41 + i}"
             for i, v in enumerate(LOSSES)]
    run = _load(tmp_path, "pyg.txt", lines)
    assert list(run.get(TRAIN_LOSS).y) == LOSSES and VAL_LOSS not in run.series


def test_one_phase_with_a_bare_value_still_gives_the_line_its_phase():
    assert _message("Valid: 786 | loss: 0.5").phase == "val"
    assert _message("Loss: 0.5, Train: 0.9, Val: 0.8").phase is None


# -- Megatron-LM: 'lm loss' and its validation twin 'lm loss value' ------------------------------------------
def test_megatron_lm_loss_and_validation_loss(tmp_path):
    lines = []
    for i, v in enumerate(LOSSES):
        it = 100 * (i + 1)
        lines += [f" iteration {it:8d}/     500 | consumed samples: {it * 512:12d} | learning rate: 1.500E-04 |"
                  f" lm loss: {v:.6E} | loss scale: 65536.0 | grad norm: 1.234 |",
                  f" validation loss at iteration {it} | lm loss value: {v + 0.1:.6E} | lm loss PPL: 1.0E+01 | "]
    run = _load(tmp_path, "megatron.log", lines)
    assert list(run.get(TRAIN_LOSS).y) == pytest.approx(LOSSES)
    assert list(run.get(VAL_LOSS).y) == pytest.approx([v + 0.1 for v in LOSSES])
    assert any("training twin" in n for n in run.notes)


def test_value_word_is_dropped_only_after_a_loss_name():
    assert _message("step 3: loss value: 0.5").pairs == [("loss", 0.5)]
    assert _message("step 3: q value: 0.5").pairs == [("q value", 0.5)]


def test_validation_twin_rule_needs_the_validation_role_and_one_twin():
    twin = measure_roles(["lm loss", "val/lm loss"], set())
    assert (("lm loss", TRAIN_LOSS) in [(c, r) for c, r, _ in twin])
    # two bare losses each beside its 'val/' twin measure two things: the user's call
    both = measure_roles(["lm loss", "sop loss", "val/lm loss", "val/sop loss"], set())
    assert not any(r == TRAIN_LOSS for _, r, _ in both)


# -- aliases: NeMo, TF Object Detection API, diffusers -------------------------------------------------------
@pytest.mark.parametrize("key", ["reduced_train_loss", "Loss/total_loss", "step_loss"])
def test_library_training_loss_names(tmp_path, key):
    run = _load(tmp_path, "log.txt", [f"step {i}: {key}: {v}" for i, v in enumerate(LOSSES)])
    assert list(run.get(TRAIN_LOSS).y) == LOSSES


# -- Stable-Baselines3 key/value boxes --------------------------------------------------------------------
def _box(rows: list[tuple[str, str]]) -> list[str]:
    kw, vw = max(len(k) for k, _ in rows), max(len(v) for _, v in rows)
    rule = "-" * (kw + vw + 7)
    return [rule] + [f"| {k:<{kw}} | {v:<{vw}} |" for k, v in rows] + [rule]


def test_sb3_boxes_load_one_record_per_box_at_total_timesteps(tmp_path):
    lines = ["Using cuda device"]
    for i, v in enumerate(LOSSES):
        lines += _box([("rollout/", ""), ("    ep_rew_mean", f"{-100 + 10 * i:.3g}"), ("time/", ""),
                       ("    iterations", str(i + 1)), ("    total_timesteps", str(2048 * (i + 1))),
                       ("train/", ""), ("    loss", f"{v:.3g}"), ("    value_loss", f"{10 * v:.3g}")])
    run = _load(tmp_path, "ppo.txt", lines)
    assert run.format == "kv_table"
    assert list(run.get(TRAIN_LOSS).y) == LOSSES and list(run.get(TRAIN_LOSS).step) == [2048.0 * k for k in range(1, 6)]
    assert "train/value_loss" in run.series and "rollout/ep_rew_mean" in run.series


def test_sac_boxes_load_role_less(tmp_path):
    lines = []
    for i, v in enumerate(LOSSES):
        lines += _box([("time/", ""), ("    total_timesteps", str(1000 * (i + 1))), ("train/", ""),
                       ("    actor_loss", f"{-v:.3g}"), ("    critic_loss", f"{v:.3g}")])
    run = _load(tmp_path, "sac.txt", lines)
    assert run.format == "kv_table" and TRAIN_LOSS not in run.series
    assert any("no series has a known loss role" in w for w in run.warnings)


def test_kv_table_forced_on_a_file_without_boxes_is_refused(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("epoch 1 loss 0.5\n")
    with pytest.raises(LogFormatError, match="key | value"):
        load_path(path, format="kv_table")


# -- Darknet: values before their names --------------------------------------------------------------------
def test_darknet_avg_loss_is_the_training_loss(tmp_path):
    lines = []
    for i, v in enumerate(LOSSES):
        lines += [" Region 82 Avg IOU: 0.3, Class: 0.5, Obj: 0.4, No Obj: 0.004, .5R: 0.2, .75R: 0.0,  count: 8", "",
                  f" {(i + 1) * 100}: {v * 1.1:f}, {v:f} avg loss, 0.001000 rate, 3.126812 seconds, {(i + 1) * 6400} images"]
    run = _load(tmp_path, "train.log", lines)
    assert list(run.get(TRAIN_LOSS).y) == pytest.approx(LOSSES)
    assert list(run.get(TRAIN_LOSS).step) == [100.0 * k for k in range(1, 6)]


def test_value_first_items_need_a_loss_name_and_three_items():
    assert _message("12: 3 epochs, 5 batches, 100 samples").pairs == []
    assert _message("12: 0.5 avg loss, 0.1 rate").epoch is None


# -- ESPnet: '[train] ... [valid] ...' in one line, '1epoch' ------------------------------------------------
def test_espnet_epoch_results_split_train_and_valid(tmp_path):
    lines = [f"[host] 2021-01-01 12:00:{i:02d},500 (trainer:338) INFO: {i + 1}epoch results: [train] iter_time=1.6e-04, "
             f"loss={v * 100:.3f}, acc=0.{50 + i}, time=1 minute and 43.19 seconds, total_count=500, [valid] "
             f"loss={v * 110:.3f}, acc=0.{45 + i}, cer=0.5, time=50.5 seconds, total_count=49, [att_plot] time=5.12 "
             "seconds, total_count=0" for i, v in enumerate(LOSSES)]
    run = _load(tmp_path, "train.log", lines)
    assert list(run.get(TRAIN_LOSS).y) == pytest.approx([v * 100 for v in LOSSES])
    assert list(run.get(VAL_LOSS).y) == pytest.approx([v * 110 for v in LOSSES])
    assert list(run.get(TRAIN_LOSS).epoch) == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_a_leading_phase_marker_keeps_the_line_phase():
    # PaddleClas: '[Eval][Epoch 1][Avg]CELoss: ...' is a validation line as before
    parsed = _message("[Eval][Epoch 1][Avg]CELoss: 0.5, loss: 0.5, top1: 0.7")
    assert parsed.phase == "val" and ("loss", 0.5) in parsed.pairs


# -- console tables in minutes (scikit-learn boosting) -----------------------------------------------------
def test_gradient_boosting_table_with_minutes_left(tmp_path):
    lines = ["      Iter       Train Loss      OOB Improve   Remaining Time "]
    lines += [f"{i + 1:>10d}{v:>16.4f}{0.1:>16.4f}{f'{1.5 * (5 - i):.2f}m':>16}" for i, v in enumerate(LOSSES)]
    run = _load(tmp_path, "gbm.txt", lines)
    assert run.format == "console_table" and list(run.get(TRAIN_LOSS).y) == LOSSES


def test_tqdm_count_of_epochs_is_no_glued_epoch():
    assert _message("1epoch results: [train] loss=0.5").epoch == 1
    assert _message("0epoch [00:00, ?epoch/s]").epoch is None


# -- AllenNLP: dotted logger names, 'Validating' bars, the 'Training |  Validation' summary ------------------------
def test_allennlp_epoch_summary_and_validation_bar(tmp_path):
    lines = []
    for i, v in enumerate(LOSSES):
        t = f"2019-10-15 12:{i:02d}:03,515 - INFO - allennlp.training"
        lines += [f"{t}.trainer - Epoch {i}/4", f"{t}.trainer - Training",
                  f"accuracy: 0.5, loss: {v:.4f} ||: 100%|##########| 125/125 [00:37<00:00,  3.32it/s]",
                  f"{t}.trainer - Validating",
                  f"accuracy: 0.4, loss: {v + 0.3:.4f} ||: 100%|##########| 31/31 [00:02<00:00, 14.47it/s]",
                  f"{t}.tensorboard_writer -                   Training |  Validation",
                  f"{t}.tensorboard_writer - cpu_memory_MB |  1919.684  |       N/A",
                  f"{t}.tensorboard_writer - loss          |  {v:8.3f}  |  {v + 0.3:8.3f}"]
    run = _load(tmp_path, "allennlp.log", lines)
    assert list(run.get(TRAIN_LOSS).y) == pytest.approx(LOSSES, abs=1e-3)
    assert list(run.get(VAL_LOSS).y) == pytest.approx([v + 0.3 for v in LOSSES], abs=1e-3)
    assert not any("allennlp" in k for k in run.series)


def test_phase_column_rows():
    from trueloss_dash.ingest.textgrammar import phase_columns, phase_row

    cols = phase_columns("                   Training |  Validation")
    assert cols == ["Training", "Validation"]
    assert phase_row("loss          |     3.572  |     3.231", cols) == "Training loss: 3.572, Validation loss: 3.231"
    assert phase_row("gpu_0_memory_MB |    10.000  |       N/A", cols) == "Training gpu_0_memory_MB: 10.000"
    assert phase_row("Epoch duration: 00:00:51", cols) is None
    assert phase_columns("epoch | loss | val_loss") is None


# -- diffusers: a progress bar that counts the training's steps ------------------------------------------------
def test_step_bar_updates_are_points_at_their_count(tmp_path):
    text = "".join(f"\rSteps: {k * 20:3d}%|{'#' * (k * 2):<10}| {k * 200}/1000 [00:{k:02d}<09:00,  1.67it/s, lr=1e-05, "
                   f"step_loss={LOSSES[k - 1]}]" for k in range(1, 6))
    run = _load(tmp_path, "train.log", [text])
    assert list(run.get(TRAIN_LOSS).y) == LOSSES and list(run.get(TRAIN_LOSS).step) == [200.0 * k for k in range(1, 6)]


def test_an_epoch_bar_is_still_skipped_while_unfinished():
    assert _message("Epoch 1:  45%|####5     | 425/938 [00:05<00:06, 80.1it/s, loss=0.123, v_num=0]").unfinished
    assert not _message("Steps:  45%|####5     | 425/938 [00:05<00:06, 80.1it/s, step_loss=0.123]").unfinished


def test_logger_name_prefixes_start_with_a_letter():
    assert LINE_PREFIX.match("0.5 - loss: 0.3").end() == 0
    assert LINE_PREFIX.match("allennlp.training.trainer - Epoch 0/9").end() == len("allennlp.training.trainer - ")


# -- keras-tuner: the objective printed after each trial is no point ---------------------------------------------
def test_keras_tuner_objective_line_does_not_replace_the_last_epoch(tmp_path):
    lines = ["Search: Running Trial #1", "", "Value             |Best Value So Far |Hyperparameter",
             "32                |32                |units", ""]
    for i, v in enumerate(LOSSES):
        lines += [f"Epoch {i + 1}/5", f"100/100 - 1s - loss: {v} - val_loss: {v + 0.2}"]
    lines += ["Trial 1 Complete [00h 00m 20s]", "val_loss: 0.1", "", "Best val_loss So Far: 0.1",
              "Total elapsed time: 00h 00m 20s"]
    run = _load(tmp_path, "tuner.log", lines)
    assert list(run.get(VAL_LOSS).y) == pytest.approx([v + 0.2 for v in LOSSES])


# -- spaCy's training table: '#' is the step; two component losses load role-less ----------------------------------
def test_spacy_train_table_loads_role_less(tmp_path):
    # spacy/training/loggers.py console_logger: ['E', '#'] + 'LOSS <PIPE>' columns + score columns + 'SCORE'
    lines = ["ℹ Pipeline: ['tok2vec', 'ner']", "E    #       LOSS TOK2VEC  LOSS NER  ENTS_F  ENTS_P  ENTS_R  SCORE ",
             "---  ------  ------------  --------  ------  ------  ------  ------"]
    lines += [f"{i // 2:>3}  {i * 200:>6}  {v * 30:>12.2f}  {v * 1000:>8.2f}  {50 + i:>6.2f}  {50 + i:>6.2f}  {50 + i:>6.2f}"
              f"  {0.5 + i / 100:>6.2f}" for i, v in enumerate(LOSSES)]
    run = _load(tmp_path, "spacy.log", lines)
    assert run.format == "console_table" and list(run.series["LOSS NER"].step) == [200.0 * k for k in range(5)]
    assert TRAIN_LOSS not in run.series and any("no series has a known loss role" in w for w in run.warnings)
