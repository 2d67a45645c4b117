"""The canonical model: aliases, context parsing, series alignment, serialisation round trips."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from trueloss_dash import columns as C
from trueloss_dash.errors import ContextError, LogFormatError
from trueloss_dash.provenance import format_header, parse_header, read_sidecar, sidecar_path
from trueloss_dash.run import Run, RunContext, Series


@pytest.mark.parametrize(
    "column, canonical",
    [
        ("loss", C.TRAIN_LOSS), ("Train Loss", C.TRAIN_LOSS), ("train/loss", C.TRAIN_LOSS),
        ("train_loss_epoch", C.TRAIN_LOSS), ("val_loss", C.VAL_LOSS), ("valid_loss", C.VAL_LOSS),
        ("eval_loss", C.VAL_LOSS), ("val/loss", C.VAL_LOSS), ("base_loss", C.TRUE_TRAIN_LOSS),
        ("learning_rate", C.LR), ("lr-SGD", C.LR), ("lr/pg0", C.LR), ("val_acc", C.VAL_ACC),
        ("acc", C.TRAIN_ACC), ("grad_norm", C.GRAD_NORM), ("test_loss", C.VAL_LOSS),
        ("train/box_loss", None), ("dice_coef", None),
    ],
)
def test_alias_table_folds_case_spaces_and_separators(column, canonical):
    assert C.canonical_series(column) == canonical


def test_flagged_aliases_and_x_axes():
    assert C.is_flagged_alias("test_loss") and not C.is_flagged_alias("val_loss")
    assert C.canonical_x("global_step") == C.STEP
    assert C.canonical_x("Epoch") == C.EPOCH
    assert C.canonical_x("created_at") == C.WALL_TIME
    assert C.is_lr_column("lr-Adam/pg1") and C.is_lr_column("x/lr2") and not C.is_lr_column("loss")


def test_context_parses_loose_strings_and_rejects_bad_values():
    ctx = RunContext.from_mapping(
        {"dropout": "0.5", "batchnorm": "true", "batch_size": "4", "penalty-in-loss": "yes", "note": "x"}
    )
    assert (ctx.dropout, ctx.batchnorm, ctx.batch_size, ctx.penalty_in_loss) == (0.5, True, 4, True)
    assert ctx.extra == {"note": "x"}
    with pytest.raises(ContextError, match="dropout: found 1.5, expected a value in"):
        RunContext.from_mapping({"dropout": 1.5})
    with pytest.raises(ContextError, match="weight_decay: found -1, expected a value >= 0"):
        RunContext.from_mapping({"weight_decay": "-1"})
    with pytest.raises(ContextError, match="batch_size: found -4, expected a value >= 0"):
        RunContext.from_mapping({"batch_size": -4})
    with pytest.raises(ContextError, match="batch_size: found 'four', expected a number"):
        RunContext.from_mapping({"batch_size": "four"})
    lenient = RunContext.from_mapping({"batchnorm": "maybe"}, strict=False)
    assert lenient.batchnorm is None and lenient.extra == {"batchnorm": "maybe"}


def test_context_merge_prefers_override():
    base = RunContext(dropout=0.2, batch_size=32)
    merged = base.merged(RunContext(dropout=0.5))
    assert merged.dropout == 0.5 and merged.batch_size == 32 and base.dropout == 0.2


def test_series_rejects_misaligned_axes():
    with pytest.raises(ValueError, match="epoch has 2 values, y has 3"):
        Series("train_loss", [1, 2, 3], epoch=[0, 1])


def test_run_round_trips_through_json_keeping_nonfinite_values():
    run = Run(
        name="r",
        format="keras_csv",
        context=RunContext(dropout=0.3),
        notes=["n"],
        warnings=["w"],
    )
    run.add(Series(C.TRAIN_LOSS, [1.0, math.nan, math.inf, 0.5], epoch=[0, 1, 2, 3]))
    run.add(Series(C.VAL_LOSS, [1.1, 0.9], step=[10, 20], epoch=[0.5, 1.0]))
    back = Run.from_dict(json.loads(json.dumps(run.to_dict())))
    y = back.get(C.TRAIN_LOSS).y
    assert y[0] == 1.0 and math.isnan(y[1]) and y[2] == math.inf and y[3] == 0.5
    assert back.get(C.TRAIN_LOSS).n_nonfinite == 2
    assert back.context.dropout == 0.3 and back.notes == ["n"] and back.warnings == ["w"]
    assert back.axes() == [C.EPOCH] and back.preferred_axis() == C.EPOCH
    frame = back.to_frame()
    assert set(frame["series"]) == {C.TRAIN_LOSS, C.VAL_LOSS} and len(frame) == 6


def test_provenance_header_and_sidecar(tmp_path):
    line = format_header(RunContext(dropout=0.5, augmentation=True), {"preset": "dropout"})
    ctx, meta = parse_header(line)
    assert ctx.dropout == 0.5 and ctx.augmentation is True and meta == {"preset": "dropout"}
    assert parse_header("epoch,loss") is None
    log = tmp_path / "run.csv"
    log.write_text("epoch,loss\n0,1\n")
    assert read_sidecar(log) is None
    sidecar_path(log).write_text(json.dumps({"context": {"batchnorm": True, "batch_size": 4}}))
    ctx, _ = read_sidecar(log)
    assert ctx.batchnorm is True and ctx.batch_size == 4


def test_log_format_error_names_file_row_and_column():
    err = LogFormatError("found 'abc', expected a number", path="m.csv", row=12, column="val_loss")
    assert str(err) == "m.csv, row 12, column 'val_loss': found 'abc', expected a number"


def test_core_imports_no_heavy_ui_or_torch_modules():
    code = (
        "import sys, trueloss_dash.run, trueloss_dash.columns, trueloss_dash.provenance, trueloss_dash.cli;"
        "bad=[m for m in ('torch','streamlit','plotly') if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cli_survives_a_closed_pipe(tmp_path, monkeypatch):
    """`trueloss-dash inspect ... | head`: the reader closing the pipe is not a traceback."""
    import io

    from trueloss_dash.cli import main

    class ClosedPipe(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    log = tmp_path / "h.csv"
    log.write_text("epoch,loss,val_loss\n" + "".join(f"{i},{1/(i+1)},{1.1/(i+1)}\n" for i in range(20)))
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["inspect", str(log)]) == 0


def test_context_extra_survives_a_dict_round_trip():
    ctx = RunContext.from_mapping({"dropout": 0.1, "schedule": "cosine", "seed": 3})
    back = RunContext.from_mapping(ctx.to_dict())
    assert back.extra == {"schedule": "cosine", "seed": 3} and back.dropout == 0.1
