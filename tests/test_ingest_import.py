"""Importing the ingest layer stays light: no torch, Streamlit, Plotly, TensorBoard or mlflow."""

from __future__ import annotations

import json
import subprocess
import sys


def test_import_ingest_is_light(tmp_path):
    log = tmp_path / "a.csv"
    log.write_text("epoch,loss\n0,1\n1,0.5\n2,0.4\n")
    code = (
        "import sys, json\n"
        "import trueloss_dash.ingest as ing\n"
        "after_import = sorted(m for m in ('torch', 'streamlit', 'plotly', 'tensorboard', 'mlflow', 'pandas') if m in sys.modules)\n"
        f"ing.load_path({str(log)!r})\n"
        "after_csv = sorted(m for m in ('torch', 'streamlit', 'plotly', 'tensorboard', 'mlflow') if m in sys.modules)\n"
        "print(json.dumps([after_import, after_csv]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    after_import, after_csv = json.loads(out.stdout)
    assert after_import == []
    assert after_csv == []


def test_registry_covers_every_format():
    from trueloss_dash.ingest import FORMATS
    from trueloss_dash.ingest.registry import readers

    assert tuple(readers()) == FORMATS
    assert set(FORMATS) >= {"generic_csv", "keras_csv", "lightning_csv", "fastai_csv", "ultralytics_csv",
                            "hf_trainer_state", "jsonl", "detectron2_json", "wandb_jsonl", "tensorboard",
                            "mlflow", "dvclive", "text_log"}
