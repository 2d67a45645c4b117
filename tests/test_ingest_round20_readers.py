"""Readers for the pending dev formats of stop 23 (helper "readers"): each rule tested on the real dev file
and on a small generated file of the same shape."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


# -- a YOLOv5-fork results.txt whose every loss is NaN ------------------------------------------------------
def test_yolov5_fork_results_txt_nan_from_the_first_epoch_loads():
    # citizenyves/PoseDetection: one line '0/0 0G nan nan 0 nan nan nan 11 640 0 0 0 0 nan nan 0' (5 terms + total)
    runs = load_path(CORPUS / "citizenyves__PoseDetection" / "results.txt")
    assert len(runs) == 1 and runs[0].format == "yolov5_txt"
    train = runs[0].series["train_loss"]
    assert len(train.y) == 1 and math.isnan(train.y[0])
    assert math.isnan(runs[0].series["val_loss"].y[0])


def test_yolov5_fork_nan_lines_generated(tmp_path):
    line = "{e}/9  1.2G  nan  nan  0  nan  nan  nan  11  640  0  0  0  0  nan  nan  0\n"
    path = tmp_path / "results.txt"
    path.write_text("".join(line.format(e=e) for e in range(3)))
    run = load_path(path)[0]
    assert run.format == "yolov5_txt" and len(run.series["train_loss"].y) == 3
    # a total that is NaN while every term is finite is no sum: not this layout
    path.write_text("0/9  1.2G  0.1  0.2  0  0.1  0.3  nan  11  640  0  0  0  0  0.1  0.2  0\n")
    with pytest.raises(LogFormatError):
        load_path(path)
