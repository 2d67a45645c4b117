"""Hyper-parameters logged beside a run (Lightning hparams.yaml / meta_tags.csv, MLflow params,
TensorBoard hparams plugin) -> :class:`RunContext`.

Values are arbitrary (Python reprs, quoted lists, nested dicts): YAML is parsed with a safe loader
that turns unknown tags into plain text, nothing is ever evaluated, and keys we cannot map are
kept in ``context.extra``.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Mapping

from ..run import RunContext

# Known key spellings -> RunContext field (matched on the last dotted component, lower-case).
KEY_MAP = {
    "dropout": "dropout", "dropout_rate": "dropout", "drop_rate": "dropout", "p_dropout": "dropout",
    "dropout_p": "dropout", "dropout_prob": "dropout", "hidden_dropout_prob": "dropout",
    "lr": "lr", "learning_rate": "lr", "lr0": "lr", "base_lr": "lr", "max_lr": "lr", "init_lr": "lr",
    "batch_size": "batch_size", "bs": "batch_size", "train_batch_size": "batch_size",
    "per_device_train_batch_size": "batch_size", "batch": "batch_size",
    "weight_decay": "weight_decay", "wd": "weight_decay",
    "optimizer": "optimizer", "optim": "optimizer", "optimizer_name": "optimizer", "opt": "optimizer",
}


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def context_from_params(params: Mapping[str, Any]) -> RunContext:
    """Map known keys onto RunContext fields; everything is kept in ``extra`` as plain data."""
    flat = _flatten(params)
    mapped: dict[str, Any] = {}
    for key, value in flat.items():
        field_name = KEY_MAP.get(str(key).rsplit(".", 1)[-1].strip().lower())
        if field_name and field_name not in mapped and not isinstance(value, (list, dict)):
            if isinstance(value, str) and field_name != "optimizer":
                value = value.strip().strip("'\"")
            mapped[field_name] = value
    ctx = RunContext.from_mapping(mapped, strict=False)
    for key, value in flat.items():
        ctx.extra.setdefault(f"hparam.{key}", _plain(value))
    return ctx


def parse_yaml(text: str) -> dict[str, Any]:
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    def _unknown(loader, suffix, node):  # !!python/object ... -> its text, never constructed
        if isinstance(node, yaml.MappingNode):
            items = {str(loader.construct_object(k)): str(loader.construct_object(v)) for k, v in node.value}
            return items or node.tag
        if isinstance(node, yaml.SequenceNode):
            return [str(loader.construct_object(v)) for v in node.value]
        return str(node.value)

    _Loader.add_multi_constructor("", _unknown)
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def parse_meta_tags(text: str) -> dict[str, Any]:
    """Legacy Lightning/test-tube ``meta_tags.csv``: ``key,value`` rows."""
    rows = list(csv.reader(io.StringIO(text)))
    out = {}
    for row in rows[1:] if rows and [c.strip().lower() for c in rows[0][:2]] == ["key", "value"] else rows:
        if len(row) >= 2 and row[0].strip():
            out[row[0].strip()] = row[1]
    return out
