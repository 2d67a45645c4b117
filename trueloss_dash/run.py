"""The canonical run model every ring shares: readers produce it, diagnosis reads it, the trainer
emits it, the store persists it, the UI draws it.

A :class:`Run` is a bag of :class:`Series` keyed by canonical name (see :mod:`trueloss_dash.columns`)
plus metadata. Series keep their own x arrays (step, epoch, wall time - whichever the log had),
because real logs mix granularities: a step-level training loss beside an epoch-level validation
loss. Non-finite values are kept (and counted) rather than dropped: a NaN is a finding, not noise.

This module imports neither Streamlit, Plotly nor torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Iterable, Mapping

import numpy as np

from .columns import (
    CANONICAL_SERIES,
    CI_HIGH_SUFFIX,
    CI_LOW_SUFFIX,
    EPOCH,
    STEP,
    TRAIN_LOSS,
    VAL_LOSS,
    WALL_TIME,
    X_AXES,
)
from .errors import ContextError


def _as_float_array(values: Iterable[Any] | np.ndarray | None) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    return arr


@dataclass
class Series:
    """One measured quantity over time.

    ``y`` is float64; ``step``/``epoch``/``wall_time`` are float64 arrays of the same length or None.
    ``source_column`` is the column/tag the reader took it from (for messages and tooltips).
    """

    name: str
    y: np.ndarray
    step: np.ndarray | None = None
    epoch: np.ndarray | None = None
    wall_time: np.ndarray | None = None
    source_column: str | None = None

    def __post_init__(self) -> None:
        self.y = _as_float_array(self.y)
        n = len(self.y)
        for axis in X_AXES:
            arr = _as_float_array(getattr(self, axis))
            if arr is not None and len(arr) != n:
                raise ValueError(f"series {self.name!r}: {axis} has {len(arr)} values, y has {n}")
            setattr(self, axis, arr)

    def __len__(self) -> int:
        return len(self.y)

    @property
    def axes(self) -> list[str]:
        """The x axes this series has, in preference order (step, epoch, wall_time)."""
        return [a for a in X_AXES if getattr(self, a) is not None]

    def x(self, axis: str) -> np.ndarray | None:
        if axis not in X_AXES:
            raise ValueError(f"unknown x axis {axis!r}; expected one of {X_AXES}")
        return getattr(self, axis)

    @property
    def n_nonfinite(self) -> int:
        return len(self.y) - int(np.count_nonzero(np.isfinite(self.y)))

    def finite(self) -> "Series":
        """A copy holding only finite y values (for statistics; the run itself keeps them all)."""
        mask = np.isfinite(self.y)
        return self.take(mask)

    def take(self, index: np.ndarray) -> "Series":
        """Subset by boolean mask or integer index, keeping every x axis aligned."""
        return Series(
            name=self.name,
            y=self.y[index],
            step=None if self.step is None else self.step[index],
            epoch=None if self.epoch is None else self.epoch[index],
            wall_time=None if self.wall_time is None else self.wall_time[index],
            source_column=self.source_column,
        )

    def to_dict(self) -> dict[str, Any]:
        def enc(arr: np.ndarray | None) -> list[float | None] | None:
            # JSON has no NaN/inf: encode them as null (y keeps its exact values under "nonfinite").
            if arr is None:
                return None
            return [v if math.isfinite(v) else None for v in arr.tolist()]

        out: dict[str, Any] = {"name": self.name, "source_column": self.source_column, "y": enc(self.y)}
        # Non-finite y values are meaningful (divergence): keep which were +inf/-inf/nan.
        bad = ~np.isfinite(self.y)
        if bad.any():
            out["nonfinite"] = {int(i): repr(float(self.y[i])) for i in np.flatnonzero(bad)}
        for axis in X_AXES:
            out[axis] = enc(getattr(self, axis))
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Series":
        def dec(values: list[float | None] | None) -> np.ndarray | None:
            if values is None:
                return None
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        y = dec(data["y"])
        for idx, text in (data.get("nonfinite") or {}).items():
            y[int(idx)] = float(text)
        return cls(
            name=data["name"],
            y=y,
            step=dec(data.get(STEP)),
            epoch=dec(data.get(EPOCH)),
            wall_time=dec(data.get(WALL_TIME)),
            source_column=data.get("source_column"),
        )


_TRUE = {"1", "true", "yes", "y", "on", "t"}
_FALSE = {"0", "false", "no", "n", "off", "f", "none"}


def _parse_bool(key: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text == "":
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ContextError(f"{key}: found {value!r}, expected true or false")


def _parse_float(key: str, value: Any, *, lo: float | None = None, hi: float | None = None) -> float | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ContextError(f"{key}: found {value!r}, expected a number") from None
    if not math.isfinite(out):
        raise ContextError(f"{key}: found {value!r}, expected a finite number")
    if lo is not None and out < lo or hi is not None and out > hi:
        if hi is None:
            expected = f"a value >= {lo:g}"
        elif lo is None:
            expected = f"a value <= {hi:g}"
        else:
            expected = f"a value in [{lo:g}, {hi:g}]"
        raise ContextError(f"{key}: found {out:g}, expected {expected}")
    return out


def _parse_int(key: str, value: Any) -> int | None:
    out = _parse_float(key, value, lo=0)
    if out is None:
        return None
    if out != int(out):
        raise ContextError(f"{key}: found {value!r}, expected a whole number")
    return int(out)


@dataclass
class RunContext:
    """What is known about how the run was trained. Every field is optional (None = unknown).

    The diagnosis uses it to tell inverted-gap causes apart: dropout, a penalty inside the loss,
    augmentation and batch-norm with small batches each make the reported training loss higher
    than the model's true training loss.
    """

    dropout: float | None = None
    weight_decay: float | None = None
    penalty_in_loss: bool | None = None  # True: L1/L2 added to the reported loss (Keras regularizers)
    augmentation: bool | None = None
    batchnorm: bool | None = None
    batch_size: int | None = None
    optimizer: str | None = None
    lr: float | None = None
    n_train: int | None = None
    n_val: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    _FLOATS = {"dropout": (0.0, 1.0), "weight_decay": (0.0, None), "lr": (0.0, None)}
    _BOOLS = ("penalty_in_loss", "augmentation", "batchnorm")
    _INTS = ("batch_size", "n_train", "n_val")

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name != "extra"]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, *, strict: bool = True) -> "RunContext":
        """Build from loosely typed key/values (CLI ``--meta``, sidecars, UI form).

        Unknown keys go to ``extra``. With ``strict=False`` bad values are dropped into ``extra``
        instead of raising (sidecars written by other tools should not stop a load).
        """
        ctx = cls()
        for raw_key, value in (data or {}).items():
            key = str(raw_key).strip().lower().replace("-", "_")
            if key == "extra" and isinstance(value, Mapping):  # to_dict() output round-trips
                ctx.extra.update(value)
                continue
            try:
                ctx._set(key, value)
            except ContextError:
                if strict:
                    raise
                ctx.extra[key] = value
        return ctx

    def _set(self, key: str, value: Any) -> None:
        if key in self._FLOATS:
            lo, hi = self._FLOATS[key]
            setattr(self, key, _parse_float(key, value, lo=lo, hi=hi))
        elif key in self._BOOLS:
            setattr(self, key, _parse_bool(key, value))
        elif key in self._INTS:
            setattr(self, key, _parse_int(key, value))
        elif key == "optimizer":
            setattr(self, key, None if value in (None, "") else str(value))
        else:
            self.extra[key] = value

    def merged(self, override: "RunContext") -> "RunContext":
        """Fields set in ``override`` win; the rest come from self."""
        out = RunContext(**{k: getattr(self, k) for k in self.field_names()}, extra=dict(self.extra))
        for k in self.field_names():
            v = getattr(override, k)
            if v is not None:
                setattr(out, k, v)
        out.extra.update(override.extra)
        return out

    def to_dict(self, *, include_unset: bool = False) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.field_names()}
        if not include_unset:
            out = {k: v for k, v in out.items() if v is not None}
        if self.extra:
            out["extra"] = dict(self.extra)
        return out

    def is_empty(self) -> bool:
        return all(getattr(self, k) is None for k in self.field_names())


@dataclass
class Run:
    """A training run in canonical form.

    ``notes`` explain choices the reader made (e.g. "train_loss is the sum of box, cls and dfl
    losses"); ``warnings`` flag problems in the data (NaN values, duplicate steps, restarted
    epochs). Both travel with the run so every ring can show them.
    """

    name: str
    series: dict[str, Series] = field(default_factory=dict)
    source: str | None = None
    format: str | None = None
    context: RunContext = field(default_factory=RunContext)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # free-form facts (trainer config, hparams ...)

    # -- access ---------------------------------------------------------------------------------
    def __contains__(self, name: str) -> bool:
        return name in self.series

    def get(self, name: str) -> Series | None:
        return self.series.get(name)

    def add(self, series: Series) -> None:
        self.series[series.name] = series

    @property
    def canonical_names(self) -> list[str]:
        return [n for n in CANONICAL_SERIES if n in self.series]

    @property
    def extra_names(self) -> list[str]:
        return [n for n in self.series if n not in CANONICAL_SERIES]

    def band(self, name: str) -> tuple[Series, Series] | None:
        """The (low, high) confidence band of a series, when the run has one."""
        lo, hi = self.series.get(name + CI_LOW_SUFFIX), self.series.get(name + CI_HIGH_SUFFIX)
        return (lo, hi) if lo is not None and hi is not None else None

    def axes(self) -> list[str]:
        """X axes shared by the loss series (falls back to any axis some series has)."""
        losses = [self.series[n] for n in (TRAIN_LOSS, VAL_LOSS) if n in self.series]
        pool = losses or list(self.series.values())
        if not pool:
            return []
        common = [a for a in X_AXES if all(getattr(s, a) is not None for s in pool)]
        if common:
            return common
        return [a for a in X_AXES if any(getattr(s, a) is not None for s in pool)]

    def preferred_axis(self) -> str:
        """Epoch when the losses share it (most readable), else step, else wall time."""
        axes = self.axes()
        for a in (EPOCH, STEP, WALL_TIME):
            if a in axes:
                return a
        return STEP

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    # -- serialisation --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "format": self.format,
            "context": self.context.to_dict(),
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "meta": self.meta,
            "series": {k: s.to_dict() for k, s in self.series.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Run":
        return cls(
            name=data["name"],
            source=data.get("source"),
            format=data.get("format"),
            context=RunContext.from_mapping(data.get("context") or {}, strict=False),
            notes=list(data.get("notes") or []),
            warnings=list(data.get("warnings") or []),
            meta=dict(data.get("meta") or {}),
            series={k: Series.from_dict(v) for k, v in (data.get("series") or {}).items()},
        )

    def to_frame(self):  # -> pandas.DataFrame (pandas imported lazily: core users may not need it)
        """Long-form table: one row per (series, point) with every x axis; used for CSV export."""
        import pandas as pd

        frames = []
        for name, s in self.series.items():
            frame = {"series": name, "value": s.y}
            for axis in X_AXES:
                arr = getattr(s, axis)
                frame[axis] = arr if arr is not None else np.full(len(s), np.nan)
            frames.append(pd.DataFrame(frame))
        if not frames:
            return pd.DataFrame(columns=["series", "value", *X_AXES])
        return pd.concat(frames, ignore_index=True)[["series", *X_AXES, "value"]]
