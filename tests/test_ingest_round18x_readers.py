"""Reader fixes for the PENDING_READERS entries (stop 21, helper readersX): each tested on the real
corpus file and on generated variants, so the mechanism and not the sample is what passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.columns import TRAIN_LOSS
from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_path
from trueloss_dash.roles import ROLELESS_WARNING, roleless_losses

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _roleless(run) -> bool:
    return any(w.startswith(ROLELESS_WARNING) for w in run.warnings)


# -- 1. headerless numeric tables in files whose names name no role ------------------------------------


def test_headerless_loss_accuracy_rows_real_file():
    (run,) = load_path(CORPUS / "CheolwooPark__convlstm_p3d" / "train_log.txt")
    assert set(run.series) == {"column_1", "column_2"}
    assert len(run.series["column_1"]) == 39 and run.series["column_1"].y[0] == pytest.approx(4.557169437408447)
    assert set(roleless_losses(run)) == {"column_1", "column_2"} and _roleless(run)


def test_headerless_epoch_rows_of_two_appended_runs_real_file():
    runs = load_path(CORPUS / "HamSade__Transformer-Classifier-MIMIC" / "train.log")
    assert [len(r.series["column_2"]) for r in runs] == [29, 9]
    assert runs[0].series["column_2"].epoch[0] == 0 and runs[1].series["column_3"].y[0] == pytest.approx(49.819)
    assert all(_roleless(r) for r in runs)


def test_headerless_five_columns_real_file():
    (run,) = load_path(CORPUS / "LachlanGibson__CapsNet" / "log.csv")
    assert set(run.series) == {"column_2", "column_3", "column_4", "column_5"}
    assert list(run.series["column_5"].epoch[:3]) == [1, 2, 3] and len(run.series["column_5"]) == 300


@pytest.mark.parametrize("name", ["train_log.txt", "log.csv", "train.log", "results.tsv"])
@pytest.mark.parametrize("sep", [",", ", ", "\t", ";"])
def test_headerless_tables_load_as_unnamed_columns(tmp_path, name, sep):
    rng = np.random.default_rng(3)
    loss = np.linspace(2.0, 0.4, 12) + rng.normal(0, 0.01, 12)
    acc = np.linspace(10, 80, 12)
    path = tmp_path / name
    path.write_text("".join(f"{e}{sep}{a:.4f}{sep}{b:.2f}{sep}{a * 1.1:.4f}\n" for e, (a, b) in enumerate(zip(loss, acc), 1)))
    (run,) = load_path(path)
    assert set(run.series) == {"column_2", "column_3", "column_4"}
    assert list(run.series["column_2"].epoch) == list(range(1, 13))
    assert run.series["column_3"].y[-1] == pytest.approx(80.0)
    assert _roleless(run) and any("no header line" in n for n in run.notes)


def test_headerless_values_without_a_counter_are_numbered_from_one(tmp_path):
    path = tmp_path / "train_log.txt"
    path.write_text("".join(f"{3 - i * 0.2:.3f},{i * 4.5:.1f}\n" for i in range(10)))
    (run,) = load_path(path)
    assert set(run.series) == {"column_1", "column_2"} and _roleless(run)


def test_a_lone_falling_headerless_column_is_read_as_the_training_loss(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("".join(f"{e},{2.0 / e:.4f}\n" for e in range(1, 11)))
    (run,) = load_path(path)
    assert TRAIN_LOSS in run.series and run.series[TRAIN_LOSS].source_column == "column_2"
    assert not _roleless(run)


def test_a_lone_rising_headerless_column_stays_unnamed(tmp_path):
    path = tmp_path / "progress.csv"
    path.write_text("".join(f"{e},{40 + e * 2.5:.2f}\n" for e in range(1, 11)))
    (run,) = load_path(path)
    assert set(run.series) == {"column_2"} and _roleless(run)


def test_a_headerless_table_with_a_text_line_is_refused_naming_it(tmp_path):
    path = tmp_path / "train_log.txt"
    path.write_text("1,0.9,10\n2,0.8,20\nTraining finished\n3,0.7,30\n")
    with pytest.raises(LogFormatError) as info:
        load_path(path)
    message = str(info.value)
    assert "first line holds numbers" in message and "line 3" in message and "Training finished" in message


def test_a_headerless_table_whose_rows_change_width_is_refused(tmp_path):
    path = tmp_path / "train_log.txt"
    path.write_text("1,0.9,10\n2,0.8,20\n3,0.7,30,4\n4,0.6,40\n")
    with pytest.raises(LogFormatError, match="line 3"):
        load_path(path)


def test_a_wide_headerless_data_table_is_refused(tmp_path):
    path = tmp_path / "data.csv"
    values = np.random.default_rng(5).random((20, 30))
    path.write_text("".join(",".join(f"{v:.5f}" for v in row) + "\n" for row in values))
    with pytest.raises(LogFormatError, match="30 columns with no names"):
        load_path(path)


def test_a_few_long_headerless_lines_in_a_file_not_named_loss_are_unnamed_curves(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("\n".join(",".join(f"{(k + 1) * 1.0 / (i + 1):.4f}" for i in range(40)) for k in range(2)) + "\n")
    (run,) = load_path(path)
    assert set(run.series) == {"line_1", "line_2"} and len(run.series["line_1"]) == 40 and _roleless(run)


def test_a_headerless_table_without_a_loss_is_set_aside_beside_a_real_log(tmp_path):
    (tmp_path / "metrics.csv").write_text("epoch,loss,val_loss\n" + "".join(f"{e},{1 / e:.3f},{1.1 / e:.3f}\n" for e in range(1, 8)))
    (tmp_path / "ids.csv").write_text("".join(f"{i},{i * 3 % 7},{i * 5 % 11}\n" for i in range(1, 20)))
    runs = load_path(tmp_path)
    assert len(runs) == 1 and TRAIN_LOSS in runs[0].series
    assert any("ids.csv" in s and "headerless table" in s for s in runs[0].meta.get("skipped_files", []))


@pytest.mark.parametrize("name, names", [("train_log.txt", {"column_2", "column_3"}), ("loss.csv", {"loss_1", "loss_2"})])
def test_a_headerless_first_row_with_a_repeated_number_is_still_data(tmp_path, name, names):
    # '4.55,4.55': the header reader makes repeated names unique ('4.55.1'), which must not hide the numbers
    path = tmp_path / name
    path.write_text("1,0.5,0.5\n2,0.4,0.45\n3,0.3,0.41\n4,0.2,0.4\n")
    (run,) = load_path(path)
    assert set(run.series) == names and len(run.series[sorted(names)[0]]) == 4


# -- 2. comma-separated name/value pairs on every line -------------------------------------------------


def test_name_value_pair_rows_real_file():
    runs = load_path(CORPUS / "CaiZack__Mip-Tenso-NeRF" / "train_log.txt")
    assert [len(r.series[TRAIN_LOSS]) for r in runs] == [144, 22]
    first = runs[0].series[TRAIN_LOSS]
    assert first.y[0] == pytest.approx(0.11426067352294922) and list(first.step[:3]) == [0, 1, 2]
    assert "PSNR" in runs[0].series and any("name/value pairs" in n for n in runs[0].notes)


def test_one_label_and_value_per_line_real_file():
    (run,) = load_path(CORPUS / "Imsanskar__Boltzman-Machine" / "loss.csv")
    assert len(run.series[TRAIN_LOSS]) == 304 and run.series[TRAIN_LOSS].y[0] == pytest.approx(10.42842)


@pytest.mark.parametrize("sep", [", ", ",", ";", "\t"])
@pytest.mark.parametrize("trailing", [True, False])
def test_name_value_pair_rows_variants(tmp_path, sep, trailing):
    lines = [sep.join(["iter", str(i * 10), "loss", f"{1 / (i + 1):.4f}", "val_loss", f"{1.2 / (i + 1):.4f}", "lr", "0.001"])
             + (sep.strip() or sep if trailing else "") for i in range(12)]
    path = tmp_path / "train_log.txt"
    path.write_text("\n".join(lines) + "\n")
    (run,) = load_path(path)
    assert len(run.series[TRAIN_LOSS]) == 12 and list(run.series[TRAIN_LOSS].step[:2]) == [0, 10]
    assert run.series["val_loss"].y[-1] == pytest.approx(0.1)


def test_name_value_pair_rows_of_two_line_shapes(tmp_path):
    lines = []
    for e in range(1, 9):
        lines.append(f"epoch, {e}, loss, {2 / e:.4f}")
        lines.append(f"epoch, {e}, val_loss, {2.2 / e:.4f}, val_acc, {0.5 + e / 20:.3f}")
    path = tmp_path / "log.txt"
    path.write_text("\n".join(lines) + "\n")
    (run,) = load_path(path)
    assert len(run.series[TRAIN_LOSS]) == 8 and len(run.series["val_loss"]) == 8
    assert list(run.series["val_loss"].epoch) == list(range(1, 9))


def test_name_value_pair_rows_skip_a_crash_line_with_a_warning(tmp_path):
    lines = [f"Step, {i}, Loss, {1 / (i + 1):.4f}," for i in range(60)] + ["Traceback (most recent call last):"]
    path = tmp_path / "train_log.txt"
    path.write_text("\n".join(lines) + "\n")
    (run,) = load_path(path)
    assert len(run.series[TRAIN_LOSS]) == 60
    assert any("not name/value pairs skipped" in w and "line 61" in w for w in run.warnings)


def test_a_table_of_results_per_model_is_not_name_value_rows(tmp_path):
    # each name once: final results of several models, not a training log
    path = tmp_path / "results.csv"
    path.write_text("resnet18, 0.91\nresnet34, 0.93\nvgg16, 0.88\nalexnet, 0.80\n")
    with pytest.raises(LogFormatError):
        load_path(path)


def test_a_csv_with_a_header_is_not_read_as_name_value_rows(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("epoch,loss,val_loss\n" + "".join(f"{e},{1 / e:.3f},{1.1 / e:.3f}\n" for e in range(1, 8)))
    (run,) = load_path(path)
    assert not any("name/value pairs" in n for n in run.notes) and len(run.series[TRAIN_LOSS]) == 7


# -- 3. 'Objective' as the loss, with Train / Testing phases ------------------------------------------


def test_train_and_testing_objective_real_file():
    (run,) = load_path(CORPUS / "FMayi__HW2_Deep_learning" / "training_results.csv")
    assert run.series[TRAIN_LOSS].source_column == "Train Objective" and len(run.series[TRAIN_LOSS]) == 50
    assert run.series["val_loss"].source_column == "Testing Objective"
    assert any("may be a test set" in w for w in run.warnings)


@pytest.mark.parametrize("train, val, flagged", [
    ("train_objective", "val_objective", False),
    ("Training Objective", "Validation Objective", False),
    ("train/objective", "test_objective", True),
    ("Training Loss", "Testing Loss", True),
])
def test_objective_and_testing_names_variants(tmp_path, train, val, flagged):
    path = tmp_path / "history.csv"
    path.write_text(f"epoch,{train},{val}\n" + "".join(f"{e},{1 / e:.3f},{1.2 / e:.3f}\n" for e in range(1, 9)))
    (run,) = load_path(path)
    assert run.series[TRAIN_LOSS].source_column == train and run.series["val_loss"].source_column == val
    assert any("may be a test set" in w for w in run.warnings) == flagged


def test_a_bare_objective_column_gets_no_loss_role(tmp_path):
    # an HPO table's 'objective' (one value per trial) is no training curve: only phased names are losses
    path = tmp_path / "trials.csv"
    path.write_text("trial,objective,loss\n" + "".join(f"{t},{(t * 7) % 5 / 10:.2f},{1 / t:.3f}\n" for t in range(1, 9)))
    (run,) = load_path(path)
    assert run.series[TRAIN_LOSS].source_column == "loss" and "objective" in run.series


# -- 6. 'loss_total_avg': the overall loss beside its averaged component terms --------------------------


def test_loss_total_avg_real_file():
    (run,) = load_path(CORPUS / "khasnhmissu__FusionDA" / "epoch_metrics.csv")
    assert run.series[TRAIN_LOSS].source_column == "loss_total_avg" and len(run.series[TRAIN_LOSS]) == 8
    assert "loss_source_avg" in run.series and "loss_distill_avg" in run.series


@pytest.mark.parametrize("total", ["loss_total_avg", "loss_total_mean", "Loss Total Average"])
def test_loss_total_averaged_variants(tmp_path, total):
    path = tmp_path / "epoch_metrics.csv"
    path.write_text(f"epoch,loss_box_avg,loss_cls_avg,{total}\n"
                    + "".join(f"{e},{0.5 / e:.3f},{0.3 / e:.3f},{0.8 / e:.3f}\n" for e in range(1, 8)))
    (run,) = load_path(path)
    assert run.series[TRAIN_LOSS].source_column == total
    assert not any(w.startswith(ROLELESS_WARNING) for w in run.warnings)


# -- 5a. GBK bytes (whole file or line by line) and keys in any script ----------------------------------


def test_gbk_and_utf8_lines_with_chinese_keys_real_file():
    (run,) = load_path(CORPUS / "Sanayume__rainfalldata_research" / "training_log.txt")
    assert run.series[TRAIN_LOSS].source_column == "训练损失" and run.series["val_loss"].source_column == "验证损失"
    assert run.series[TRAIN_LOSS].y[0] == pytest.approx(2181.2882) and len(run.series[TRAIN_LOSS]) > 100
    assert any("GBK" in n for n in run.notes)


def _chinese_log(epochs: int = 8) -> str:
    return "".join(f"2025-03-22 16:27:46 - INFO - Epoch {e}/{epochs} - 训练损失: {2 / e:.4f}, 验证损失: {2.2 / e:.4f}, "
                   f"学习率: 0.0002\n" for e in range(1, epochs + 1))


def test_a_gbk_encoded_log_is_decoded_as_gbk(tmp_path):
    path = tmp_path / "training_log.txt"
    path.write_bytes(("训练开始\n" + _chinese_log()).encode("gbk"))
    (run,) = load_path(path)
    assert len(run.series[TRAIN_LOSS]) == 8 and run.series["val_loss"].y[-1] == pytest.approx(0.275)
    assert any("decoded as GBK" in n for n in run.notes)


def test_a_log_mixing_gbk_and_utf8_lines_is_decoded_line_by_line(tmp_path):
    path = tmp_path / "training_log.txt"
    path.write_bytes("系统信息: 开始\n".encode("gbk") + _chinese_log().encode("utf-8"))
    (run,) = load_path(path)
    assert len(run.series[TRAIN_LOSS]) == 8 and any("each line decoded as its own" in n for n in run.notes)


def test_latin1_text_is_not_taken_for_gbk(tmp_path):
    # 'Época' in latin-1 (0xC9 0x70) is a valid GBK pair, but not a GB2312 one: still latin-1
    path = tmp_path / "train.log"
    path.write_bytes("".join(f"Época {e}, loss: {1 / e:.3f}, pérdida_val: {1.1 / e:.3f}\n" for e in range(1, 8)).encode("latin-1"))
    (run,) = load_path(path)
    assert any("latin-1" in n for n in run.notes) and len(run.series[TRAIN_LOSS]) == 7


def test_a_chinese_best_so_far_line_is_not_a_measurement(tmp_path):
    path = tmp_path / "train.log"
    lines = []
    for e in range(1, 9):
        lines.append(f"Epoch {e}, Train Loss: {1 / e:.4f}, Val Loss: {1.2 / e + (0.1 * e if e > 5 else 0):.4f}")
        if e <= 5:
            lines.append(f"  保存最佳模型 (val_loss={1.2 / e:.4f})")
    path.write_text("\n".join(lines) + "\n")
    (run,) = load_path(path)
    assert len(run.series["val_loss"]) == 8 and "val_loss (sparse)" not in run.series


# -- 5b. Chinese epoch records: full-width punctuation, '第N轮', no line breaks ---------------------------


def test_glued_gbk_epoch_records_real_file():
    runs = load_path(CORPUS / "greatvalley__test" / "train_log.txt")
    assert len(runs) == 10 and all(len(r.series[TRAIN_LOSS]) == 10 for r in runs)
    assert runs[0].series[TRAIN_LOSS].y[0] == pytest.approx(0.7771566639775815)
    assert list(runs[0].series[TRAIN_LOSS].epoch[:3]) == [1, 2, 3] and "val_acc" in runs[0].series


def _records(n: int, start: int = 1) -> list[str]:
    return [f"第{e}轮：训练损失：{1 / e:.4f}，验证损失：{1.1 / e:.4f}，耗时2.0秒" for e in range(start, start + n)]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_chinese_epoch_records_without_line_breaks(tmp_path, encoding):
    path = tmp_path / "train_log.txt"
    path.write_bytes("".join(_records(12)).encode(encoding))
    (run,) = load_path(path)
    assert len(run.series[TRAIN_LOSS]) == 12 and list(run.series["val_loss"].epoch[:2]) == [1, 2]


def test_chinese_epoch_records_on_their_own_lines(tmp_path):
    path = tmp_path / "train_log.txt"
    path.write_text("\n".join(_records(6)) + "\n")
    (run,) = load_path(path)
    assert list(run.series[TRAIN_LOSS].epoch) == [1, 2, 3, 4, 5, 6]


def test_english_epoch_records_without_line_breaks(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("".join(f"Epoch {e}: train loss {1 / e:.4f}, val loss {1.2 / e:.4f}. " for e in range(1, 21)))
    (run,) = load_path(path)
    assert len(run.series[TRAIN_LOSS]) == 20 and run.series["val_loss"].y[-1] == pytest.approx(0.06)


def test_one_line_whose_epoch_markers_do_not_count_is_not_split():
    from trueloss_dash.ingest.textcjk import split_glued_records

    text = "Epoch 3/10 loss 0.5 " * 40  # the same epoch over and over: no records to part
    assert split_glued_records(text) is None
    assert split_glued_records("".join(_records(12))).count("\n") == 12


# -- 7. 't_loss' beside 'v_loss' ----------------------------------------------------------------------------


def test_t_and_v_prefixed_losses_real_file():
    (run,) = load_path(CORPUS / "dhavvval__MLProject" / "losses.csv")
    assert run.series[TRAIN_LOSS].source_column == "t_loss" and run.series["val_loss"].source_column == "v_loss"
    assert len(run.series[TRAIN_LOSS]) == 4999


@pytest.mark.parametrize("train, val", [("t_loss", "v_loss"), ("T_Loss", "V_Loss"), ("t_loss", "vloss")])
def test_t_and_v_prefixed_loss_variants(tmp_path, train, val):
    path = tmp_path / "metrics.csv"
    path.write_text(f"epoch,{train},{val},t_acc,v_acc\n" + "".join(f"{e},{1 / e:.3f},{1.1 / e:.3f},0.5,0.5\n" for e in range(1, 8)))
    (run,) = load_path(path)
    assert run.series[TRAIN_LOSS].source_column == train and run.series["val_loss"].source_column == val


def test_a_lone_t_loss_or_an_rl_v_loss_gets_no_pair(tmp_path):
    path = tmp_path / "progress.csv"  # PPO: 'v_loss' is the value loss
    path.write_text("step,t_loss,v_loss,pg_loss\n" + "".join(f"{s},{1 / s:.3f},{1.1 / s:.3f},0.1\n" for s in range(1, 8)))
    (run,) = load_path(path)
    assert "val_loss" not in run.series


# -- 7b. values in braces ------------------------------------------------------------------------------------


def test_values_in_braces_real_file():
    (run,) = load_path(CORPUS / "D641593__Lane_Segmentation" / "train_log.log")
    assert len(run.series[TRAIN_LOSS]) == 20 and run.series[TRAIN_LOSS].y[0] == pytest.approx(1.9027643)
    assert run.series[TRAIN_LOSS].epoch[-1] == 10


def test_values_in_braces_variants(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("".join(f"2022-02-15 17:55:17,761 INFO epoch: {{{e}/30}}, loss : {{ {1 / e:.4f} }}, val_loss: {{{1.1 / e:.4f}}}\n"
                            for e in range(1, 9)) + "config: {'lr': 0.1}\n")
    (run,) = load_path(path)
    assert list(run.series[TRAIN_LOSS].epoch) == list(range(1, 9)) and run.series["val_loss"].y[0] == pytest.approx(1.1)
