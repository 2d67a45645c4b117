"""Did a run really show its phenomenon?  Measured on the curves, never assumed.

Two sets of criteria share the helpers below: :data:`CRITERIA` (one per preset) and
:data:`SCENARIO_CRITERIA` (one per fault family of the randomised scenarios, see
:mod:`.scenarios`: written for any task, model and length, without a twin run).

One criterion per preset, over the canonical :class:`~trueloss_dash.run.Run` a training produced
(``TrainResult.to_run()`` or a trainer log read back). ``tests/test_presets.py`` asserts these on
every preset; ``benchmarks/eval_diagnosis.py`` applies the *same* functions to every seed / epoch
variant it trains, so a run is only labelled with a phenomenon the curves verify. Torch-free.

Two criteria compare against a twin run of the same seed and length: ``leakage`` against the
same model without leakage (the ``overfit`` preset), ``underfit`` against ``clean``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import columns as C
from ..run import Run

#: Presets whose criterion needs a twin run: preset -> twin preset.
TWINS = {"leakage": "overfit", "underfit": "clean"}


@dataclass
class Phenomenon:
    """Outcome of one criterion: ``ok`` and the failed conditions (empty when reproduced)."""

    preset: str
    failed: list[str] = field(default_factory=list)
    numbers: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed

    def __str__(self) -> str:
        nums = ", ".join(f"{k}={v:.3g}" for k, v in self.numbers.items())
        return f"{self.preset}: {'reproduced' if self.ok else 'NOT reproduced (' + '; '.join(self.failed) + ')'} [{nums}]"


class _Check:
    def __init__(self, preset: str) -> None:
        self.result = Phenomenon(preset)

    def need(self, condition: bool, what: str) -> None:
        if not bool(condition):
            self.result.failed.append(what)

    def note(self, **numbers: float) -> None:
        self.result.numbers.update({k: float(v) for k, v in numbers.items()})


def curve(run: Run, key: str) -> np.ndarray:
    """Epoch-level values of ``key`` (NaN-filled empty array when the run lacks it)."""
    s = run.get(key)
    return np.asarray(s.y, dtype=float) if s is not None else np.array([], dtype=float)


def frac(mask) -> float:
    mask = np.asarray(mask)
    return float(np.mean(mask)) if mask.size else 0.0


def dominant_gap_terms(run: Run) -> list[str]:
    """Per epoch: the largest decomposition term (``gap_*``)."""
    terms = {k: curve(run, k) for k in C.GAP_TERMS}
    n = min(len(v) for v in terms.values())
    return [max(C.GAP_TERMS, key=lambda k: terms[k][i]) for i in range(n)]


def roughness(y: np.ndarray) -> float:
    """Total variation of log(y) relative to its net change: 1 for a monotone curve."""
    z = np.log(y)
    return float(np.abs(np.diff(z)).sum() / max(abs(z[-1] - z[0]), 1e-12))


def largest_rise(y: np.ndarray) -> float:
    """Largest epoch-to-epoch relative rise."""
    return float(np.max(y[1:] / y[:-1] - 1)) if len(y) > 1 else 0.0


def alternation(y: np.ndarray) -> float:
    """Share of consecutive epoch-to-epoch changes that flip sign."""
    d = np.diff(y)
    return float(np.mean(np.sign(d[1:]) != np.sign(d[:-1]))) if len(d) > 1 else 0.0


def epoch_autocorr(step_losses: np.ndarray, steps_per_epoch: int) -> tuple[float, float]:
    """Autocorrelation of the detrended per-step log loss at one epoch's lag and at half of it."""
    y = np.log(step_losses)
    spe = steps_per_epoch
    z = y - np.convolve(y, np.ones(spe) / spe, "same")  # remove the slow learning trend
    z = z[spe // 2:-(spe // 2) or None]

    def ac(lag: int) -> float:
        if lag <= 0 or lag >= len(z) - 2:
            return 0.0
        a, b = z[:-lag] - z[:-lag].mean(), z[lag:] - z[lag:].mean()
        den = math.sqrt(float((a * a).sum() * (b * b).sum()))
        return float((a * b).sum() / den) if den > 0 else 0.0

    return ac(spe), ac(spe // 2)


def _config(run: Run) -> dict:
    return dict(run.meta.get("config") or {})


# -- one criterion per preset -------------------------------------------------------------------

def _clean(run: Run, c: _Check, twin: Run | None) -> None:
    R, T, V = curve(run, C.TRAIN_LOSS), curve(run, C.TRUE_TRAIN_LOSS), curve(run, C.VAL_LOSS)
    c.note(val_drop=V[-1] / V[0], val_acc=curve(run, C.VAL_ACC)[-1], inverted=frac(V < R))
    c.need(run.meta.get("status") == "finished", "run did not finish")
    c.need(V[-1] < 0.5 * V[0], "val did not halve after the first epoch")
    c.need(curve(run, C.VAL_ACC)[-1] > 0.9, "val acc <= 0.9")
    c.need(frac(V < R) <= 0.5, "persistent inverted gap (val < reported in > half the epochs)")
    c.note(train_rise=largest_rise(R), val_rise=largest_rise(V))
    # validation at a low level moves by a few confidently wrong examples: a bump is > 30%
    c.need(largest_rise(R) < 0.1 and largest_rise(V) < 0.3, "a bump: reported rises > 10% or val > 30% in an epoch")
    c.need(T[-1] <= V[-1] and V[-1] - T[-1] < 0.2, "true train loss not just below val")
    for k in (C.GAP_PENALTY, C.GAP_TRAIN_MODE, C.GAP_AUGMENTATION):
        c.need(np.all(curve(run, k) == 0), f"{k} non-zero")


def _inverted_by(term: str, share: float, from_epoch: int = 0):
    def check(run: Run, c: _Check, twin: Run | None) -> None:
        R, T, V = curve(run, C.TRAIN_LOSS), curve(run, C.TRUE_TRAIN_LOSS), curve(run, C.VAL_LOSS)
        dom = dominant_gap_terms(run)[from_epoch:]
        c.note(inverted=frac(V < R), true_below_val=frac(T < V), dominant=frac([d == term for d in dom]))
        c.need(frac(V < R) >= 0.6, "val < reported in < 60% of epochs")
        c.need(frac(T < V) >= 0.6 and T[-1] < V[-1], "true train loss not below val")
        c.need(frac([d == term for d in dom]) >= share, f"{term} not the largest term")
    return check


def _dropout(run: Run, c: _Check, twin: Run | None) -> None:
    _inverted_by(C.GAP_TRAIN_MODE, 0.0)(run, c, twin)
    c.need(dominant_gap_terms(run)[-1] == C.GAP_TRAIN_MODE, "train-mode term not largest at the end")
    c.need(frac(curve(run, C.GAP_TRAIN_MODE) > 0) == 1.0, "train-mode term not always positive")


def _l2_penalty(run: Run, c: _Check, twin: Run | None) -> None:
    _inverted_by(C.GAP_PENALTY, 1.0, from_epoch=3)(run, c, twin)
    R, P = curve(run, C.TRAIN_LOSS), curve(run, C.PENALTY)
    c.need(np.all(P > 0), "penalty not always positive")
    c.need(np.allclose(P, R - curve(run, C.TRAIN_LOSS_NO_PENALTY), atol=1e-9), "penalty != reported - no-penalty")


def _label_noise(run: Run, c: _Check, twin: Run | None) -> None:
    T, V = curve(run, C.TRUE_TRAIN_LOSS), curve(run, C.VAL_LOSS)
    c.note(true_above_val=frac(T > V), final_gap=T[-1] - V[-1])
    c.need(frac(T > V) >= 0.8, "true > val in < 80% of epochs")
    c.need(T[-1] > V[-1] + 0.3, "true not > val + 0.3 at the end")
    c.need(curve(run, C.GAP_GENERALIZATION)[-1] > 0.3, "generalization term not > 0.3")


def _easier_val(run: Run, c: _Check, twin: Run | None) -> None:
    T, V = curve(run, C.TRUE_TRAIN_LOSS), curve(run, C.VAL_LOSS)
    c.note(true_above_val=frac(T > V), final_gap=T[-1] - V[-1])
    c.need(np.all(T > V), "true <= val in some epoch")
    c.need(T[-1] - V[-1] > 0.1, "true - val <= 0.1 at the end")


def _leakage(run: Run, c: _Check, twin: Run | None) -> None:
    V, T = curve(run, C.VAL_LOSS), curve(run, C.TRUE_TRAIN_LOSS)
    c.note(val_end_over_min=V[-1] / V.min())
    c.need(V[-1] <= 1.1 * V.min(), "leaked val shows overfitting")
    if twin is None:
        c.need(abs(T[-1] - V[-1]) < 0.1 * V[0], "val not glued to the true train loss")
        return
    Vt, Tt = curve(twin, C.VAL_LOSS), curve(twin, C.TRUE_TRAIN_LOSS)
    c.note(val_vs_twin=V[-1] / Vt[-1])
    c.need(V[-1] < 0.05 * Vt[-1], "final val not < 5% of the twin's")
    c.need(abs(T[-1] - V[-1]) < 0.02 * (Vt[-1] - Tt[-1]), "|true - val| not < 2% of the twin's gap")
    c.need(curve(run, C.VAL_ACC)[-1] > curve(twin, C.VAL_ACC)[-1] + 0.2, "val acc not 0.2 above the twin's")


def _lr_spike(run: Run, c: _Check, twin: Run | None) -> None:
    cfg = _config(run)
    k = int(cfg["lr_spike_epoch"]) - 1
    V, R, LR = curve(run, C.VAL_LOSS), curve(run, C.TRAIN_LOSS), curve(run, C.LR)
    c.note(val_jump=V[k] / V[k - 1], train_jump=R[k] / R[k - 1], recovery=V[k + 1:k + 4].min() / V[k - 1])
    c.need(math.isclose(LR[k], cfg["lr"] * cfg["lr_spike_factor"], rel_tol=1e-6) and math.isclose(LR[k + 1], cfg["lr"], rel_tol=1e-6),
           "LR not spiked for exactly one epoch")
    c.need(V[k] > 2 * V[k - 1] and R[k] > 2 * R[k - 1], "val/reported not > 2x the epoch before")
    c.need(V[k + 1:k + 4].min() < 1.2 * V[k - 1], "no recovery within 3 epochs")
    c.need(V[-1] < V[k - 1], "final val not below the pre-spike level")


def _diverge(run: Run, c: _Check, twin: Run | None) -> None:
    R = curve(run, C.TRAIN_LOSS)
    epochs = int(_config(run).get("epochs", 0))
    c.note(finite_epochs=len(R) - 1)
    c.need(run.meta.get("status") == "diverged", "status not diverged")
    c.need(3 <= len(R) < epochs, "fewer than 3 finished epochs or ran to the end")
    c.need(np.all(np.isfinite(R[:-1])), "a finished epoch is non-finite")
    c.need(np.all(R[:3] < 100), "the loss did not start moderate (first 3 epochs < 100)")
    c.need(not math.isfinite(R[-1]) or R[-1] > 1000 * R[:-1].min(), "last epoch neither non-finite nor exploded")


def _bn_small_batch(run: Run, c: _Check, twin: Run | None) -> None:
    R, V = curve(run, C.TRAIN_LOSS), curve(run, C.VAL_LOSS)
    c.note(rough_ratio=roughness(V) / roughness(R), val_rise=largest_rise(V), train_rise=largest_rise(R))
    c.need(roughness(V) > 1.5 * roughness(R), "val not rougher than reported (1.5x)")
    c.need(largest_rise(V) > 0.3, "no val jump > 30%")
    c.need(largest_rise(R) < 0.05, "reported rises > 5%")


def _overfit(run: Run, c: _Check, twin: Run | None) -> None:
    R, V = curve(run, C.TRAIN_LOSS), curve(run, C.VAL_LOSS)
    best = int(np.argmin(V))
    c.note(best_epoch=best + 1, val_rise=V[-1] / V[best], train_fall=R[-1] / R[best])
    c.need(best <= len(V) - max(5, len(V) // 3), "val minimum too close to the end")
    c.need(V[-1] > 1.5 * V[best], "final val not > 1.5x its minimum")
    c.need(R[-1] < 0.1 * R[best], "reported did not keep falling (< 10%)")


def _lr_too_low(run: Run, c: _Check, twin: Run | None) -> None:
    V = curve(run, C.VAL_LOSS)
    c.note(val_drop=(V[0] - V[-1]) / V[0], val_acc=curve(run, C.VAL_ACC)[-1])
    c.need(np.all(np.diff(V) < 0), "val does not fall every epoch")
    c.need((V[0] - V[-1]) / V[0] < 0.1, "val fell >= 10%")
    c.need(curve(run, C.VAL_ACC)[-1] < 0.6, "val acc >= 0.6")


def _underfit(run: Run, c: _Check, twin: Run | None) -> None:
    T, V = curve(run, C.TRUE_TRAIN_LOSS), curve(run, C.VAL_LOSS)
    c.note(true_end=T[-1], train_val=abs(T[-1] - V[-1]) / V[-1], last5=abs(V[-5] - V[-1]) / V[-1])
    if twin is not None:
        c.need(T[-1] > 5 * curve(twin, C.TRUE_TRAIN_LOSS)[-1], "true loss not > 5x the clean twin's")
    c.need(abs(T[-1] - V[-1]) / V[-1] < 0.15, "train and val not within 15%")
    c.need(abs(V[-5] - V[-1]) / V[-1] < 0.08, "still changing > 8% over the last 5 epochs")
    c.need(curve(run, C.TRUE_TRAIN_ACC)[-1] < 0.85, "true acc >= 0.85")


def _oscillation(run: Run, c: _Check, twin: Run | None) -> None:
    for key in (C.VAL_LOSS, C.TRAIN_LOSS):
        d = np.diff(curve(run, key))
        c.note(**{f"{key}_alternation": alternation(curve(run, key)),
                  f"{key}_swing_over_trend": np.mean(np.abs(d)) / max(abs(np.mean(d)), 1e-300)})
        c.need(alternation(curve(run, key)) >= 0.5, f"{key} alternates < 50%")
        c.need(np.mean(np.abs(d)) > 2.5 * abs(np.mean(d)), f"{key} swings do not dwarf the trend")


def _step_losses(run: Run, c: _Check) -> tuple[np.ndarray, int, int] | None:
    """(per-step training losses, steps per epoch, epochs), or None (and a failed need) without them."""
    s = run.get(C.TRAIN_LOSS_STEP)
    epochs = len(curve(run, C.TRAIN_LOSS))
    if s is None or epochs == 0:
        c.need(False, "no per-step losses")
        return None
    y = np.asarray(s.y, dtype=float)
    return y, len(y) // epochs, epochs


def _no_shuffle(run: Run, c: _Check, twin: Run | None) -> None:
    steps = _step_losses(run, c)
    if steps is None:
        return
    y, spe, epochs = steps
    c.need(len(y) == spe * epochs, "steps per epoch not constant")
    at_epoch, at_half = epoch_autocorr(y, spe)
    c.note(autocorr_epoch=at_epoch, autocorr_half=at_half)
    c.need(at_epoch > 0.8, "autocorrelation at one epoch <= 0.8")
    c.need(at_epoch > at_half + 0.5, "epoch lag not 0.5 above the half-epoch lag")


CRITERIA: dict[str, Callable[[Run, _Check, Run | None], None]] = {
    "clean": _clean,
    "dropout": _dropout,
    "l2_penalty": _l2_penalty,
    "augmentation": _inverted_by(C.GAP_AUGMENTATION, 0.8),
    "label_noise": _label_noise,
    "easier_val": _easier_val,
    "leakage": _leakage,
    "lr_spike": _lr_spike,
    "diverge": _diverge,
    "bn_small_batch": _bn_small_batch,
    "overfit": _overfit,
    "lr_too_low": _lr_too_low,
    "underfit": _underfit,
    "oscillation": _oscillation,
    "no_shuffle": _no_shuffle,
}


def check_phenomenon(preset: str, run: Run, twin: Run | None = None) -> Phenomenon:
    """Measure whether ``run`` (trained from ``preset``) shows the preset's phenomenon.

    ``twin``: the run of :data:`TWINS` ``[preset]`` with the same seed and length, when the
    criterion compares against one (without it a twin-free version of the criterion is used).
    A criterion that cannot be evaluated (missing series, too short) counts as not reproduced.
    """
    c = _Check(preset)
    try:
        CRITERIA[preset](run, c, twin)
    except (IndexError, ValueError, KeyError, TypeError, ZeroDivisionError) as err:
        c.need(False, f"criterion not computable: {type(err).__name__}: {err}")
    return c.result


# -- scenario criteria (randomised runs: any task, model, length; no twin) ------------------------
#
# Each takes the full trainer Run (true training loss and gap decomposition included, whatever the
# log the user gets will hold) and ``start``: the loss of the untrained model (ln K for K classes,
# mean squared target for regression), so "learned" and "underfit" mean the same on every task.
# They are deliberately coarser than the engine's detectors and share no code with them: a label
# is kept only when the effect is plain on the measured curves.


def _finite_curves(run: Run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return curve(run, C.TRAIN_LOSS), curve(run, C.TRUE_TRAIN_LOSS), curve(run, C.VAL_LOSS)


def _finished(run: Run, c: _Check) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    R, T, V = _finite_curves(run)
    c.need(run.meta.get("status") == "finished", "run did not finish")
    c.need(len(V) >= 3 and np.all(np.isfinite(R)) and np.all(np.isfinite(V)), "fewer than 3 finite epochs")
    return R, T, V


def rises(y: np.ndarray, by: float) -> float:
    """Share of epoch-to-epoch moves that go up by more than ``by`` (relative)."""
    return frac(y[1:] > y[:-1] * (1 + by)) if len(y) > 1 else 0.0


def _healthy(run: Run, c: _Check, start: float) -> None:
    R, T, V = _finished(run, c)
    c.note(val_min_over_start=V.min() / start, val_end_over_min=V[-1] / V.min(), true_end_over_start=T[-1] / start,
           val_rise=largest_rise(V), train_rise=largest_rise(R), val_roughness=roughness(V))
    c.need(V.min() < 0.6 * start, "validation never fell below 60% of the untrained loss")
    c.need(T[-1] < 0.5 * start, "true training loss not below half the untrained loss")
    acc = curve(run, C.VAL_ACC)
    acc_drop = float(np.nanmax(acc) - acc[-1]) if len(acc) else math.nan
    c.note(val_acc_drop=acc_drop)
    # a validation loss that creeps up while accuracy holds is overconfidence, not a worse model
    c.need(V[-1] <= 1.10 * V.min() or (V[-1] <= 1.3 * V.min() and acc_drop <= 0.01),
           "validation ends > 10% above its minimum (> 30%, or accuracy down > 1 point: overfitting)")
    c.need(R[-1] <= 1.5 * R.min(), "reported loss ends > 1.5x its minimum")
    c.need(largest_rise(V) < 1.0 and largest_rise(R) < 0.5, "a jump: validation doubles or reported +50% in an epoch")
    c.need(roughness(V) < 4.0, "validation erratic (total variation > 4x its net change)")


def _diverges(run: Run, c: _Check, start: float) -> None:
    """Blown up (non-finite or x100, the run stopped) or collapsed: the loss went back up to >= 2x its
    best and to its first epoch's level, and stayed there for the last quarter."""
    R = curve(run, C.TRAIN_LOSS)
    finite = R[np.isfinite(R)]
    c.note(finished_epochs=len(R) - 1)
    c.need(len(R) >= 3 and np.all(np.isfinite(R[:-1])), "fewer than 2 finite epochs before the end")
    if run.meta.get("status") == "diverged":
        c.note(collapsed=0)
        c.need(len(finite) > 0 and (not math.isfinite(R[-1]) or R[-1] > 100 * finite.min()), "last epoch neither non-finite nor exploded")
        return
    k = max(2, len(R) // 4)
    best = int(np.argmin(R))
    c.note(collapsed=1, end_over_best=R[-1] / R[best], tail_over_best=float(np.min(R[-k:]) / R[best]))
    c.need(best < len(R) - k, "the loss did not blow up, and its best is in the last quarter")
    c.need(np.min(R[-k:]) >= 2 * R[best] and R[-1] >= 0.9 * R[0], "the loss did not blow up, nor go back up (>= 2x its best, to its start) and stay")


def _unstable(run: Run, c: _Check, start: float) -> None:
    R, T, V = _finished(run, c)
    tail = R[2:]
    c.note(train_rises=rises(tail, 0.03), true_end_over_start=T[-1] / start)
    c.need(rises(tail, 0.03) >= 0.3, "reported loss rises > 3% at < 30% of its moves (after epoch 2)")
    c.need(np.all(R < 10 * start), "reported loss exploded (a divergence, not an oscillation)")


def _too_low(run: Run, c: _Check, start: float) -> None:
    R, T, V = _finished(run, c)
    c.note(val_falls=frac(np.diff(V) < 0), val_end_over_start=V[-1] / start, train_val=abs(T[-1] - V[-1]) / V[-1])
    c.need(frac(np.diff(V) < 0) >= 0.9, "validation does not fall at >= 90% of epochs")
    c.need(V[-1] > 0.5 * start, "validation got below half the untrained loss")
    c.need(abs(T[-1] - V[-1]) / V[-1] < 0.2, "true train and validation not within 20%")


def _no_capacity(run: Run, c: _Check, start: float) -> None:
    R, T, V = _finished(run, c)
    k = max(3, len(V) // 4)
    acc = curve(run, C.TRUE_TRAIN_ACC)
    c.note(true_end_over_start=T[-1] / start, last_quarter=abs(V[-k] - V[-1]) / V[-1], train_val=abs(T[-1] - V[-1]) / V[-1])
    if len(acc):
        c.note(true_acc=acc[-1])
        c.need(acc[-1] < 0.85, "true training accuracy >= 0.85 (the model fits)")
    else:
        c.need(T[-1] > 0.3 * start, "true training loss below 30% of the untrained loss (the model fits)")
    c.need(abs(V[-k] - V[-1]) / V[-1] < 0.05, "validation still moves > 5% over the last quarter")
    c.need(abs(T[-1] - V[-1]) / V[-1] < 0.15, "true train and validation not within 15%")


def _overfits(run: Run, c: _Check, start: float) -> None:
    R, T, V = _finished(run, c)
    best = int(np.argmin(V))
    c.note(best_epoch=best + 1, val_rise=V[-1] / V[best], true_fall=T[-1] / T[best])
    c.need(best <= len(V) - max(3, len(V) // 4), "validation minimum in the last quarter")
    c.need(V[-1] > 1.25 * V[best], "final validation not > 1.25x its minimum")
    c.need(T[-1] < 0.6 * T[best], "true training loss did not keep falling (< 60% of its value at the best epoch)")


def _gap_from(term: str):
    def check(run: Run, c: _Check, start: float) -> None:
        R, T, V = _finished(run, c)
        dom = dominant_gap_terms(run)
        late = dom[len(dom) // 2:]
        c.note(inverted=frac(V < R), true_below_val=frac(T < V), dominant_late=frac([d == term for d in late]))
        c.need(frac(V < R) >= 0.6, "validation below the reported loss in < 60% of epochs")
        # "not above validation" (5% for the subsample's noise): a mismatch would put it clearly above
        c.need(frac(T < 1.05 * V) >= 0.6 and T[-1] < 1.05 * V[-1], "true training loss above validation (> 5%)")
        c.need(frac([d == term for d in late]) >= 0.6, f"{term} not the largest term in the second half")
    return check


def _mismatch(run: Run, c: _Check, start: float) -> None:
    R, T, V = _finished(run, c)
    c.note(inverted=frac(V < R), true_above_val=frac(T > V), final_gap=(T[-1] - V[-1]) / V[-1])
    c.need(frac(V < R) >= 0.6, "validation below the reported loss in < 60% of epochs")
    c.need(frac(T > V) >= 0.8 and T[-1] > 1.1 * V[-1], "true training loss not above validation (>= 80% of epochs, +10% at the end)")


def _leaks(run: Run, c: _Check, start: float) -> None:
    R, T, V = _finished(run, c)
    c.note(inverted=frac(V < R), true_end_over_start=T[-1] / start, glued=abs(V[-1] - T[-1]) / V[-1])
    c.need(frac(V < R) >= 0.6, "validation below the reported loss in < 60% of epochs")
    c.need(T[-1] < 0.15 * start, "the model did not get near memorisation (true loss >= 15% of the untrained loss)")
    c.need(abs(V[-1] - T[-1]) / V[-1] < 0.25, "validation not glued to the true training loss (within 25%)")
    c.need(V[-1] <= 1.1 * V.min(), "validation turns up (would show overfitting, not leakage)")


def _erratic_val(run: Run, c: _Check, start: float) -> None:
    R, T, V = _finished(run, c)
    jumps = int(np.sum(V[1:] > 1.15 * V[:-1]))
    c.note(rough_ratio=roughness(V) / max(roughness(R), 1e-12), val_jumps=jumps, train_rise=largest_rise(R))
    c.need(roughness(V) > 2.5 * roughness(R), "validation not rougher than the reported loss (2.5x)")
    c.need(jumps >= 2 or roughness(V) > 4 * roughness(R), "fewer than 2 validation jumps > 15% (and validation < 4x as rough)")
    c.need(largest_rise(R) < 0.1, "the reported loss itself rises > 10% (not smooth training)")


def _unshuffled(run: Run, c: _Check, start: float) -> None:
    steps = _step_losses(run, c)
    if steps is None:
        return
    y, spe, epochs = steps
    at_epoch, at_half = epoch_autocorr(y, spe)
    c.note(autocorr_epoch=at_epoch, autocorr_half=at_half)
    c.need(len(y) == spe * epochs and spe >= 4, "fewer than 4 steps per epoch or not constant")
    # a shuffled run's detrended step loss is noise: no correlation one epoch apart
    c.need(at_epoch > 0.7, "autocorrelation of the step loss at one epoch's lag <= 0.7")


def _spikes(run: Run, c: _Check, start: float) -> None:
    R, T, V = _finished(run, c)
    k = int(_config(run)["lr_spike_epoch"]) - 1
    # judged on validation: every log layout has it per epoch (a training-loss jump can hide in
    # coarse step logging)
    c.note(val_jump=V[k] / V[k - 1], train_jump=R[k] / R[k - 1], recovery=V[k + 1:k + 4].min() / V[k - 1])
    c.need(V[k] > 1.3 * V[k - 1] and max(V[k] / V[k - 1], R[k] / R[k - 1]) > 1.5,
           "validation not > 1.3x the epoch before the spike, or neither curve > 1.5x")
    c.need(V[k + 1:k + 4].min() < 1.25 * V[k - 1], "validation not back within 25% of its pre-spike level in 3 epochs")


def _level_shift(run: Run, c: _Check, start: float) -> None:
    R, T, V = _finished(run, c)
    best = None
    for k in range(2, len(V) - 2):  # validation: per epoch in every log layout
        before = V[:k].min()
        if V[k] > 1.5 * before and np.median(V[k:]) > 1.3 * before and V[-1] > 1.2 * before:
            best = k
            break
    c.note(shift_epoch=(best + 1) if best is not None else -1)
    c.need(best is not None, "no validation jump > 1.5x its best so far that stays > 1.3x (median of the rest)")


SCENARIO_CRITERIA: dict[str, Callable[[Run, _Check, float], None]] = {
    "healthy": _healthy,
    "lr_far_too_high": _diverges,
    "lr_unstable": _unstable,
    "lr_far_too_low": _too_low,
    "too_little_capacity": _no_capacity,
    "overfit": _overfits,
    "heavy_dropout": _gap_from(C.GAP_TRAIN_MODE),
    "l2_in_loss": _gap_from(C.GAP_PENALTY),
    "augmentation": _gap_from(C.GAP_AUGMENTATION),
    "label_noise": _mismatch,
    "easier_val": _mismatch,
    "leakage": _leaks,
    "bn_tiny_batch": _erratic_val,
    "unshuffled": _unshuffled,
    "lr_spike": _spikes,
    "warmup_overshoot": _level_shift,
}


def check_scenario(family: str, run: Run, start: float) -> Phenomenon:
    """Measure whether a scenario run of fault ``family`` shows what its knob causes.

    ``start``: the untrained model's loss on this task. A criterion that cannot be evaluated
    (missing series, too short) counts as not shown.
    """
    c = _Check(family)
    try:
        SCENARIO_CRITERIA[family](run, c, start)
    except (IndexError, ValueError, KeyError, TypeError, ZeroDivisionError) as err:
        c.need(False, f"criterion not computable: {type(err).__name__}: {err}")
    return c.result
