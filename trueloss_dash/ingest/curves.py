"""A file with no curve is refused with a sentence, not loaded into a run nothing can be said about.

A curve is a loss logged at least ``MIN_CURVE_POINTS`` times (the diagnosis's own minimum), or a loss
that turned NaN/inf (a divergence can be read from one non-finite value). A final summary
(``metrics.json``, ``wandb-summary.json``), a one-row test-only file or the first two epochs of a run
hold none. A file with no loss-like column at all but longer series (accuracy only, a table with
unmapped loss names) is not refused here: the diagnosis says "nothing to diagnose" and how to map
its columns. The folder watcher does not apply this: a run it follows grows from its first point.
"""

from __future__ import annotations

from ..columns import looks_like_loss
from ..errors import LogFormatError
from ..fmt import count
from ..run import Run, Series

EXPECTED = ("expected a loss logged at least {n} times during training (every epoch or every N steps), "
            "not only a final summary or the first epochs")


def _min_points() -> int:
    from ..diagnose.thresholds import MIN_CURVE_POINTS

    return MIN_CURVE_POINTS


def _finite(s: Series) -> int:
    return len(s) - s.n_nonfinite


def _lengths(series: list[tuple[str, Series]], limit: int = 6) -> str:
    parts = [f"{name}: {count(_finite(s), 'point')}" for name, s in series[:limit]]
    return ", ".join(parts) + (f" and {len(series) - limit} more" if len(series) > limit else "")


def no_curve_reason(run: Run) -> str | None:
    """Why ``run`` holds no curve (a sentence fragment), or None when it holds one."""
    n = _min_points()
    losses = [(name, s) for name, s in run.series.items() if looks_like_loss(name)]
    if any(_finite(s) >= n or s.n_nonfinite for _, s in losses):
        return None
    if losses:
        return f"no curve to diagnose: its losses have fewer than {n} points ({_lengths(losses)})"
    others = list(run.series.items())
    if not others:
        return "no curve to diagnose: it holds no logged values"
    long = [(name, s) for name, s in others if _finite(s) >= n]
    unnamed = set(run.meta.get("unnamed_curves", ()) or ())
    if long and all(name in unnamed and _flat(s) for name, s in long):
        # a headerless 'epoch,cost' file whose cost is 0.0 on all 800 rows: nothing named it, nothing moved
        listed = ", ".join(f"'{name}' is {float(s.y[0]):g} on all {len(s):,} rows" for name, s in long[:3])
        return f"no curve to diagnose: no loss, and its unnamed curves hold one value on every row ({listed})"
    if long:
        return None
    return f"no curve to diagnose: no loss, and no series with {n} points or more ({_lengths(others)})"


def _flat(s: Series) -> bool:
    return not s.n_nonfinite and bool((s.y == s.y[0]).all())


def require_curves(runs: list[Run], display: str) -> list[Run]:
    """The runs that hold a curve; the others are named in a note. None: LogFormatError naming ``display``."""
    if not runs:
        return runs
    reasons = {id(r): no_curve_reason(r) for r in runs}
    kept = [r for r in runs if reasons[id(r)] is None]
    if not kept:
        why = reasons[id(runs[0])] if len(runs) == 1 else "; ".join(f"run {r.name!r}: {reasons[id(r)]}" for r in runs[:3])
        raise LogFormatError(f"{why}; {EXPECTED.format(n=_min_points())}", path=display)
    dropped = [r for r in runs if reasons[id(r)] is not None]
    if dropped:
        names = ", ".join(repr(r.name) for r in dropped[:5]) + (f" and {len(dropped) - 5} more" if len(dropped) > 5 else "")
        kept[0].note(f"{count(len(dropped), 'run')} without a curve not loaded ({names}): {reasons[id(dropped[0])]}")
    return kept
