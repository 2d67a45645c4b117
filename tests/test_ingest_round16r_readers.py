"""Reader fixes found by corpus round 16 (helper corpusR), tested on the real file and generated variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_header_only_message_stays_short_on_a_file_without_line_breaks(tmp_path):
    # A 10 KB file of comma-separated fields with no newline at all is one 'header' line; the refusal used to
    # quote every byte of it. (greatvalley/test, the file that showed it, now loads: its one line is epoch
    # records, parted at their '第N轮' markers - tests/test_ingest_round18x_readers.py.)
    path = tmp_path / "train_log.txt"
    path.write_text(", ".join(f"field number {i} of a record that never ends" for i in range(250)))
    with pytest.raises(LogFormatError) as info:
        load_path(path)
    message = str(info.value)
    assert "header only" in message and "train_log.txt" in message
    assert "more" in message and len(message) < 600


def test_header_only_message_lists_a_short_header_in_full(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("epoch,loss,val_loss\n")
    with pytest.raises(LogFormatError) as info:
        load_path(path)
    assert "header only (epoch, loss, val_loss)" in str(info.value)


def test_header_only_message_shortens_long_column_names(tmp_path):
    path = tmp_path / "history.csv"
    names = [f"metric_{i}_" + "x" * 60 for i in range(12)]
    path.write_text(",".join(names) + "\n")
    with pytest.raises(LogFormatError) as info:
        load_path(path)
    message = str(info.value)
    assert "... and 4 more" in message and names[0] not in message and len(message) < 600
