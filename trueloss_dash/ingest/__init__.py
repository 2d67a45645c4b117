"""Ingestion: training logs in the formats people really have -> canonical :class:`~trueloss_dash.run.Run`.

    from trueloss_dash.ingest import load_path, load_bytes, load_mlflow_uri, FORMATS, DEFAULT_MAX_BYTES

- :func:`load_path` - a file or a run folder (Lightning ``version_N/``, TensorBoard run dir,
  ``mlruns/`` tree or one MLflow run, ``dvclive/``);
- :func:`load_bytes` - an upload (a log file or a ``.zip`` of a run folder, unpacked safely);
- :func:`load_mlflow_uri` - an MLflow tracking URI (needs the optional ``mlflow`` extra).

Formats are detected by content; ``format=`` (one of :data:`FORMATS`) overrides detection.
Every refusal is a :class:`~trueloss_dash.errors.LogFormatError` with a complete message.
Importing this package is cheap: readers, pandas/pyarrow, tensorboard and mlflow load only when
a file needs them. See ``docs/ingest.md``.
"""

from .loader import DEFAULT_MAX_BYTES, detect, load_bytes, load_mlflow_uri, load_path, load_source
from .registry import FORMATS
from .source import Source

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "Source",
    "detect",
    "load_bytes",
    "load_mlflow_uri",
    "load_path",
    "load_source",
]
