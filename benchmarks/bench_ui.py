"""Benchmark: the dashboard in a real browser - upload to chart + verdict, and what the browser receives.

Starts ``streamlit run app.py`` on 127.0.0.1, drives Debian Chromium with Playwright and times, per
log, from handing the file to the uploader until the new run's header, the verdict and the rendered
chart are all on the page (the page is warm: a first upload has already loaded the chart's JS).
Logs: a 10,000-row epoch log and a 1,000,000-row step log (validation every 1,000 steps, spikes).

Printed beside each browser time, the baseline in the same run: the core alone (ingest + diagnose
on the same bytes) and the ratio. Figure size: points per trace as rendered in the browser (read
back from Plotly's own data), the figure JSON size, and the size without downsampling.
Targets: < 2 s for 10k rows (warm page); <= 5,000 points per trace with every detected spike kept.

    .venv/bin/python benchmarks/bench_ui.py [--rows 10000 1000000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def write_log(path: Path, rows: int, seed: int = 0) -> Path:
    """rows <= 100k: an epoch log (epoch, loss, val_loss, lr); larger: a step log with sparse validation."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    if rows <= 100_000:
        epoch = np.arange(1, rows + 1)
        loss = 0.2 + 2.0 * np.exp(-epoch / (rows / 5)) * np.exp(rng.normal(0, 0.03, rows))
        val = 0.3 + 2.0 * np.exp(-epoch / (rows / 5)) + 0.05 * np.maximum(0, epoch - rows * 0.6) / rows
        val = val * np.exp(rng.normal(0, 0.02, rows))
        val[rows // 3] *= 2.5  # one validation spike
        pd.DataFrame({"epoch": epoch, "loss": loss, "val_loss": val, "lr": np.full(rows, 1e-3)}).to_csv(path, index=False)
        return path
    step = np.arange(rows)
    loss = (0.3 + 1.7 * np.exp(-step / (rows / 6))) * np.exp(rng.normal(0, 0.15, rows))
    for at in (rows // 5, rows // 2, 4 * rows // 5):
        loss[at : at + rows // 3000] *= 6.0
    val = np.full(rows, np.nan)
    every = 1000
    val[::every] = 0.35 + 1.7 * np.exp(-step[::every] / (rows / 6))
    frame = pd.DataFrame({"step": step, "loss": loss, "val_loss": val, "lr": np.full(rows, 1e-3)})
    frame.to_csv(path, index=False, float_format="%.6g")
    return path


def core_baseline(path: Path) -> tuple[float, object, object]:
    from trueloss_dash.diagnose import diagnose
    from trueloss_dash.ingest import load_bytes

    data = path.read_bytes()
    t = time.perf_counter()
    run = load_bytes(path.name, data)[0]
    report = diagnose(run)
    return time.perf_counter() - t, run, report


def figure_facts(run, report) -> dict:
    from trueloss_dash.ui import plots

    fig = plots.overlay_figure(run, report)  # what the dashboard sends (DISPLAY_POINTS per trace)
    full = plots.overlay_figure(run, report, max_points=10**9)
    counts = plots.trace_point_counts(fig)
    total = sum(1 for f in report.findings if f.kind == "spike")
    shown = set()
    for t in fig.data:
        if t.meta and t.meta.get("role") == "line":
            shown |= set(np.asarray(t.x).tolist())
    markers = [t for t in fig.data if t.meta and t.meta.get("role") == "spike_markers"]
    kept = sum(1 for mx in (markers[0].x if markers else ()) if mx in shown)
    return {"max_points": max(counts.values()), "json_bytes": len(fig.to_json()), "full_json_bytes": len(full.to_json()),
            "spikes_kept": kept, "spikes": total}


class Server:
    def __init__(self, home: str) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=REPO, env=dict(os.environ, TRUELOSS_DASH_HOME=home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                urllib.request.urlopen(self.url + "/_stcore/health", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def upload_and_wait(page, path: Path, min_points: int = 1, timeout_ms: int = 180_000) -> float:
    t = time.perf_counter()
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(path))
    page.locator("[data-testid=stMarkdownContainer]").filter(has_text=f"uploaded · {path.name}").first.wait_for(timeout=timeout_ms)
    page.locator("[data-testid=tl-verdict]").first.wait_for(timeout=timeout_ms)
    page.locator("[data-testid=stStatusWidget]").filter(has_text="Running").wait_for(state="hidden", timeout=timeout_ms)
    page.wait_for_function(  # Plotly has drawn the new run's data (not the previous chart)
        "(n) => { const g = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');"
        " return g && g._fullData && g._fullData.length && g._fullData[0].x && g._fullData[0].x.length >= n"
        " && g.querySelector('.scatterlayer .trace'); }", arg=min_points, timeout=timeout_ms)
    return time.perf_counter() - t


def browser_points(page) -> list[int]:
    return page.evaluate(
        "() => Array.from(document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot')._fullData)"
        ".filter(t => t.x && t.x.length !== undefined).map(t => t.x.length)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} missing: run scripts/ensure_chromium.sh", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        warm = write_log(tmpdir / "warmup.csv", 50)
        logs = {n: [write_log(tmpdir / f"log_{n}_{i}.csv", n, seed=i) for i in range(args.repeat)] for n in args.rows}
        server = Server(str(tmpdir / "home"))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 1400})
                page.goto(server.url)
                page.wait_for_selector("[data-testid=stFileUploader]", timeout=60_000)
                cold = upload_and_wait(page, warm)
                print(f"warm-up upload (loads the chart's JS): {cold:.2f} s")
                print(f"{'rows':>9} {'browser s':>10} {'median s':>9} {'core s':>8} {'ratio':>6} {'pts/trace':>10} {'browser pts':>12} "
                      f"{'fig KB':>8} {'no-ds KB':>9} {'spikes kept':>12}")
                for n, paths in logs.items():
                    times, cores = [], []
                    for path in paths:
                        times.append(upload_and_wait(page, path, min_points=1000))
                        cores.append(core_baseline(path)[0])
                    _, run, report = core_baseline(paths[0])
                    facts = figure_facts(run, report)
                    pts = browser_points(page)
                    b, c = min(times), min(cores)
                    print(f"{n:>9,} {b:>10.2f} {float(np.median(times)):>9.2f} {c:>8.2f} {b / c:>6.1f} {facts['max_points']:>10,} {max(pts):>12,} "
                          f"{facts['json_bytes'] / 1024:>8.0f} {facts['full_json_bytes'] / 1024:>9.0f} "
                          f"{facts['spikes_kept']:>5}/{facts['spikes']:<6}")
                    page.screenshot(path=str(REPO / "test-artifacts" / f"bench_ui_{n}.png")) if (REPO / "test-artifacts").is_dir() else None
                browser.close()
        finally:
            server.stop()
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("targets: 10k rows < 2 s on a warm page; <= 5,000 points per trace; every detected spike kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
