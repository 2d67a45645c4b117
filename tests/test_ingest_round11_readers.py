"""Reader gaps met in corpus round 11 (share E, dev files), each checked on the real file and on a
generated variant:

* a Keras CSVLogger file whose lines end in a bare carriage return (classic Mac OS, ``\\r\\r``
  between rows) was refused as 'unknown log format';
* a headerless tab table ``epoch<TAB>a<TAB>b`` in a file named ``loss.txt`` loaded its epoch
  counter as a third loss (``loss_1``), which then 'jumped' at every appended run;
* Spanish console lines ``Epoca 143/150 - Loss: 6.0363 | LR: 5.512e-03`` (``Epoca``
  for epoch) gave no loss at all.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.ingest import load_bytes, load_path

CORPUS = Path(__file__).parent / "data" / "corpus"

KERAS = ("epoch,loss,val_loss\n" + "".join(f"{e},{1.0 / (e + 1):.4f},{1.1 / (e + 1) + 0.05:.4f}\n" for e in range(6)))


def test_cr_only_keras_log_real_file():
    runs = load_path(CORPUS / "19090418G__dissertation_deep_learning" / "train.log")
    run = runs[0]
    assert len(run.series["train_loss"]) == 22 and len(run.series["val_loss"]) == 22
    assert run.series["val_loss"].y[0] == 0.8032067150382672
    assert run.series["train_loss"].y[-1] == 0.011337869940775055
    assert any("carriage return" in n for n in run.notes)


def test_cr_only_variant_loads_like_lf():
    lf = load_bytes("training.log", KERAS.encode())[0]
    for ending in ("\r", "\r\r"):
        cr = load_bytes("training.log", KERAS.replace("\n", ending).encode())[0]
        for name in ("train_loss", "val_loss"):
            assert np.array_equal(cr.series[name].y, lf.series[name].y)
            assert np.array_equal(cr.series[name].epoch, lf.series[name].epoch)
    # a CRLF file is not touched by the CR-only rule (no note)
    crlf = load_bytes("training.log", KERAS.replace("\n", "\r\n").encode())[0]
    assert not any("carriage return" in n for n in crlf.notes)


def test_headerless_epoch_counter_real_file():
    runs = load_path(CORPUS / "Ayews__M3Net" / "loss.txt")
    first = runs[0]
    assert set(first.series) == {"loss_1", "loss_2"}  # the counter is the x axis, not a third loss
    assert len(first.series["loss_1"]) == 100
    assert first.series["loss_1"].epoch[0] == 1 and first.series["loss_1"].epoch[-1] == 100
    assert first.series["loss_1"].y[0] == 0.425 and first.series["loss_2"].y[-1] == 0.022


def test_headerless_epoch_counter_variant():
    rows = "".join(f"{e + 1}\t{0.9 / (e + 1):.3f}\t{0.4 / (e + 1):.3f}\n" for e in range(8))
    run = load_bytes("losses.txt", rows.encode())[0]
    assert set(run.series) == {"loss_1", "loss_2"}
    assert list(run.series["loss_1"].epoch) == list(range(1, 9))
    # whole numbers in no order beside fractional values are sample ids (round 12: 18150167970's
    # '<image id> <loss>' lines), left out: the one column left is the loss, in file order
    ids = "".join(f"{i}\t{0.9 / (k + 1):.3f}\n" for k, i in enumerate([1691, 588, 1464, 1393, 77]))
    run = load_bytes("losses.txt", ids.encode())[0]
    assert list(run.series) == ["train_loss"] and run.series["train_loss"].y[1] == 0.45
    floats = "".join(f"{0.9 / (e + 1):.3f}\t{0.4 / (e + 1):.3f}\n" for e in range(8))
    run = load_bytes("losses.txt", floats.encode())[0]
    assert set(run.series) == {"loss_1", "loss_2"} and run.series["loss_1"].y[0] == 0.9


def test_spanish_epoch_word_real_file():
    runs = load_path(CORPUS / "ChristianPE1__transformer-test" / "loss.txt")
    loss = runs[0].series["train_loss"]
    assert len(loss) == 8
    assert loss.y[0] == 6.0363 and loss.y[-1] == 5.9899
    assert list(loss.epoch) == list(range(143, 151))


def test_spanish_epoch_word_variant():
    for word in ("Epoca", "epoca", "EPOCA"):  # the accented "Época" is not an ASCII word the line grammar reads
        text = "".join(f"{word} {e}/5 - Loss: {1.0 / e:.4f} | LR: 1.000e-03\n" for e in range(1, 6))
        run = load_bytes("train.log", text.encode())[0]
        assert list(run.series["train_loss"].epoch) == [1, 2, 3, 4, 5], word
        assert run.series["train_loss"].y[-1] == 0.2
