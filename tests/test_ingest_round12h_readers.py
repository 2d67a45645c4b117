"""Reader gap met in corpus round 12 (share H, dev file), checked on the real file and on generated variants:

* a file of bare numbers whose name says 'loss' but names no phase (``loss_history.txt`` written by
  ``np.savetxt``) loaded its one curve as a role-less series ``loss_history``, so only the role-free checks
  ran ("partly diagnosed"). Such a stem now gets the same guess as an unnamed curve (``history.csv``): the
  training loss when it is the file's only curve and plainly falls like one, with a note saying so and how to
  give another role; a GAN loss name (``d_loss.txt``) is not guessed, and neither is a curve that does not fall.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.ingest import load_bytes, load_path
from trueloss_dash.roles import ROLELESS_WARNING

CORPUS = Path(__file__).parent / "data" / "corpus"


def _savetxt(values) -> bytes:
    return "".join(f"{v:.18e}\n" for v in values).encode()


def test_loss_history_real_file_reads_as_training_loss():
    run = load_path(CORPUS / "0lidaxiang__dp-predict-stock" / "loss_history.txt")[0]
    assert list(run.series) == ["train_loss"]
    y = run.series["train_loss"].y
    assert len(y) == 50
    assert y[0] == 6.914471011466883921e-01 and y[-1] == 6.205845807756547039e-01
    assert run.series["train_loss"].source_column == "loss_history"
    assert any("read as the training loss" in n and "loss_history" in n for n in run.notes)
    assert not any(w.startswith(ROLELESS_WARNING) for w in run.warnings)


def test_loss_named_variants_are_guessed_like_unnamed_curves():
    falling = 1.0 / (1.0 + 0.1 * np.arange(40))
    for name in ("loss_history.txt", "loss_log.csv", "loss_values.txt"):
        run = load_bytes(name, _savetxt(falling))[0]
        assert list(run.series) == ["train_loss"], name
        assert np.allclose(run.series["train_loss"].y, falling)
    # a phase-named file keeps its role without any guess
    val = load_bytes("val_loss.txt", _savetxt(falling))[0]
    assert list(val.series) == ["val_loss"] and "read_as_train_loss" not in val.meta


def test_gan_and_non_falling_loss_files_are_not_guessed():
    falling = 1.0 / (1.0 + 0.1 * np.arange(40))
    gan = load_bytes("d_loss.txt", _savetxt(falling))[0]
    assert list(gan.series) == ["d_loss"]
    assert any(w.startswith(ROLELESS_WARNING) for w in gan.warnings)
    rising = 0.5 + 0.01 * np.arange(40)
    flat = load_bytes("loss_history.txt", _savetxt(rising))[0]
    assert list(flat.series) == ["loss_history"]
    assert any(w.startswith(ROLELESS_WARNING) for w in flat.warnings)
