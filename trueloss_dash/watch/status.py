"""What the run list says about each watched run, and which findings count as new.

Status, first match wins:

- ``gone``     - its log file (or folder) was deleted while watched; what was read stays on screen;
- ``diverged`` - the diagnosis found a divergence (loss blew up or went NaN/inf);
- ``waiting``  - the file exists but holds no data rows yet (a header only);
- ``live``     - written within the last ``LIVE_SECONDS``;
- ``finished`` - the source says training ended (HF's top-level trainer_state.json) or it has
  been silent for ``FINISHED_AFTER_SECONDS``;
- ``stale``    - silent for more than a minute without a sign of completion: stuck or killed?

These are watch timings, not diagnosis thresholds (those live in ``diagnose/thresholds.py``).
"""

from __future__ import annotations

from typing import Any

LIVE_SECONDS = 60.0
FINISHED_AFTER_SECONDS = 30 * 60.0
SEVERITY_RANK = {"info": 1, "warning": 2, "critical": 3}
STATUSES = ("live", "finished", "stale", "diverged", "gone", "waiting")


def run_status(follower: Any, run: Any, report: Any, now: float) -> str:
    if follower is None:
        return "waiting"
    if follower.gone:
        return "gone"
    if report is not None and any(f.kind == "divergence" for f in report.findings):
        return "diverged"
    if run is None:
        return "waiting"
    age = now - follower.last_write
    if age < LIVE_SECONDS:
        return "live"
    if follower.finished_hint() or age >= FINISHED_AFTER_SECONDS:
        return "finished"
    return "stale"


def alert_key(finding: Any) -> tuple:
    """Findings are the 'same' across re-diagnoses when kind and series match; spikes are events
    of their own, so each spike position counts apart."""
    if finding.kind == "spike":
        return (finding.kind, finding.series, finding.start)
    return (finding.kind, finding.series)
