"""Reader gaps met in corpus round 12 (share I, dev files), each checked on the real file and on a
generated variant:

* headerless ``epoch,loss`` rows (``1,6.2338``) in a file named ``loss_log.txt`` loaded the one column
  beside the epoch counter as a role-less ``loss_1`` ("partly diagnosed"): one column beside the
  counter is the file's loss, as in a file of bare numbers (several columns stay role-less terms);
* a hand-written history ``{"train_loss", "dev_loss", "dev_acc", "dev_f1"}`` read ``dev_loss`` as the
  validation loss but not ``dev_acc`` as the validation accuracy.
"""

from __future__ import annotations

import json
from pathlib import Path

from trueloss_dash.ingest import load_bytes, load_path

CORPUS = Path(__file__).parent / "data" / "corpus"


def test_headerless_epoch_and_one_loss_real_file():
    runs = load_path(CORPUS / "Max-An__poemGen" / "loss_log.txt")
    assert len(runs) == 2  # two launches: epochs 1-23, then a continuation counted from 1 again
    first, second = runs
    assert set(first.series) == {"train_loss"} and set(second.series) == {"train_loss"}
    assert len(first.series["train_loss"]) == 23 and len(second.series["train_loss"]) == 206
    assert first.series["train_loss"].y[0] == 6.2338 and second.series["train_loss"].y[-1] == 3.4895
    assert list(second.series["train_loss"].epoch[:3]) == [1, 2, 3]


def test_headerless_epoch_and_one_loss_variants():
    rows = "".join(f"{e},{2.0 / e:.4f}\n" for e in range(1, 9))
    run = load_bytes("loss.csv", rows.encode())[0]
    assert set(run.series) == {"train_loss"} and list(run.series["train_loss"].epoch) == list(range(1, 9))
    tab = load_bytes("train_loss.txt", rows.replace(",", "\t").encode())[0]
    assert set(tab.series) == {"train_loss"} and tab.series["train_loss"].y[-1] == 0.25
    # two columns beside the counter are still two unnamed loss terms with no role
    two = load_bytes("loss.csv", "".join(f"{e},{2.0 / e:.4f},{1.0 / e:.4f}\n" for e in range(1, 9)).encode())[0]
    assert set(two.series) == {"loss_1", "loss_2"}
    # two columns with no counter (the first is not 1, 2, 3, ...) are not an epoch and a loss
    pair = load_bytes("loss.csv", "".join(f"{2.0 / e:.4f},{1.0 / e:.4f}\n" for e in range(1, 9)).encode())[0]
    assert set(pair.series) == {"loss_1", "loss_2"}


def test_dev_accuracy_is_the_validation_accuracy_real_file():
    run = load_path(CORPUS / "BertMannn__NLP_assignment_2" / "lstm_history.json")[0]
    assert {"train_loss", "val_loss", "val_acc"} <= set(run.series)
    assert abs(run.series["val_acc"].y[0] - 0.25317) < 1e-5 and len(run.series["val_acc"]) == 4


def test_dev_accuracy_variants():
    history = {"train_loss": [1.2, 0.9, 0.7], "dev_loss": [1.3, 1.0, 0.9], "dev_accuracy": [0.5, 0.6, 0.7]}
    run = load_bytes("history.json", json.dumps(history).encode())[0]
    assert {"train_loss", "val_loss", "val_acc"} <= set(run.series) and run.series["val_acc"].y[-1] == 0.7
    csv = "epoch,loss,dev_loss,dev_acc\n1,1.2,1.3,0.5\n2,0.9,1.0,0.6\n3,0.7,0.9,0.7\n"
    run = load_bytes("log.csv", csv.encode())[0]
    assert {"train_loss", "val_loss", "val_acc"} <= set(run.series)
