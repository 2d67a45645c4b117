"""`trueloss-dash inspect PATH [--format NAME] [--role SRC=ROLE ...] [--json] [--max-bytes N]`.

Shows what the ingest layer makes of a log: detected format, the runs found, each series with
its point count and x axes, the reader's notes and the data warnings. ``--json`` prints exactly
one JSON object ``{"runs": [...]}``. Exit 0 on success, 2 when the input is refused (the reason
on stderr).
"""

from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="show how a log is read: format, runs, series, notes, warnings",
        description="Show how a training log (file or run folder) is read: detected format, runs, "
        "series with point counts and x axes, notes and warnings.",
    )
    parser.add_argument("path", metavar="PATH", help="log file, run folder or .zip")
    parser.add_argument("--format", default=None, metavar="NAME", help="force a reader instead of sniffing")
    parser.add_argument("--json", action="store_true", help="print one JSON object {\"runs\": [...]}")
    parser.add_argument("--max-bytes", type=int, default=None, metavar="N", help="size limit per file (default 256 MiB)")
    add_role_argument(parser)
    parser.set_defaults(func=run)


def add_role_argument(parser) -> None:
    """``--role SRC=ROLE`` (repeatable), shared by inspect and diagnose."""
    parser.add_argument("--role", action="append", default=[], metavar="SRC=ROLE",
                        help="give a series a role, e.g. --role loss0=train_loss --role loss1=val_loss "
                             "(SRC is the column/tag name; ROLE a canonical name such as train_loss, val_loss, "
                             "true_train_loss, lr, or none)")


def load_with_roles(path, *, format=None, max_bytes=None, roles=()):
    """Load a log and apply ``--role`` mappings (RoleError names a bad one)."""
    from ..ingest import DEFAULT_MAX_BYTES, load_path
    from ..roles import apply_roles, parse_role_args

    mapping = parse_role_args(roles)
    runs = load_path(path, format=format, max_bytes=max_bytes or DEFAULT_MAX_BYTES)
    if not mapping:
        return runs
    unknown = [k for k in mapping if not any(_has_source(r, k) for r in runs)]
    if unknown:
        from ..roles import RoleError, source_names

        listed = ", ".join(sorted({n for r in runs for n in source_names(r).values()})[:30])
        raise RoleError(f"--role {unknown[0]}={mapping[unknown[0]] or 'none'}: no series {unknown[0]!r} in {path}; "
                        f"its series are [{listed}]")
    out = []
    for run in runs:
        wanted = {k: v for k, v in mapping.items() if _has_source(run, k)}
        out.append(apply_roles(run, wanted) if wanted else run)
    return out


def _has_source(run, name: str) -> bool:
    return name in run.series or any(s.source_column == name for s in run.series.values())


def describe(run) -> dict:
    """The JSON shape of one run (also used by tests and other commands)."""
    series = {}
    for name, s in run.series.items():
        axes = s.axes
        series[name] = {
            "points": len(s),
            "x": axes[0] if axes else None,
            "axes": axes,
            "nonfinite": s.n_nonfinite,
            "source_column": s.source_column,
        }
    return {
        "name": run.name,
        "format": run.format,
        "source": run.source,
        "series": series,
        "notes": list(run.notes),
        "warnings": list(run.warnings),
        "context": run.context.to_dict(),
    }


def _text(runs: list) -> str:
    lines = [f"{len(runs)} run{'s' if len(runs) != 1 else ''} found"]
    for run in runs:
        d = describe(run)
        lines.append("")
        lines.append(f"run: {d['name']}")
        lines.append(f"  format: {d['format']}")
        lines.append(f"  source: {d['source']}")
        lines.append("  series:")
        width = max((len(n) for n in d["series"]), default=0)
        for name, info in d["series"].items():
            extra = f", {info['nonfinite']} non-finite" if info["nonfinite"] else ""
            col = f"  <- {info['source_column']}" if info["source_column"] not in (None, name) else ""
            lines.append(f"    {name:<{width}}  {info['points']:>8} points  x: {', '.join(info['axes']) or '-'}{extra}{col}")
        ctx = {k: v for k, v in d["context"].items() if k != "extra"}
        if ctx:
            lines.append("  context: " + ", ".join(f"{k}={v}" for k, v in ctx.items()))
        for note in d["notes"]:
            lines.append(f"  note: {note}")
        for warning in d["warnings"]:
            lines.append(f"  WARNING: {warning}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    runs = load_with_roles(args.path, format=args.format, max_bytes=args.max_bytes, roles=args.role)
    if args.json:
        print(json.dumps({"runs": [describe(r) for r in runs]}, indent=2, default=str))
    else:
        print(_text(runs))
    return 0
