"""Reader gap met in corpus round 14 (share M, dev file), checked on the real file and on generated variants:

* a byte-level language model logs its losses with the unit they are counted in -
  ``train_loss_nats_per_byte`` / ``validation_loss_nats_per_byte`` beside bits-per-byte estimates
  (``train_bpb_estimate``, ``validation_bpb``) - and no column is named plainly ``loss``: the file loaded
  with no loss role ("partly diagnosed"). A phase's loss per byte/token/character/word (in nats or bits)
  is that phase's loss.
"""

from __future__ import annotations

import json
from pathlib import Path

from trueloss_dash.ingest import load_bytes, load_path

CORPUS = Path(__file__).parent / "data" / "corpus"


def test_loss_per_unit_real_file():
    runs = load_path(CORPUS / "Chickaboo__NeuroZip" / "metrics.jsonl")
    assert len(runs) == 1
    run = runs[0]
    assert {"train_loss", "val_loss"} <= set(run.series)
    assert "train_loss_nats_per_byte" not in run.series and "validation_loss_nats_per_byte" not in run.series
    train, val = run.series["train_loss"], run.series["val_loss"]
    assert len(train) == 9 and len(val) == 9
    assert round(float(train.y[0]), 4) == 5.5337 and round(float(val.y[-1]), 4) == 1.2763
    # the bits-per-byte estimates stay what they are (not a second loss)
    assert "train_bpb_estimate" in run.series and "validation_bpb" in run.series


def test_loss_per_unit_variants():
    rows = [{"step": s, "train_loss_per_token": 3.0 / s, "val_loss_per_token": 3.2 / s} for s in range(1, 9)]
    run = load_bytes("metrics.jsonl", "\n".join(json.dumps(r) for r in rows).encode())[0]
    assert {"train_loss", "val_loss"} <= set(run.series)
    csv_text = "epoch,train_loss_bits_per_char,valid_loss_bits_per_char\n" + "".join(
        f"{e},{2.0 / e:.4f},{2.2 / e:.4f}\n" for e in range(1, 9))
    tab = load_bytes("history.csv", csv_text.encode())[0]
    assert {"train_loss", "val_loss"} <= set(tab.series)
    # a plain loss column keeps its role; the per-unit twin does not take it
    both = "epoch,train_loss,train_loss_per_token\n" + "".join(f"{e},{1.0 / e:.4f},{0.5 / e:.4f}\n" for e in range(1, 9))
    run2 = load_bytes("history.csv", both.encode())[0]
    assert run2.series["train_loss"].y[0] == 1.0


# A Keras history saved as ``json.dump(str(history.history), f)``: the file is ONE JSON string whose text
# is the dict's Python repr (single quotes). It was refused as 'unknown log format' (round-14 dev file
# Abhash-Chakraborty__AgroHealty, test file Abhash-Chakraborty__AgroHealth); the dict inside is the history.


def test_python_dict_in_a_json_string_real_file():
    run = load_path(CORPUS / "Abhash-Chakraborty__AgroHealty" / "training_history.json")[0]
    assert {"train_loss", "val_loss", "train_acc", "val_acc"} <= set(run.series)
    assert len(run.series["val_loss"]) == 10
    assert round(float(run.series["train_loss"].y[0]), 4) == 0.8443
    assert round(float(run.series["val_loss"].y[6]), 4) == 0.3227
    assert any("Python dict" in w for w in run.warnings)


def test_python_dict_in_a_json_string_variants():
    history = {"loss": [1.0, 0.5, 0.25, 0.2], "val_loss": [1.1, 0.6, float("nan"), 0.3]}
    text = json.dumps(str(history))  # '"{\'loss\': [1.0, ...], \'val_loss\': [1.1, 0.6, nan, 0.3]}"'
    run = load_bytes("history.json", text.encode())[0]
    assert set(run.series) >= {"train_loss", "val_loss"}
    assert float(run.series["train_loss"].y[-1]) == 0.2
    # a JSON string that is not a dict literal is still refused with a sentence, never a traceback
    import pytest

    from trueloss_dash.errors import LogFormatError

    for other in ('"just a note"', json.dumps("{'loss': __import__('os')}"), json.dumps("[1, 2, 3]")):
        with pytest.raises(LogFormatError):
            load_bytes("history.json", other.encode())
