"""`trueloss-dash inspect PATH [--format NAME] [--json] [--max-bytes N]`.

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
    parser.set_defaults(func=run)


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
    from ..ingest import DEFAULT_MAX_BYTES, load_path

    runs = load_path(args.path, format=args.format, max_bytes=args.max_bytes or DEFAULT_MAX_BYTES)
    if args.json:
        print(json.dumps({"runs": [describe(r) for r in runs]}, indent=2, default=str))
    else:
        print(_text(runs))
    return 0
