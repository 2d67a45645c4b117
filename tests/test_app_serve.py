"""`trueloss-dash serve` starts the real app; the UI pays for torch only on the live page."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(90)
def test_serve_command_starts_a_healthy_headless_app(tmp_path):
    port = _free_port()
    env = dict(os.environ, TRUELOSS_DASH_HOME=str(tmp_path / "home"))
    proc = subprocess.Popen([sys.executable, "-m", "trueloss_dash", "serve", "--port", str(port), "--address", "127.0.0.1"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, healthy = time.time() + 60, False
        while time.time() < deadline and not healthy:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
                    healthy = resp.status == 200
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.3)
        assert healthy
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
            assert resp.status == 200 and b"<div id=\"root\"" in resp.read()
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0]
    assert "serving on http://127.0.0.1" in out


def test_serve_rejects_a_bad_port():
    from trueloss_dash.cli import main

    assert main(["serve", "--port", "70000"]) == 2


def test_non_live_pages_never_import_torch(tmp_path):
    """Runs/Compare/Rule catalog with a sample run open: torch stays out of the process."""
    code = textwrap.dedent(f"""
        import sys
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({str(REPO / 'app.py')!r}, default_timeout=60)
        at.run()
        at.button(key="sample_open").click().run()
        assert at.get("plotly_chart"), "chart expected"
        pages = {{info["page_name"]: h for h, info in at._registered_pages.items()}}
        for page in ("Compare", "Rule catalog", "Runs"):
            at._page_hash = pages[page]
            at.run()
            assert not at.exception, at.exception
            assert page in at.markdown[1].value, at.markdown[1].value
        print("TORCH" if "torch" in sys.modules else "NO_TORCH")
    """)
    env = dict(os.environ, TRUELOSS_DASH_HOME=str(tmp_path / "home"))
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "NO_TORCH"
