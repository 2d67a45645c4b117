"""Round-14 corpusN reader fixes, each tested on the real corpus file and on generated variants.

* A headerless two-column table whose fields are all quoted (R ``write.csv(..., col.names = FALSE)``:
  ``"1","52.58"``) has its first column read as the epoch counter, as the unquoted ``1,52.58`` already
  was; before, the quotes hid the counter and it loaded as a second role-less "loss" that
  climbed 1 -> 2047 (``qiaochloe__polylm/losses.csv``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_quoted_headerless_step_column_is_the_x_axis():
    (run,) = load_path(CORPUS / "qiaochloe__polylm" / "losses.csv")
    assert list(run.series) == ["train_loss"]
    loss = run.series["train_loss"]
    assert len(loss.y) == 2047
    assert np.isclose(loss.y[0], 52.58781051635742)
    assert np.isclose(loss.y[-1], 0.03612394630908966)


def test_quoted_and_unquoted_headerless_tables_load_alike(tmp_path):
    rows = [(i, 2.0 / i) for i in range(1, 30)]
    quoted = tmp_path / "quoted" / "losses.csv"
    plain = tmp_path / "plain" / "losses.csv"
    quoted.parent.mkdir()
    plain.parent.mkdir()
    quoted.write_text("".join(f'"{i}","{v}"\n' for i, v in rows))
    plain.write_text("".join(f"{i},{v}\n" for i, v in rows))
    (q,) = load_path(quoted)
    (p,) = load_path(plain)
    assert list(q.series) == list(p.series) == ["train_loss"]
    assert np.allclose(q.series["train_loss"].y, p.series["train_loss"].y)
    assert np.allclose(q.series["train_loss"].epoch, p.series["train_loss"].epoch)


def test_quoted_values_that_do_not_count_stay_losses(tmp_path):
    path = tmp_path / "losses.csv"
    path.write_text("".join(f'"{0.9 - i * 0.01}","{0.8 - i * 0.01}"\n' for i in range(20)))
    (run,) = load_path(path)
    assert set(run.series) >= {"loss_1", "loss_2"}
