"""Reader fixes for round 21's first-sight dev misses (corpus21B share, stop 24, helper readers2): each
tested on the real dev file and on generated logs of the same shape, so the rule and not the sample passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.columns import TRAIN_LOSS
from trueloss_dash.ingest import load_path
from trueloss_dash.roles import ROLELESS_WARNING, roleless_losses

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


# -- 1. a bracketed counter or tag at a line start is no JSON array ----------------------------------------


def test_bracketed_epoch_and_tag_lines_real_file():
    (run,) = load_path(CORPUS / "feather020522__iStaging-classifier-metric" / "train_result.txt")
    loss = run.series[TRAIN_LOSS]
    assert run.format == "text_log" and len(loss) == 8500
    assert loss.y[0] == pytest.approx(4.416530) and loss.y[-1] == pytest.approx(0.004635)


@pytest.mark.parametrize("line", ["[{e}] [data:{i}] loss: {v:.6f}", "[{e}, {i:5d}] loss: {v:.3f}",
                                  "[{e}][data:{i}] train loss = {v:.4f}"])
def test_bracketed_counters_at_line_start_read_as_text(tmp_path, line):
    path = tmp_path / "train_result.txt"
    values = [round(3.0 / (e + i / 300), 3) for e in range(1, 6) for i in range(50, 301, 50)]
    rows = [line.format(e=e, i=i, v=3.0 / (e + i / 300)) for e in range(1, 6) for i in range(50, 301, 50)]
    path.write_text("\n".join(rows) + "\n")
    (run,) = load_path(path)
    assert run.format == "text_log"
    assert np.allclose(run.series[TRAIN_LOSS].y, values, atol=1e-3)


@pytest.mark.parametrize("text", ["[1, 2, 3]\n", "[16, 0.1, [7.5, 7.4]] [64, 0.1, [9.1, 8.2]]\n", "[0.9, 0.7,\n 0.5]\n", '[{"loss": 0.9}, {"loss": 0.7}, {"loss": 0.5}]\n',
                                  '[\n  {"loss": 0.9},\n  {"loss": 0.7},\n  {"loss": 0.5}\n]\n'])
def test_json_arrays_are_still_json(text):
    from trueloss_dash.ingest.sniff import Sample
    from trueloss_dash.ingest.source import Source

    assert Sample(Source("losses.json", text.encode())).json_kind == "array"


# -- 2. a step counter that falls back off the run's logging grid starts another launch ----------------------


def test_fine_tune_appended_off_the_grid_real_file():
    runs = load_path(CORPUS / "lohjine__autovc" / "trainlog.txt")
    main, tune = runs[0].series["G/loss_id"], runs[1].series["G/loss_id"]
    assert len(main) == 1336 and main.step[0] == 500 and main.step[-1] == 668000
    assert (np.diff(main.step) > 0).all() and main.y.min() > 0.5  # the fine-tune's 0.02s are not among them
    assert tune.step[0] == 100001 and tune.step[-1] == 100280 and tune.y.max() < 0.1
    assert len(runs) == 4 and any("starts again" in w for w in runs[0].warnings)


def _iteration_lines(steps, level):
    return [f"Elapsed [0:00:{i % 60:02d}], Iteration [{s}/1000000], loss: {level + (i % 7) * 0.01:.4f}"
            for i, s in enumerate(steps)]


def test_launch_off_the_grid_is_kept_apart_resume_on_the_grid_is_not(tmp_path):
    first = _iteration_lines(range(500, 20001, 500), 4.0)
    resumed = _iteration_lines(range(15500, 30001, 500), 3.5)  # back to a checkpoint: on the 500-grid
    tune = _iteration_lines(range(10001, 10041), 0.02)  # another launch logging every step from 10,001
    path = tmp_path / "trainlog.txt"
    path.write_text("\n".join(first + resumed + tune) + "\n")
    runs = load_path(path)
    assert len(runs) == 2
    main, other = runs[0].series[TRAIN_LOSS], runs[1].series[TRAIN_LOSS]
    assert main.step[0] == 500 and main.step[-1] == 30000 and main.y.min() > 3
    assert other.step[0] == 10001 and len(other) == 40 and other.y.max() < 0.1


def test_interleaved_fall_backs_do_not_set_a_grid(tmp_path):
    steps = [100, 200, 100, 300, 200, 400, 300, 500, 400, 600, 500, 700, 600, 800]
    path = tmp_path / "train.log"
    path.write_text("".join(f"Step {s}, Loss: {1 / s:.5f}\n" for s in steps))
    (run,) = load_path(path)  # the 2-row first part is dropped; the interleaved rest stays one (no grid split)
    assert list(run.series[TRAIN_LOSS].step) == [100, 200, 300, 400, 500, 600, 700, 800]


# -- 3. phase words on their own lines over one metric per line; 'cross ent' and a test-set measure --------


def test_protopnet_phase_lines_real_file():
    (run,) = load_path(CORPUS / "KodeRikke__FailureModes" / "trainlog.txt")
    train, val = run.series[TRAIN_LOSS], run.series["val_loss"]
    assert len(train) == len(val) == 61 and list(train.epoch[:3]) == [0, 1, 3]  # the log has no epoch 2
    assert train.y[0] == pytest.approx(4.840144159875793) and val.y[0] == pytest.approx(4.511547744685206)
    assert any("it may be a test set" in n for n in run.notes)


@pytest.mark.parametrize("name", ["cross ent", "xent", "nll"])
def test_phase_word_lines_over_loss_measure_lines(tmp_path, name):
    rows = ["start training"]
    for e in range(8):
        rows += [f"epoch: \t{e}", "\ttrain", "\ttime: \t100.5", f"\t{name}: \t{2.0 - 0.1 * e:.4f}", "\taccu: \t\t50.0%",
                 "\ttest", "\ttime: \t9.1", f"\t{name}: \t{2.2 - 0.05 * e:.4f}", "\taccu: \t\t40.0%"]
    path = tmp_path / "trainlog.txt"
    path.write_text("\n".join(rows) + "\n")
    (run,) = load_path(path)
    assert np.allclose(run.series[TRAIN_LOSS].y, [2.0 - 0.1 * e for e in range(8)])
    assert np.allclose(run.series["val_loss"].y, [2.2 - 0.05 * e for e in range(8)])


def test_a_validation_measure_wins_over_the_test_one(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("".join(f"epoch {e}, train ce: {1 - e / 10:.2f}, val ce: {1.1 - e / 20:.3f}, test ce: {1.2:.2f}\n"
                            for e in range(6)))
    (run,) = load_path(path)
    assert run.series["val_loss"].y[0] == pytest.approx(1.1)


# -- 4. a ' - '-separated table under a prose header ------------------------------------------------------


def test_dash_separated_table_real_file():
    (run,) = load_path(CORPUS / "VietAnhETE16__ASVspoof_BML_project" / "train_result.txt")
    assert run.format == "console_table" and len(run.series[TRAIN_LOSS]) == 100
    assert run.series[TRAIN_LOSS].y[0] == pytest.approx(0.4354267712555647)
    assert list(run.series["val_acc"].epoch[:3]) == [0, 1, 2] and run.series["val_acc"].y[-1] == pytest.approx(99.63)


def test_dash_separated_table_generated(tmp_path):
    rows = ["no. of training trials 2538", "Epoch - Train Loss - Val Loss - Validation Accuracy"]
    for e in range(12):
        rows += [f"         {50 + e:.2f}", f"{e} - {1.0 / (e + 1):.6f} - {1.2 / (e + 1) + 0.1:.6f} - {50 + 3 * e:.2f}"]
    path = tmp_path / "train_result.txt"
    path.write_text("\n".join(rows) + "\n")
    (run,) = load_path(path)
    assert np.allclose(run.series["val_loss"].y, [1.2 / (e + 1) + 0.1 for e in range(12)], atol=1e-6)
    assert list(run.series[TRAIN_LOSS].epoch) == list(range(12))


def test_logger_dashes_make_no_table(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("root - INFO - Training started\n" + "".join(f"epoch {e}, loss: {1 / (e + 1):.3f}\n" for e in range(5)))
    (run,) = load_path(path)
    assert run.format == "text_log" and len(run.series[TRAIN_LOSS]) == 5


# -- 5. a value on a line of its own after a bare phase word; ReduceLROnPlateau's epoch moves nothing ---------


def test_phase_word_value_lines_real_file():
    (run,) = load_path(CORPUS / "yihengy__CrazyExperiment" / "log_train.log")
    train, val = run.series[TRAIN_LOSS], run.series["val_loss"]
    assert len(train) == len(val) == 50 and list(val.epoch) == list(range(50))
    assert train.y[0] == pytest.approx(4.523986849959915) and val.y[-1] == pytest.approx(3.7780835139136535)


@pytest.mark.parametrize("words", [("Training", "Validation"), ("Train", "Val"), ("train", "test")])
def test_phase_word_value_lines_generated(tmp_path, words):
    rows = ["Using GPU", "Loading...", "", "Creating new model "]
    for e in range(10):
        rows += [f"Epoch: {e}", f"{words[0]}: {2.0 - 0.1 * e:.6f}"]
        if e == 6:
            rows.append(f"Epoch     {e + 1}: reducing learning rate of group 0 to 1.0000e-04.")
        rows.append(f"{words[1]}: {2.5 - 0.1 * e:.6f}")
    path = tmp_path / "log_train.log"
    path.write_text("\n".join(rows) + "\n")
    (run,) = load_path(path)
    assert np.allclose(run.series[TRAIN_LOSS].y, [2.0 - 0.1 * e for e in range(10)])
    assert np.allclose(run.series["val_loss"].y, [2.5 - 0.1 * e for e in range(10)])
    assert list(run.series["val_loss"].epoch) == list(range(10))



# -- 5b. a VAE's loss terms with no total and no 'loss' word load role-less ----------------------------------


def test_vae_terms_load_roleless_real_file():
    (run,) = load_path(CORPUS / "hjoonpark__DuoVAE" / "nohup.txt")
    terms = {"x_recon", "y_recon", "y_recon2", "kl_div_z", "kl_div_w", "kl_div_w2"}
    assert set(roleless_losses(run)) == terms and all(len(run.series[t]) == 101 for t in terms)
    assert run.series["x_recon"].epoch[-1] == 1000 and run.series["x_recon"].y[-1] == pytest.approx(4.2849)
    assert any(w.startswith(ROLELESS_WARNING) for w in run.warnings)


def test_vae_terms_generated(tmp_path):
    rows = ["bash: /opt/conda/lib/libtinfo.so.6: no version information available (required by bash)"]
    rows += [f"2024-03-11 10:{e % 60:02d}:09 INFO epoch:{e}/50 recon:{5 - e / 20:.4f} kld:{1 + e / 100:.4f} "
             for e in range(0, 50, 5)]
    path = tmp_path / "nohup.txt"
    path.write_text("\n".join(rows) + "\n")
    (run,) = load_path(path)
    assert set(roleless_losses(run)) == {"recon", "kld"} and len(run.series["recon"]) == 10


def test_recon_accuracy_is_no_vae_term():
    from trueloss_dash.columns import looks_like_loss

    assert not looks_like_loss("recon_acc") and not looks_like_loss("kl") and looks_like_loss("kl_divergence")


def test_a_part_without_a_loss_is_left_out_with_a_note_not_called_an_appended_run(tmp_path):
    # DanSchum (dev): 'Validation perplexity: 16193.5' printed before training read as part 1 of the file;
    # part 1 held no loss and was dropped, yet the run was named '(part 2)' beside a warning that the file
    # holds 2 appended runs
    from trueloss_dash.ingest import load_path as _load

    corpus = Path(__file__).resolve().parent / "data" / "corpus"
    run = _load(corpus / "DanSchum__NMTGMinor" / "output.log")[0]
    assert "(part" not in run.name and "part" not in run.meta
    assert not any(w.startswith("the log starts again") for w in run.warnings)
    assert any("held no loss series and were left out" in n for n in run.notes)
    # two real appended runs keep their warning and their part names
    p = tmp_path / "train.log"
    p.write_text("".join(f"step {s}: loss {2.0 / (s + 1):.4f}\n" for s in range(1, 20))
                 + "".join(f"step {s}: loss {2.1 / (s + 1):.4f}\n" for s in range(1, 20)), encoding="utf-8")
    runs = _load(p)
    assert len(runs) == 2 and any(w.startswith("the log starts again") for w in runs[1].warnings)
