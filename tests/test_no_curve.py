"""A file with no curve (fewer than 3 points of any loss: a final summary, a test-only row, two
epochs) is refused by the loader with a sentence naming the file and what was expected - in the
library, the CLI and the page. The folder watcher still follows such a run (it grows from its first
point); the diagnosis then says "nothing to diagnose" and what would fix it."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from trueloss_dash.cli import main as cli_main
from trueloss_dash.diagnose import diagnose
from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_bytes, load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
SUMMARY = CORPUS / "harshtripathi272__ResNet-Optimization" / "wandb-summary.json"
EXPECTED = "expected a loss logged at least 3 times during training"
TWO_EPOCHS = b"epoch,loss,val_loss\n0,1.0,1.2\n1,0.8,1.0\n"


@pytest.mark.parametrize("rel, says", [
    ("harshtripathi272__ResNet-Optimization/wandb-summary.json", "train_loss: 1 point, val_loss: 1 point"),
    ("befawzy__Decision-transformers/trainer_state.json", "train_loss: 2 points"),
    ("DevilMayHide__LSTM-BADE03_Assignment/metrics.csv", "val_loss: 1 point"),
])
def test_real_files_without_a_curve_are_refused_with_a_sentence(rel, says):
    with pytest.raises(LogFormatError) as err:
        load_path(CORPUS / rel)
    msg = str(err.value)
    assert msg.startswith(str(CORPUS / rel)) and "no curve to diagnose" in msg and says in msg and EXPECTED in msg


def test_an_upload_of_two_epochs_is_refused_under_its_own_name():
    with pytest.raises(LogFormatError) as err:
        load_bytes("history.csv", TWO_EPOCHS)
    assert str(err.value).startswith("history.csv: no curve to diagnose") and "train_loss: 2 points" in str(err.value)
    three = load_bytes("history.csv", TWO_EPOCHS + b"2,0.7,0.9\n")  # one more epoch is a curve
    assert len(three[0].series["train_loss"]) == 3


def test_a_folder_loads_its_curves_and_names_the_summary_it_left_out(tmp_path):
    (tmp_path / "history.csv").write_bytes(TWO_EPOCHS + b"2,0.7,0.9\n3,0.6,0.85\n")
    (tmp_path / "summary.csv").write_bytes(b"loss,val_loss\n0.6,0.85\n")
    runs = load_path(tmp_path)
    assert len(runs) == 1 and len(runs[0].series["train_loss"]) == 4
    skipped = runs[0].meta["skipped_files"]
    assert len(skipped) == 1 and "summary.csv" in skipped[0] and "no curve to diagnose" in skipped[0]
    (tmp_path / "history.csv").unlink()
    with pytest.raises(LogFormatError) as err:
        load_path(tmp_path)
    assert "summary.csv" in str(err.value) and "no curve to diagnose" in str(err.value)


def test_a_run_followed_from_its_first_points_is_nothing_to_diagnose_yet(tmp_path):
    (tmp_path / "metrics.csv").write_bytes(TWO_EPOCHS)
    run = load_path(tmp_path, require_curve=False)[0]  # what the folder watcher reads
    rep = diagnose(run)
    assert rep.status == "nothing" and not rep.healthy
    assert rep.verdict.startswith("Nothing to diagnose") and "log the loss every epoch" in rep.verdict


def test_cli_says_the_sentence_and_exits_2(capsys):
    assert cli_main(["diagnose", str(SUMMARY)]) == 2
    err = capsys.readouterr().err
    assert "wandb-summary.json" in err and "no curve to diagnose" in err and "Traceback" not in err


def test_page_shows_the_sentence_not_a_traceback():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    at.run()
    at.file_uploader(key="uploader").set_value(("history.csv", TWO_EPOCHS, "text/csv")).run()
    assert not at.exception, at.exception
    errors = [html.unescape(e.value) for e in at.error]  # user text reaches the page as character references
    assert len(errors) == 1 and errors[0].startswith("history.csv: no curve to diagnose") and EXPECTED in errors[0]
    assert "Traceback" not in errors[0] and not at.get("plotly_chart")
