"""The one human formatter for numbers in sentences (core, CLI, exports, UI).

Why one module: the same quantity used to read "411414603%" in one place and "4.1e+06x" in
another, epochs came out as "0.0682439-0.750682", and counts said "1 points". Every sentence a
user reads goes through these helpers, so the rules live here once:

- numbers carry at most 3 significant digits (``num``);
- signed quantities say their sign with a real minus (``signed``);
- fractions become percentages, and huge ratios become multipliers ("×4.11e6", never
  "411414603%": ``pct``, ``change``, ``ratio``, ``of_start``);
- positions on an axis read "epochs 1–3" / "step 1,200" (``span``, ``at``);
- counts agree with their noun ("1 point", "100 points": ``count``).

Pure Python: no numpy, pandas, Streamlit or Plotly, so any ring may import it.
"""

from __future__ import annotations

import math
from typing import Any

MINUS = "\u2212"   # typographic minus: "−0.0941" lines up with "+0.155"
TIMES = "\u00d7"   # "×4.1"
DASH = "\u2013"    # en dash in ranges: "epochs 1–3"

_AXIS_NOUN = {"epoch": ("epoch", "epochs"), "step": ("step", "steps"),
              "wall_time": ("wall time", "wall time"), "time": ("time", "time")}
_IRREGULAR = {"series": "series", "axis": "axes", "loss": "losses", "epoch": "epochs",
              "check": "checks", "batch": "batches", "cause": "causes"}


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _strip(s: str) -> str:
    """'1.50' -> '1.5', '2.00' -> '2' (only after a decimal point)."""
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _sci(v: float, sig: int) -> str:
    mant, exp = f"{abs(v):.{sig - 1}e}".split("e")
    return f"{_strip(mant)}e{int(exp)}"


def num(v: Any, sig: int = 3) -> str:
    """A number for a sentence: at most ``sig`` significant digits, no float noise.

    0.0041234 -> "0.00412", 3.0 -> "3", 1234.5 -> "1,230", 4114146 -> "4.11e6", 2e-5 -> "2e-5".
    Non-finite values read "n/a" (or "NaN"/"inf" when that is the fact being reported).
    """
    f = _finite(v)
    if f is None:
        try:
            raw = float(v)
        except (TypeError, ValueError):
            return "n/a"
        return "NaN" if math.isnan(raw) else ("inf" if raw > 0 else f"{MINUS}inf")
    sign = MINUS if f < 0 else ""
    a = abs(f)
    if a == 0:
        return "0"
    if a >= 1e5 or a < 1e-3:
        return sign + _sci(a, sig)
    digits = sig - 1 - int(math.floor(math.log10(a)))
    rounded = round(a, digits)
    if rounded >= 1e5:   # rounding carried over (99999.9 -> 1e5)
        return sign + _sci(rounded, sig)
    if digits <= 0:
        return sign + f"{int(round(rounded)):,}"
    return sign + _strip(f"{rounded:.{digits}f}")


def signed(v: Any, sig: int = 3) -> str:
    """Sign always shown: +0.155, −0.0941, 0."""
    f = _finite(v)
    if f is None:
        return num(v, sig)
    if f == 0:
        return "0"
    return ("+" if f > 0 else "") + num(f, sig)


def ratio(r: Any, sig: int = 3) -> str:
    """A multiplier: ×4.1, ×30, ×4.11e6, ×0.25."""
    f = _finite(r)
    return TIMES + (num(f, sig) if f is not None else "n/a")


def pct(frac: Any, sig: int = 2) -> str:
    """A fraction as a percentage: 0.035 -> "3.5%", 0.88 -> "88%", 1 -> "100%", 0.0004 -> "0.04%".

    Above 10 (1000%) a percentage stops being readable; the caller should use ``ratio`` or
    ``of_start`` — ``pct`` itself then falls back to the multiplier form.
    """
    f = _finite(frac)
    if f is None:
        return "n/a"
    if abs(f) > 10:
        return ratio(f)
    p = 100 * f
    if p == 0:
        return "0%"
    if abs(p) >= 10:
        return num(round(p), 3) + "%" if abs(p) < 1e5 else ratio(f)
    return num(p, sig) + "%"


def change(frac: Any) -> str:
    """A relative change: +0.54 -> "+54%", −0.2 -> "−20%"; a rise past ×10 reads "×41" instead."""
    f = _finite(frac)
    if f is None:
        return "n/a"
    if f >= 9:
        return ratio(1 + f)
    if f == 0:
        return "0%"
    return ("+" if f > 0 else "") + pct(f)


def of_start(r: Any) -> str:
    """A level relative to its start, for "fell to 3.2% of its start" / "rose to ×4.11e6 its start".

    Returns "3.2% of its start" or "×4.11e6 its start" so the sentence never reads 411414603%.
    """
    f = _finite(r)
    if f is None:
        return "n/a of its start"
    if f > 10:
        return f"{ratio(f)} its start"
    return f"{pct(f)} of its start"


def count(n: Any, noun: str, plural: str | None = None) -> str:
    """'1 point', '100 points', '2 series', '12,000 steps'."""
    try:
        k = int(n)
    except (TypeError, ValueError):
        return f"? {plural or _plural(noun)}"
    word = noun if k == 1 else (plural or _plural(noun))
    return f"{k:,} {word}"


def _plural(noun: str) -> str:
    if noun in _IRREGULAR:
        return _IRREGULAR[noun]
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def x_value(x: Any, axis: str = "") -> str:
    """One position on an axis: whole numbers as integers (with thousands separators), fractional
    epochs to 2 decimals at most (0.0682439 -> "0.07"), anything else at 3 significant digits."""
    f = _finite(x)
    if f is None:
        return "?"
    if f == int(f) and abs(f) < 1e15:
        return f"{int(f):,}" if abs(f) >= 1e4 else str(int(f))
    if axis == "epoch":
        r = round(f, 2) if abs(f) < 100 else round(f, 1)
        return _strip(f"{r:.2f}") if r != 0 else num(f, 1)
    return num(f)


def axis_noun(axis: str, many: bool = False) -> str:
    one, more = _AXIS_NOUN.get(axis, (axis.replace("_", " "), _plural(axis.replace("_", " ")) if axis else ""))
    return more if many else one


def at(axis: str, x: Any) -> str:
    """'epoch 3', 'step 1,200'."""
    return f"{axis_noun(axis)} {x_value(x, axis)}".strip()


def span(axis: str, start: Any, end: Any = None) -> str:
    """'epochs 1–3', 'epoch 3' (start == end or no end), 'steps 100–2,000'; '' when nothing is known."""
    if _finite(start) is None:
        return "" if _finite(end) is None else at(axis, end)
    a = x_value(start, axis)
    b = x_value(end, axis) if _finite(end) is not None else a
    if a == b:
        return at(axis, start)
    return f"{axis_noun(axis, many=True)} {a}{DASH}{b}".strip()


def confidence(c: Any) -> str:
    """A cause confidence: 0.7 -> '70%' (whole percent; a confidence has no meaningful decimals)."""
    f = _finite(c)
    if f is None:
        return "n/a"
    return f"{round(100 * f):d}%"
