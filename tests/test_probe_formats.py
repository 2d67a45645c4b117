"""The format probe (benchmarks/probe_formats.py): common libraries' console output, generated in their
own line formats, loads with the training (and, where printed, the held-out) loss in its role."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import probe_formats  # noqa: E402

from trueloss_dash.columns import TRAIN_LOSS, VAL_LOSS  # noqa: E402
from trueloss_dash.ingest import load_path  # noqa: E402

#: Read wrongly or refused today (strict: a sample that loads must leave this list).
PENDING: dict[str, str] = {
    "Marian NMT": "'Ep. 1 : Up. 500 : ... : Cost 2.3' - 'Up.' (updates) is no step alias and 'Cost' no loss name in a text log",
    "GluonTS (MXNet trainer)": "\"Evaluation metric 'validation_epoch_loss'=5.0\" is read under a three-word key; read as "
                               "'validation_epoch_loss', the bar's 1-based 'epoch=1/10' beside the 0-based 'Epoch[0]' lines still "
                               "splits off the first epoch and shifts the bar's training loss one epoch after its validation loss",
}


@pytest.mark.parametrize("name", sorted(probe_formats.SAMPLES))
def test_common_console_output_loads_with_its_roles(name, tmp_path, request):
    if name in PENDING:
        request.applymarker(pytest.mark.xfail(reason=PENDING[name], strict=True))
    fname, lines, held_out = probe_formats.SAMPLES[name]
    path = tmp_path / fname
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = load_path(path)[0]
    assert len(run.get(TRAIN_LOSS)) >= 10
    if held_out:
        assert len(run.get(VAL_LOSS)) >= 10
    else:  # nothing held out is printed: no series may claim the validation role (a wrong role is worse than none)
        assert VAL_LOSS not in run.series
