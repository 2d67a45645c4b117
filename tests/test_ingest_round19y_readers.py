"""Round-19 corpusY reader fixes, tested on the real corpus files and on generated files.

``print(history.history)`` piped to a text file writes a Keras history as a Python dict literal -
``{'loss': [1.75, 0.79, ...], 'val_loss': [...]}``, single quotes, one line - which is not JSON. The JSON
reader already read such a dict when it sat inside a JSON string (``json.dump(str(history.history))``);
a bare one was refused as 'only x-axis columns ()'. ``chrlapx__mrcnn_on_baby`` (round-19 dev, Mask R-CNN,
10 epochs, labelled overfitting) was that file.
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
