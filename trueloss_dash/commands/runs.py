"""`trueloss-dash runs list|show|diagnose|rm|rename`: the run store from a terminal or CI.

Ids may be abbreviated to any unique prefix. ``rm`` asks before deleting; without a terminal
(CI, pipes) it refuses unless ``--yes`` is given - deleting is the one thing we never guess at.
"""

from __future__ import annotations

import json
import sys
import time


def register(subparsers) -> None:
    parser = subparsers.add_parser("runs", help="list, show, rename or delete stored runs",
                                   description=__doc__.splitlines()[0].strip("`"))
    parser.add_argument("--home", help="data directory (default: $TRUELOSS_DASH_HOME or the user data dir)")
    sub = parser.add_subparsers(dest="runs_command", metavar="ACTION")

    p = sub.add_parser("list", help="list stored runs, newest first")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_list)

    p = sub.add_parser("show", help="show one run: metadata, context, series")
    p.add_argument("run_id", metavar="ID")
    p.add_argument("--json", action="store_true", help="print the whole run as JSON (with series values)")
    p.set_defaults(func=_show)

    p = sub.add_parser("diagnose", help="re-diagnose a stored run (same output as `trueloss-dash diagnose`)")
    p.add_argument("run_id", metavar="ID")
    p.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE",
                   help="override what is known about training, e.g. --meta dropout=0.5 (repeatable)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print exactly the report JSON")
    out.add_argument("--markdown", action="store_true", help="print the report as Markdown")
    p.set_defaults(func=_diagnose)

    p = sub.add_parser("rm", help="delete a run (asks for confirmation)")
    p.add_argument("run_id", metavar="ID")
    p.add_argument("--yes", "-y", action="store_true", help="delete without asking")
    p.set_defaults(func=_rm)

    p = sub.add_parser("rename", help="give a run a new name")
    p.add_argument("run_id", metavar="ID")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=_rename)

    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def _open(args):
    from ..store import open_store

    store = open_store(args.home)
    if store.status_message:
        print(f"trueloss-dash runs: {store.status_message}", file=sys.stderr)
    return store


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _list(args) -> int:
    with _open(args) as store:
        infos = store.list()
    if args.json:
        print(json.dumps([i.to_dict() for i in infos], indent=2))
        return 0
    if not infos:
        print("no stored runs")
        return 0
    header = ("ID", "NAME", "FORMAT", "STATUS", "POINTS", "CREATED")
    rows = [(i.id, i.name, i.format or "-", i.status, str(i.n_points), _when(i.created)) for i in infos]
    widths = [min(40, max(len(r[k]) for r in rows + [header])) for k in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(_clip(cell, w).ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())  # names are user text: no newlines/tabs in a table
    return text if len(text) <= width else text[: width - 1] + "…"


def _show(args) -> int:
    with _open(args) as store:
        run_id = store.resolve(args.run_id)
        info = store.info(run_id)
        run = store.load(run_id)
    if args.json:
        print(json.dumps({"info": info.to_dict(), "run": run.to_dict()}, indent=2))
        return 0
    print(f"id:       {info.id}")
    print(f"name:     {info.name}")
    print(f"status:   {info.status}")
    print(f"format:   {info.format or '-'}")
    print(f"source:   {info.source or '-'}")
    print(f"created:  {_when(info.created)}   updated: {_when(info.updated)}")
    ctx = run.context.to_dict()
    print("context:  " + (", ".join(f"{k}={v}" for k, v in ctx.items()) if ctx else "(none recorded)"))
    print("series:")
    for name, s in run.series.items():
        last = f"{s.y[-1]:.6g}" if len(s) else "-"
        print(f"  {name:<24} {len(s):>8} points  axes: {','.join(s.axes) or '-'}  last: {last}")
    for label, items in (("notes", run.notes), ("warnings", run.warnings)):
        for item in items:
            print(f"{label[:-1]}: {item}")
    return 0


def _diagnose(args) -> int:
    from ..diagnose import diagnose
    from ..errors import ContextError
    from .diagnose import parse_meta

    try:
        override = parse_meta(args.meta)
    except ContextError as err:
        raise ContextError(f"bad --meta: {err}") from None
    with _open(args) as store:
        run = store.load(store.resolve(args.run_id))
    report = diagnose(run, context=override)
    if args.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n")
    elif args.markdown:
        sys.stdout.write(report.to_markdown())
    else:
        sys.stdout.write(report.to_text())
    return 0


def _rm(args) -> int:
    from ..store import StoreError

    with _open(args) as store:
        run_id = store.resolve(args.run_id)
        info = store.info(run_id)
        if not args.yes:
            if not sys.stdin or not sys.stdin.isatty():
                raise StoreError(f"refusing to delete run {run_id} ({info.name!r}) without confirmation: "
                                 "no terminal to ask on; pass --yes to delete")
            answer = input(f"Delete run {run_id} ({info.name!r}, {info.n_points} points)? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("not deleted")
                return 1
        store.delete(run_id)
    print(f"deleted run {run_id} ({info.name})")
    return 0


def _rename(args) -> int:
    with _open(args) as store:
        run_id = store.resolve(args.run_id)
        store.rename(run_id, args.name)
    print(f"renamed run {run_id} to {args.name.strip()!r}")
    return 0
