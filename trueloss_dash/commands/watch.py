"""`trueloss-dash watch DIR [--fail-on warning|critical] [--json]`: diagnose runs as they grow.

Follows every run under DIR (Lightning, TensorBoard, HF, Ultralytics, MLflow, Keras CSV, JSON lines,
text logs) and prints each new WARNING/CRITICAL finding as it appears, one line each (``--json``:
one JSON object per line). With ``--fail-on LEVEL`` it exits 1 at the first finding at or above
LEVEL, so a wrapper can stop a diverging job. Exit 0 when stopped (Ctrl-C, ``--until-idle``) with
nothing at the level; 2 when DIR cannot be watched.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

EPILOG = """\
example - stop a training job as soon as it diverges:

  python train.py & train=$!
  trueloss-dash watch lightning_logs/ --only-active --fail-on critical --until-idle 300
  if [ $? -eq 1 ]; then kill $train; echo "stopped: diverged"; fi

exit codes: 0 nothing at the --fail-on level, 1 a finding at/above it, 2 bad folder.
"""


def register(subparsers) -> None:
    p = subparsers.add_parser("watch", help="follow a log folder and print each new finding as it appears",
                              description=__doc__.splitlines()[0].strip("`"), epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", metavar="DIR", help="the folder your training writes its logs to (searched recursively)")
    p.add_argument("--fail-on", choices=("warning", "critical"), default=None,
                   help="exit 1 at the first new finding at or above this severity")
    p.add_argument("--json", action="store_true", help="print one JSON object per finding on stdout")
    p.add_argument("--interval", type=float, default=1.0, metavar="S", help="poll interval in seconds (default 1)")
    p.add_argument("--until-idle", type=float, default=None, metavar="S",
                   help="exit 0 once no run has been written for S seconds (default: run until Ctrl-C)")
    p.add_argument("--only-active", action="store_true",
                   help="ignore runs not written since the watch started (old experiments in the same folder)")
    p.add_argument("--max-bytes", type=int, default=None, metavar="N", help="per-file size cap (default: the upload cap)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import TruelossError
    from ..watch import Watcher
    from ..watch.status import SEVERITY_RANK

    if args.interval <= 0:
        raise TruelossError(f"--interval: found {args.interval}, expected a number of seconds above 0")
    kwargs = {"poll_seconds": args.interval}
    if args.max_bytes:
        kwargs["max_bytes"] = args.max_bytes
    watcher = Watcher(args.dir, **kwargs)
    watcher.diagnose_budget = watcher.discovery_budget = float("inf")  # no page to keep responsive
    threshold = SEVERITY_RANK[args.fail_on] if args.fail_on else None
    out = sys.stdout
    started = time.time()
    watcher.start()
    try:
        snap = watcher.wait(0, timeout=30)
        _announce(snap, args.json, out)
        printed = 0
        while True:
            for alert in snap.alerts:
                if alert.seq <= printed:
                    continue
                printed = alert.seq
                if args.only_active:
                    row = snap.run(alert.run_key)
                    if row is None or row.last_write < started - 1.0:
                        continue
                out.write((json.dumps(alert.to_dict()) if args.json else _stamp(alert.time) + " " + alert.line()) + "\n")
                out.flush()
                if threshold is not None and SEVERITY_RANK.get(alert.severity, 0) >= threshold:
                    if not args.json:
                        print(f"trueloss-dash watch: {alert.severity} finding in {alert.run_label}; exiting 1 "
                              f"(--fail-on {args.fail_on})", file=sys.stderr)
                    return 1
            if args.until_idle is not None:
                last = max((r.last_write for r in snap.runs), default=0.0)
                if time.time() - max(last, started) >= args.until_idle:
                    print(f"trueloss-dash watch: no run written for {args.until_idle:g} s; done", file=sys.stderr)
                    return 0
            snap = watcher.wait(snap.version, timeout=min(args.interval, args.until_idle or args.interval))
    except KeyboardInterrupt:
        return 0
    finally:
        watcher.stop()


def _stamp(t: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(t))


def _announce(snap, as_json: bool, out) -> None:
    """What is being watched, on stderr (stdout carries only findings, for scripts)."""
    if as_json:
        return
    print(f"trueloss-dash watch: {snap.root} - {len(snap.runs)} run(s), {snap.mode}", file=sys.stderr)
    for r in snap.runs:
        print(f"  {r.status:9s} {r.label}  ({r.format or r.kind}, {r.points:,} points)", file=sys.stderr)
    for line in snap.refused[:10]:
        print(f"  refused   {line}", file=sys.stderr)
    sys.stderr.flush()
