"""A table with one row per item (a model, a stock, a setting) is not a training history: refused with
a sentence naming the column, never diagnosed as a curve along the alphabet."""

from __future__ import annotations

from pathlib import Path

import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_final_losses_of_467_per_stock_models_are_refused():
    """Aamil-Khan-Mahar (round-14 dev, healthy, nothing_to_diagnose allowed): 'Stock,Loss,RMSE', one
    row per ticker. Read along the alphabet it was told 'exploded from its best ... LR too high'."""
    with pytest.raises(LogFormatError) as err:
        load_path(CORPUS / "Aamil-Khan-Mahar__NYSE-LSTM-Stock-Prediction" / "loss.csv")
    msg = str(err.value)
    assert "column 'Stock'" in msg and "467 different items" in msg and "'AAL'" in msg
    assert "expected one row per epoch or step" in msg


def _write(tmp_path, text: str) -> Path:
    p = tmp_path / "log.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_a_generated_item_table_is_refused(tmp_path):
    names = ["resnet", "vgg", "alexnet", "densenet", "mobilenet", "inception", "squeezenet", "shufflenet",
             "efficientnet", "regnet", "convnext"]
    rows = "\n".join(f"{n},{0.1 * (i + 1):.3f}" for i, n in enumerate(names))
    with pytest.raises(LogFormatError, match="one row per item"):
        load_path(_write(tmp_path, "model,val_loss\n" + rows + "\n"))


@pytest.mark.parametrize("first", [
    "2024-01-{d:02d} 10:00",  # timestamps order the rows
    "epoch_{d}",  # a counter inside the name
    "run-a",  # one name repeated: a stacked run, not items
])
def test_first_columns_that_order_or_group_rows_are_not_items(tmp_path, first):
    rows = "\n".join(f"{first.format(d=d)},{2.0 / d:.4f}" for d in range(1, 13))
    runs = load_path(_write(tmp_path, "when,loss\n" + rows + "\n"))
    assert runs and len(runs[0].get("train_loss").y) == 12


def test_an_item_column_beside_an_epoch_column_is_left_alone(tmp_path):
    names = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda"]
    rows = "\n".join(f"{n},{i},{2.0 / (i + 1):.4f}" for i, n in enumerate(names))
    runs = load_path(_write(tmp_path, "tag,epoch,loss\n" + rows + "\n"))
    assert runs and len(runs[0].get("train_loss").y) == 11
