"""`trueloss-dash serve [--port N] [--address A] [--shared] [--max-jobs N] [--logdir DIR]`: start the dashboard.

Runs ``streamlit run app.py`` headless, without telemetry, with XSRF protection and the upload cap
of ``.streamlit/config.toml`` passed explicitly, so it behaves the same from any working directory.

``--logdir DIR`` fixes the folder the Runs page watches ("Watch a folder"): it is passed to the
app in the ``TRUELOSS_DASH_LOGDIR`` environment variable, never taken from the browser.

It binds 127.0.0.1 unless told otherwise: the dashboard has no login, and anyone who can reach
the port can upload files and start training jobs. Each browser only sees its own runs (an
identity kept in a cookie); ``--shared`` makes the run store a team workspace where every
browser sees and manages every run. To serve a team, bind an internal address behind a reverse
proxy that authenticates (see docs/hardening.md).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from ..errors import TruelossError

REPO_ROOT = Path(__file__).resolve().parents[2]
LOGDIR_ENV = "TRUELOSS_DASH_LOGDIR"
MAX_UPLOAD_MB = 200
DEFAULT_ADDRESS = "127.0.0.1"


def app_path() -> Path:
    """The Streamlit script: the repository's app.py (the package's own copy when installed elsewhere)."""
    for candidate in (REPO_ROOT / "app.py", Path(__file__).resolve().parents[1] / "ui" / "streamlit_app.py"):
        if candidate.is_file():
            return candidate
    raise TruelossError("cannot find app.py to serve")


def streamlit_command(port: int, address: str | None = None) -> list[str]:
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app_path()),
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.enableXsrfProtection", "true",
        "--server.maxUploadSize", str(MAX_UPLOAD_MB),
        "--server.fileWatcherType", "none",
        "--runner.postScriptGC", "false",  # see .streamlit/config.toml: a full GC per rerun starved the server
    ]
    if address:
        cmd += ["--server.address", address]
    return cmd


def _run(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= 65535:
        raise TruelossError(f"--port: found {args.port}, expected a port number in [1, 65535]")
    if args.max_jobs is not None and args.max_jobs < 1:
        raise TruelossError(f"--max-jobs: found {args.max_jobs}, expected at least 1")
    cmd = streamlit_command(args.port, args.address)
    if args.logdir is not None:
        logdir = Path(args.logdir).expanduser()
        if not logdir.is_dir():
            raise TruelossError(f"--logdir {args.logdir}: not a folder; expected the folder your training writes logs to")
        os.environ[LOGDIR_ENV] = str(logdir.resolve())
        print(f"trueloss-dash: watching {logdir.resolve()}", file=sys.stderr, flush=True)
    # Settings the app reads from its environment (the exec'd Streamlit process inherits it).
    if args.shared:
        os.environ["TRUELOSS_DASH_SHARED"] = "1"
    else:
        os.environ.pop("TRUELOSS_DASH_SHARED", None)
    if args.max_jobs is not None:
        os.environ["TRUELOSS_DASH_MAX_JOBS"] = str(args.max_jobs)
    scope = "shared workspace: every browser sees every run" if args.shared else "each browser sees only its own runs"
    print(f"trueloss-dash: serving on http://{args.address}:{args.port} ({scope})", file=sys.stderr, flush=True)
    if args.address not in ("127.0.0.1", "localhost", "::1"):
        print(f"trueloss-dash: {args.address} is reachable from other machines and there is no login - "
              "put it behind an authenticating proxy (docs/hardening.md)", file=sys.stderr, flush=True)
    os.chdir(app_path().parent)
    if hasattr(os, "execv") and os.name == "posix":
        # Become the server: signals (Ctrl-C, a supervisor's SIGTERM) reach Streamlit directly.
        os.execv(cmd[0], cmd)
    try:  # pragma: no cover - platforms without exec
        return subprocess.call(cmd)
    except KeyboardInterrupt:  # pragma: no cover
        return 130


def register(subparsers) -> None:
    p = subparsers.add_parser("serve", help="start the dashboard in the browser (streamlit run app.py)",
                              description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    p.add_argument("--address", default=DEFAULT_ADDRESS,
                   help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 serves everyone who can "
                        "reach the port, with no login)")
    p.add_argument("--shared", action="store_true",
                   help="make the run store a team workspace: every browser sees, opens, renames and deletes every "
                        "run (default: each browser sees only its own uploads and live runs)")
    p.add_argument("--max-jobs", type=int, default=None,
                   help="live training jobs that run at once (default: the number of CPU cores); "
                        "the others wait in a queue")
    p.add_argument("--logdir", default=None, metavar="DIR",
                   help="watch this folder: its runs are listed, followed and diagnosed live on the Runs page")
    p.set_defaults(func=_run)
