"""Round-19 corpusY reader fixes, tested on the real corpus files and on generated files.

``print(history.history)`` piped to a text file writes a Keras history as a Python dict literal -
``{'loss': [1.75, 0.79, ...], 'val_loss': [...]}``, single quotes, one line - which is not JSON. The JSON
reader already read such a dict when it sat inside a JSON string (``json.dump(str(history.history))``);
a bare one was refused as 'only x-axis columns ()'. ``chrlapx__mrcnn_on_baby`` (round-19 dev, Mask R-CNN,
10 epochs, labelled overfitting) was that file. Second: HF Trainer dicts whose rounded epoch repeats (below).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_python_dict_literal_history_real_file():
    (run,) = load_path(CORPUS / "chrlapx__mrcnn_on_baby" / "training_logs.txt")
    assert {"train_loss", "val_loss"} <= set(run.series)
    assert len(run.series["train_loss"].y) == 10 and len(run.series["val_loss"].y) == 10
    assert np.isclose(run.series["train_loss"].y[0], 1.752164580821991)
    assert np.isclose(run.series["val_loss"].y[0], 1.998, atol=1e-3)
    assert "mrcnn_mask_loss" in run.series and "val_mrcnn_mask_loss" in run.series
    assert any("Python dict literal" in w for w in run.warnings)


def test_python_dict_literal_history_generated(tmp_path):
    path = tmp_path / "history.txt"
    path.write_text("{'loss': [0.9, 0.7, 0.5, 0.4], 'val_loss': [1.0, 0.8, nan, 0.7], 'accuracy': [0.5, 0.6, 0.7, 0.8]}\n")
    (run,) = load_path(path)
    assert list(run.series["train_loss"].y) == [0.9, 0.7, 0.5, 0.4]
    assert np.isclose(run.series["val_loss"].y[-1], 0.7)
    assert any("Python dict literal" in w for w in run.warnings)


def test_valid_json_dict_is_not_reported_as_a_python_literal(tmp_path):
    path = tmp_path / "history.json"
    path.write_text('{"loss": [0.9, 0.7, 0.5], "val_loss": [1.0, 0.8, 0.7]}')
    (run,) = load_path(path)
    assert list(run.series["train_loss"].y) == [0.9, 0.7, 0.5]
    assert not any("Python dict literal" in w for w in run.warnings)


def test_broken_brace_text_is_still_refused(tmp_path):
    path = tmp_path / "history.txt"
    path.write_text("{'loss': [0.9, 0.7, 0.5], 'val_loss': [1.0, 0.8\n")  # cut write: not a literal
    with pytest.raises(LogFormatError):
        load_path(path)


# HF Trainer printed dicts whose fractional 'epoch' is rounded to two decimals (no 'step' key): in a short run
# many logging steps share one epoch value. SohamRatnaparkhi__fed-llm-fintuning-and-blockchain (round-19 dev,
# a LoRA fine-tune, labelled healthy) logged 50 losses at epoch 0.0 / 0.01 and was refused as 'fewer than 3
# points (train_loss: 2 points)': the table averaged the losses per epoch value.


def test_hf_rounded_epoch_dicts_real_file():
    (run,) = load_path(CORPUS / "SohamRatnaparkhi__fed-llm-fintuning-and-blockchain" / "training_logs.txt")
    y = run.series["train_loss"].y
    assert len(y) == 50
    assert np.isclose(y[0], 1.3992) and np.isclose(y[6], 2.576)
    assert list(run.series["train_loss"].x("step")[:3]) == [1, 2, 3]
    assert any("'epoch' is rounded" in w for w in run.warnings)


def _hf_lines(epochs, losses):
    return "\n".join(f"{{'loss': {l}, 'grad_norm': 0.5, 'learning_rate': 0.0002, 'epoch': {e}}}"
                     for e, l in zip(epochs, losses)) + "\n"


def test_hf_rounded_epoch_dicts_generated(tmp_path):
    path = tmp_path / "train.txt"
    losses = [1.4, 1.2, 1.1, 1.0, 0.95, 0.9, 0.92, 0.88]
    path.write_text(_hf_lines([0.0, 0.0, 0.0, 0.0, 0.01, 0.01, 0.01, 0.01], losses))
    (run,) = load_path(path)
    assert list(run.series["train_loss"].y) == losses


def test_integer_or_distinct_epochs_are_left_alone(tmp_path):
    distinct = tmp_path / "distinct.txt"  # every record its own epoch value: nothing to number
    distinct.write_text(_hf_lines([0.1, 0.2, 0.3, 0.4], [1.0, 0.8, 0.7, 0.6]))
    (run,) = load_path(distinct)
    assert list(run.series["train_loss"].y) == [1.0, 0.8, 0.7, 0.6]
    assert not any("'epoch' is rounded" in w for w in run.warnings)
    integer = tmp_path / "integer.txt"  # per-batch values at whole epochs: still averaged per epoch
    integer.write_text(_hf_lines([1, 1, 1, 2, 2, 2, 3, 3, 3], [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]))
    (run,) = load_path(integer)
    assert len(run.series["train_loss"].y) == 3
    assert not any("'epoch' is rounded" in w for w in run.warnings)
