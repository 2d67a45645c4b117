"""Format probe: console output and log files of common training libraries, generated in each
library's own line format (written from the formats as the libraries print them, with a decaying
loss), loaded with ``load_path``. For each: the format detected, whether the training and the held-out
loss got their roles, or the refusal. Nobody labelled these; what a mature tool should read, it must.

    .venv/bin/python benchmarks/probe_formats.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trueloss_dash.columns import TRAIN_LOSS, VAL_LOSS  # noqa: E402
from trueloss_dash.errors import LogFormatError  # noqa: E402
from trueloss_dash.ingest import load_path  # noqa: E402

from probe_format_samples import SAMPLES  # noqa: E402


def probe() -> list[tuple[str, str, str]]:
    """(library, format or 'REFUSED', what loaded / why) per sample."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (fname, lines, held_out) in SAMPLES.items():
            path = Path(tmp) / fname
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            try:
                run = load_path(path)[0]
            except LogFormatError as err:
                out.append((name, "REFUSED", str(err).split(": ", 1)[-1][:90]))
                continue
            missing = [r for r, want in ((TRAIN_LOSS, True), (VAL_LOSS, held_out)) if want and r not in run.series]
            if not held_out and VAL_LOSS in run.series:  # a held-out loss the library does not print: a wrong role
                missing.append(f"(wrong) val_loss from {run.series[VAL_LOSS].source_column!r}")
            out.append((name, run.format, ("MISSING " + ", ".join(missing)) if missing else
                        "train_loss" + (" + val_loss" if held_out else "")))
    return out


def main() -> None:
    rows = probe()
    ok = sum(1 for _, f, what in rows if f != "REFUSED" and not what.startswith("MISSING"))
    print(f"{'library':34} {'format':14} roles")
    for name, fmt, what in rows:
        print(f"{name:34} {fmt:14} {what}")
    print(f"{ok}/{len(rows)} read with their loss roles")


if __name__ == "__main__":
    main()
