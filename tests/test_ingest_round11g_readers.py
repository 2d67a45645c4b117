"""Reader gap met in corpus round 11 (share G, dev file), checked on the real file and on generated
variants: a headerless YOLO ``results.txt`` from the ``yoloall`` fork writes the batch counter
``i/N`` as its third field and the learning rate between the targets and the image size
(17 fields: ``0/299 3.15G 625/625 71.21 133.6 84.31 289.1 97 0.0004992 640`` + 7 zeros). It was
refused as 'unknown log format'; it is now read by its shape like the other YOLOv5 forks.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_bytes, load_path

CORPUS = Path(__file__).parent / "data" / "corpus"


def _line(epoch: int, terms: tuple[float, float, float], lr: float, metrics=(0.0,) * 7, batch=True) -> str:
    total = sum(terms)
    head = f"{epoch:>6}/9 3.15G" + ("   50/50" if batch else "")
    body = " ".join(f"{v:.4g}" for v in (*terms, total))
    tail = " ".join(f"{v:.4g}" for v in metrics)
    return f"{head} {body} 12 {lr:.4g} 640 {tail}\n"


def test_yoloall_real_file_loads_with_nan_losses():
    [run] = load_path(CORPUS / "qixuxiang__yoloall" / "results.txt")
    assert run.format == "yolov5_txt"
    loss = run.series["train_loss"].y
    assert len(loss) == 7 and loss[0] == 289.1 and all(math.isnan(v) for v in loss[1:])
    assert run.series["lr"].y.tolist()[:2] == [0.0004992, 0.0009992]
    assert "val_loss" not in run.series  # every metric and validation loss is 0: no evaluation
    assert any("batch counter" in n for n in run.notes)


def test_generated_variant_with_batch_and_lr_columns():
    text = "".join(_line(e, (0.1 / (e + 1), 0.05, 0.02), 1e-3 * (e + 1) / 5,
                         (0.5, 0.4, 0.3, 0.2, 0.09 / (e + 1), 0.04, 0.01)) for e in range(5))
    [run] = load_bytes("results.txt", text.encode())
    assert run.format == "yolov5_txt"
    assert np.allclose(run.series["train_loss"].y, [0.1 / (e + 1) + 0.07 for e in range(5)], rtol=1e-3)
    assert np.allclose(run.series["val_loss"].y, [0.09 / (e + 1) + 0.05 for e in range(5)], rtol=1e-3)
    assert np.allclose(run.series["lr"].y, [1e-3 * (e + 1) / 5 for e in range(5)])


def test_generated_variant_without_batch_column_keeps_lr():
    text = "".join(_line(e, (0.3 - 0.02 * e, 0.1, 0.05), 0.01, (0.5, 0.4, 0.3, 0.2, 0.2, 0.1, 0.05), batch=False)
                   for e in range(4))
    [run] = load_bytes("results.txt", text.encode())
    assert run.series["train_loss"].y.tolist() == pytest.approx([0.45, 0.43, 0.41, 0.39])
    assert run.series["lr"].y.tolist() == [0.01] * 4


def test_variant_whose_total_is_not_the_sum_is_still_refused():
    text = "".join(f"{e:>6}/9 3.15G   50/50 0.1 0.05 0.02 0.9 12 0.001 640 0 0 0 0 0 0 0\n" for e in range(4))
    with pytest.raises(LogFormatError):
        load_bytes("results.txt", text.encode())
