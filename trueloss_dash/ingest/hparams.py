"""Hyper-parameters logged beside a run (Lightning hparams.yaml / meta_tags.csv, MLflow params,
TensorBoard hparams plugin) -> :class:`RunContext`.

Values are arbitrary (Python reprs, quoted lists, nested dicts): YAML is parsed with a safe loader
that turns unknown tags into plain text, nothing is ever evaluated, and keys we cannot map are
kept in ``context.extra``. A safe loader still follows aliases, so a few hundred bytes of nested
``*alias`` references ("billion laughs") expand to gigabytes: the document's node graph is
composed first (aliases are shared nodes there, so this is linear), its expanded size is counted
with memoisation, and a document past :data:`~.limits.MAX_YAML_NODES` is refused before anything
is constructed.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Mapping

from ..errors import LogFormatError
from ..run import RunContext
from .limits import MAX_NESTING, MAX_YAML_NODES

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


MAX_PARAMS = 2_000  # flattened hyper-parameters kept in context.extra
MAX_LIST_ITEMS = 100  # items of one list value kept (a hyper-parameter list is short)


def _flatten(data: Mapping[str, Any], prefix: str = "", depth: int = 0, out: dict | None = None) -> dict[str, Any]:
    out = {} if out is None else out
    for k, v in data.items():
        if len(out) >= MAX_PARAMS:
            break
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and depth < MAX_NESTING:
            _flatten(v, key + ".", depth + 1, out)
        else:
            out[key] = v
    return out


def _plain(value: Any, depth: int = 0) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)) and depth < MAX_NESTING:
        return [_plain(v, depth + 1) for v in value[:MAX_LIST_ITEMS]]
    return str(value)[:200]


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


def _check_expansion(root, display: str | None) -> None:
    """Refuse a composed YAML node graph whose alias-expanded size or depth is past the caps."""
    import yaml

    sizes: dict[int, int] = {}
    # Iterative post-order walk with memoised subtree sizes: shared (aliased) nodes count once per
    # reference, exactly as construction would copy them, without ever expanding them.
    stack: list[tuple[Any, int, bool]] = [(root, 0, False)]
    on_path: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node, yaml)
            total = 1 + sum(sizes[id(c)] for c in children)
            if total > MAX_YAML_NODES:
                raise LogFormatError(
                    f"YAML expands to more than {MAX_YAML_NODES:,} values through its aliases "
                    "(a 'billion laughs' document); not read",
                    path=display,
                )
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise LogFormatError("YAML alias refers to its own ancestor (a recursive document); not read", path=display)
        if depth > MAX_NESTING:
            raise LogFormatError(f"YAML nested more than {MAX_NESTING} levels deep; not read", path=display)
        on_path.add(key)
        stack.append((node, depth, True))
        for child in _children(node, yaml):
            if id(child) not in sizes:
                stack.append((child, depth + 1, False))


def _children(node, yaml) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def parse_yaml(text: str, display: str | None = None) -> dict[str, Any]:
    """A YAML mapping, or {} when the text is not YAML; LogFormatError past the expansion caps."""
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
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        _check_expansion(node, display)
        data = loader.construct_document(node)
    except (yaml.YAMLError, RecursionError):
        return {}
    finally:
        loader.dispose()
    return data if isinstance(data, dict) else {}


def parse_meta_tags(text: str) -> dict[str, Any]:
    """Legacy Lightning/test-tube ``meta_tags.csv``: ``key,value`` rows."""
    rows = list(csv.reader(io.StringIO(text)))
    out = {}
    for row in rows[1:] if rows and [c.strip().lower() for c in rows[0][:2]] == ["key", "value"] else rows:
        if len(row) >= 2 and row[0].strip():
            out[row[0].strip()] = row[1]
    return out
