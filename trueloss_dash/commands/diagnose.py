"""`trueloss-dash diagnose PATH [--meta KEY=VALUE ...] [--role SRC=ROLE ...] [--format NAME] [--json]`.

Reads a log (any format the ingest layer knows), diagnoses every run in it and prints the report:
human-readable text by default, or exactly the report JSON with ``--json`` (one run: the report
object; several runs: ``{"reports": [...]}``). ``--meta`` fills the RunContext (dropout=0.5
batchnorm=true batch_size=4 ...) over what the log's header/sidecar says. Exit 0 whatever was found;
2 on unreadable input or a bad ``--meta`` value.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "diagnose",
        help="diagnose a training log: findings, likely causes, actions",
        description=__doc__.splitlines()[0].strip("`"),
        epilog="--json prints the report object for one run, {\"reports\": [...]} for a file holding several runs.",
    )
    parser.add_argument("path", metavar="PATH", help="log file or directory (Keras CSV, Lightning metrics.csv, trainer_state.json, ...)")
    parser.add_argument("--meta", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                        help="what is known about training: dropout=0.5 weight_decay=1e-3 penalty_in_loss=true "
                             "augmentation=true batchnorm=true batch_size=4 optimizer=adam lr=0.1")
    parser.add_argument("--format", default=None, metavar="NAME", help="force a reader instead of sniffing the format")
    from .inspect import add_role_argument

    add_role_argument(parser)
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print exactly the report JSON")
    out.add_argument("--markdown", action="store_true", help="print the report as Markdown")
    parser.set_defaults(func=run)


def parse_meta(items: list[str]):
    """``KEY=VALUE`` strings -> RunContext (raises ContextError with the offending item)."""
    from ..errors import ContextError
    from ..run import RunContext

    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ContextError(f"--meta {item!r}: expected KEY=VALUE, e.g. dropout=0.5")
        pairs[key.strip()] = value.strip()
    return RunContext.from_mapping(pairs)


def run(args: argparse.Namespace) -> int:
    from ..diagnose import diagnose
    from ..errors import ContextError
    from .inspect import load_with_roles

    try:
        override = parse_meta(args.meta)
    except ContextError as err:
        raise ContextError(f"bad --meta: {err}") from None
    runs = load_with_roles(args.path, format=args.format, roles=args.role)
    if not runs:
        from ..errors import LogFormatError

        raise LogFormatError("no training run found in it (expected a log with a loss column)", path=args.path)
    reports = [diagnose(r, context=override) for r in runs]
    if args.json:
        payload = reports[0].to_dict() if len(reports) == 1 else {"reports": [r.to_dict() for r in reports]}
        sys.stdout.write(json.dumps(payload, indent=2, allow_nan=False) + "\n")
    elif args.markdown:
        sys.stdout.write("\n".join(r.to_markdown() for r in reports))
    else:
        sys.stdout.write("\n".join(r.to_text() for r in reports))
    return 0
