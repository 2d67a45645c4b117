"""`trueloss-dash serve [--port N] [--address A] [--logdir DIR]`: start the dashboard (``streamlit run app.py``).

``--logdir DIR`` fixes the folder the Runs page watches ("Watch a folder"): it is passed to the
app in the ``TRUELOSS_DASH_LOGDIR`` environment variable, never taken from the browser.

Runs Streamlit headless, without telemetry, with XSRF protection and the upload cap of
``.streamlit/config.toml`` passed explicitly, so it behaves the same from any working directory.
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
    ]
    if address:
        cmd += ["--server.address", address]
    return cmd


def _run(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= 65535:
        raise TruelossError(f"--port: found {args.port}, expected a port number in [1, 65535]")
    cmd = streamlit_command(args.port, args.address)
    if args.logdir is not None:
        logdir = Path(args.logdir).expanduser()
        if not logdir.is_dir():
            raise TruelossError(f"--logdir {args.logdir}: not a folder; expected the folder your training writes logs to")
        os.environ[LOGDIR_ENV] = str(logdir.resolve())
        print(f"trueloss-dash: watching {logdir.resolve()}", file=sys.stderr, flush=True)
    print(f"trueloss-dash: serving on http://{args.address or 'localhost'}:{args.port}", file=sys.stderr, flush=True)
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
    p.add_argument("--address", default=None, help="address to bind (default: Streamlit's, all interfaces)")
    p.add_argument("--logdir", default=None, metavar="DIR",
                   help="watch this folder: its runs are listed, followed and diagnosed live on the Runs page")
    p.set_defaults(func=_run)
