"""Every cap a reader enforces, in one place.

A training log is small and regular; hostile input is small and explosive (a 342-byte YAML that
expands to gigabytes, a JSON-lines file whose every line adds a key, 100,000 columns). Each cap
below turns such input into a one-sentence refusal, so work and memory stay at most linear in
the input's size. docs/hardening.md lists the same numbers; a test checks they agree.
"""

from __future__ import annotations

MAX_BYTES = 256 * 1024 * 1024
"""Largest log file (or total of a zip's members) read, by default. ``--max-bytes`` raises it."""

MAX_SIDE_FILE_BYTES = 1024 * 1024
"""hparams.yaml, MLflow params/tags/meta.yaml, provenance sidecars: small by nature."""

MAX_COLUMNS = 5_000
"""Distinct columns (CSV header) or keys (JSON records, text logs) in one file."""

MAX_NESTING = 64
"""Depth of nested JSON objects / YAML collections / zip folders."""

MAX_YAML_NODES = 100_000
"""Nodes a YAML document may expand to once its aliases are followed (the "billion laughs")."""

MAX_LINE_BYTES = 4 * 1024 * 1024
"""One line of a JSON-lines log (one record of metrics is a few hundred bytes)."""

MAX_RUNS_PER_FILE = 1_000
"""Appended runs split out of one file (an axis that restarts this often is not appended runs)."""

MAX_POINTS_PER_SERIES = 20_000_000
"""Rows of a table / points of one metric (a 256 MB file of 2-byte rows would otherwise be 134M)."""

MAX_TEXT_SHAPES = 64
"""Line shapes a text log's block path self-checks per file (each check re-reads its line ~20 times)."""

MAX_TEXT_SHAPE_NUMBERS = 16
"""Numbers in a line whose shape may be self-checked; longer lines stay on the line-by-line grammar."""

MAX_ZIP_MEMBERS = 2_000
"""Files in one uploaded archive."""

MAX_ZIP_RATIO = 200
"""Uncompressed/compressed size per archive member over 1 MB; text logs compress ~5-20x."""

MAX_DIR_FILES = 2_000
"""Files walked in one run folder."""


def mb(n: int) -> str:
    """A byte count for sentences: '12.3 MB' for big sizes, 'N bytes' for small ones."""
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n} bytes"

MAX_CUT_ROWS = 5
"""Rows with fewer fields than the header (a line cut by an interrupted or resumed write) that a
CSV may hold and still be read, each skipped with a warning naming it; they must also be at most
``MAX_CUT_ROWS_SHARE`` of the rows. More than that is a broken table, refused at its first odd row."""

MAX_CUT_ROWS_SHARE = 0.02
