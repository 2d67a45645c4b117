"""Reader gap met in corpus round 14 (share L, dev file), checked on the real file and on generated variants:

* a Keras console captured to a file (``python train.py > train.out``) redraws its progress bar with
  backspace characters (0x08) - 62,081 of them in ``Ritik-912__ASSIST_assignment/train.out``. The text check
  counted them as control bytes, so the log was refused as "binary data". Backspaces now count as text (like
  tab, CR and the ESC of ANSI colours); NUL bytes still mark a binary file.
* ``TRAIN in epoch 3 , step 100, loss = 2.23`` (``CuriousCat-7__WIDER-event/train.out``): the counter after the word
  ``in`` was read as prose, so the line gave no epoch; the step counter restarting every epoch then read as 25
  appended runs of 16 points, each with one ``TEST in epoch 3, loss = x`` point. ``<phase> in <epoch|step> N`` now
  gives the phase and the counter, and the log loads as one run (its TEST loss as the validation loss).
* a Lightning/rich console (``MukundShankar-dev__TMR/train.out``) prints each epoch summary on the line of a tqdm
  ``Validation:`` bar, after the bar's ``ESC[A`` (cursor up) and the logger's colour codes. The text after a tqdm
  status bracket was cut off as a line of its own only when a letter followed; behind ANSI codes it was not, so
  the phase word ``Validation`` put every key of the summary in validation (the training ``loss`` read as
  ``val_loss``). ANSI codes between the bar and the text are now allowed.
* an epoch counter glued to its word (``Load file: None, EP1, avg_loss=0.0012`` in ``LwbXc__DPBL/train.txt``,
  ``TEST in epoch3, loss = 2.0``) gave no epoch, so appended runs restarting at ``EP0`` read as one curve. An
  ``ep<N>`` / ``epoch<N>`` word standing alone before a separator (or at the end of the line) is now the epoch;
  ``model_ep10.pth`` and ``EP10 done`` are not.
* ``Loss(train): 6.55, Loss(val): 6.49`` (``ECNUJason__datamining_hw2/train_log.log``): the phase in parentheses after
  the name set the phase of the whole line (the last one, ``val``), so both values landed in ``val_loss``. A
  ``name(<phase>)`` key now reads as ``<phase>_name``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_bytes, load_path

CORPUS = Path(__file__).parent / "data" / "corpus"


def test_keras_backspace_progress_bars_real_file_loads():
    run = load_path(CORPUS / "Ritik-912__ASSIST_assignment" / "train.out")[0]
    val = run.series["val_loss"]
    assert len(val.y) == 10
    assert val.y[0] == pytest.approx(0.0109) and val.y[-1] == pytest.approx(0.0105)
    train = run.series["train_loss"]
    assert len(train.y) == 10 and train.y[-1] < train.y[0]


def _keras_capture(epochs: int) -> bytes:
    """Keras 3 ``model.fit`` output redirected to a file: each redraw of the bar is backspaces, a CR, the bar."""
    out = []
    for e in range(1, epochs + 1):
        out.append(f"Epoch {e}/{epochs}\n")
        loss = 1.0 / e
        for i in range(1, 11):
            bar = f"{i:2d}/10 {'=' * i}{'.' * (10 - i)} 1s 100ms/step - loss: {loss + 0.01 * (10 - i):.4f} - mae: 0.5000"
            out.append(("\b" * 70 + "\r" if i > 1 else "\r") + bar)
        out.append(f" - val_loss: {1.2 / e:.4f} - val_mae: 0.6000\n")
    return "".join(out).encode()


def test_backspace_redrawn_progress_bars_are_text():
    data = _keras_capture(5)
    assert data.count(b"\b") > 200
    run = load_bytes("train.out", data)[0]
    assert np.allclose(run.series["val_loss"].y, [1.2 / e for e in range(1, 6)], atol=1e-4)
    assert "train_loss" in run.series


def test_nul_bytes_still_mean_binary():
    with pytest.raises(LogFormatError, match="binary data"):
        load_bytes("train.out", b"\x00\x01\x02\x03" * 100 + b"loss: 0.5\n")


def test_phase_in_epoch_real_file_is_one_run():
    runs = load_path(CORPUS / "CuriousCat-7__WIDER-event" / "train.out")
    assert len(runs) == 1
    run = runs[0]
    val = run.series["val_loss"]
    assert len(val.y) == 25 and list(val.epoch) == list(range(25))
    assert val.y[3] == pytest.approx(2.00783739929) and val.y[-1] == pytest.approx(3.63973577873)
    assert len(run.series["train_loss"].y) > 300


def test_phase_in_epoch_lines_generated():
    lines = []
    for e in range(6):
        for s in range(0, 200, 50):
            lines.append(f"TRAIN in epoch {e} , step {s}, loss = {2.0 / (1 + e + s / 200):.4f}")
        lines.append(f"TEST in epoch {e}, loss = {1.5 + 0.1 * e:.4f}, acc = 50.0%")
    runs = load_bytes("train.out", ("\n".join(lines) + "\n").encode())
    assert len(runs) == 1
    assert np.allclose(runs[0].series["val_loss"].y, [1.5 + 0.1 * e for e in range(6)])
    assert list(runs[0].series["val_loss"].epoch) == list(range(6))


def test_epoch_summary_after_a_coloured_tqdm_bar_real_file():
    # '\rValidation: | | 0/? [00:00<?, ?it/s]\x1b[A[\x1b[37m12/09/24 14:39:27\x1b[0m] INFO   Epoch 10: ... loss 2.452e+00':
    # the summary printed after the validation bar is a line of its own, not validation metrics
    run = load_path(CORPUS / "MukundShankar-dev__TMR" / "train.out")[0]
    # (its validation loss is the 'v_'-prefixed twin: tests/test_validation_prefix_twins.py)
    assert "train_loss" in run.series and run.series["val_loss"].source_column == "v_loss"
    train = run.series["train_loss"]
    assert len(train.y) == 500
    assert train.y[0] == pytest.approx(5.362) and train.y[-1] == pytest.approx(0.3056)
    assert not any(k.startswith("val/") for k in run.series)


def test_text_after_a_tqdm_bar_and_ansi_codes_is_its_own_line():
    lines = []
    for e in range(5):
        lines.append(f"\rValidation: |          | 0/? [00:00<?, ?it/s]\x1b[A[\x1b[37m12:00:0{e}\x1b[0m] "
                     f"\x1b[34mINFO\x1b[0m   Epoch {e}: loss {1.0 / (e + 1):.3f}  val_loss {1.2 / (e + 1):.3f}")
    run = load_bytes("train.out", ("\n".join(lines) + "\n").encode())[0]
    assert np.allclose(run.series["train_loss"].y, [1.0 / (e + 1) for e in range(5)], atol=1e-3)
    assert np.allclose(run.series["val_loss"].y, [1.2 / (e + 1) for e in range(5)], atol=1e-3)


def test_glued_epoch_counter_real_file_splits_appended_runs():
    runs = load_path(CORPUS / "LwbXc__DPBL" / "train.txt")
    long_run = max(runs, key=lambda r: len(r.series["train_loss"].y))
    train = long_run.series["train_loss"]
    assert len(train.y) == 37 and list(train.epoch[:3]) == [0, 1, 2]
    assert train.y[0] == pytest.approx(0.0154) and train.y[-1] == pytest.approx(0.0045)


def test_glued_epoch_words():
    from trueloss_dash.ingest.readers.text_log import parse_line

    assert parse_line("Load file: None, EP1, avg_loss=0.0012") == {"avg_loss": 0.0012, "epoch": 1.0}
    assert parse_line("TEST in epoch3, loss = 2.0")["epoch"] == 3.0
    assert parse_line("model_ep10.pth saved") is None
    assert parse_line("EP10 done") is None


def test_phase_in_parentheses_real_file():
    run = load_path(CORPUS / "ECNUJason__datamining_hw2" / "train_log.log")[0]
    assert "train_loss" in run.series and "val_loss" in run.series
    assert run.series["val_loss"].y[-1] > run.series["train_loss"].y[-1]  # val 1.918 above train 1.687 at the end


def test_phase_in_parentheses_line():
    from trueloss_dash.ingest.readers.text_log import parse_line

    got = parse_line("Epoch:3, Loss(train): 1.80, Loss(val): 2.00, acc(test) = 0.5")
    assert got["train_Loss"] == 1.80 and got["val_Loss"] == 2.00 and got["test_acc"] == 0.5 and got["epoch"] == 3
