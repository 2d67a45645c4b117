"""diagnose(run) -> Report: run every detector, apply the rules catalog, rank causes, write the verdict."""

from __future__ import annotations

import numpy as np

from .. import fmt
from ..columns import HUMAN_LABELS, LOSS_SERIES, TRAIN_LOSS, looks_like_adversarial_loss
from ..run import Run, RunContext
from . import thresholds as T
from .detectors import CHECKS, DETECTORS
from .calibration import calibrate, cap, positions_of, single_curve
from .model import Cause, Finding, Report, check_counts
from .rules import CAUSES, RULES, RuleInput
from .rules.base import BASES, CAUSE_TELLS
from .view import RunView


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """A jump is one event, whichever checks saw it: the spike check reports one that did not come
    back as a level shift, the level-shift check reports a burst that came back as a spike, and the
    divergence check may own it; the spike check's copy is dropped when a level shift, a divergence
    or the level-shift check's burst covers the same series and place."""
    owners = [f for f in findings if (f.kind in ("level_shift", "divergence") and not f.metrics.get("from_spike_check"))
              or f.metrics.get("burst_points")]
    if not owners:
        return findings

    def covered(f: Finding) -> bool:
        return any(s.series == f.series and (s.kind == "divergence" or (
                   f.start is not None and s.start is not None
                   and (f.start <= s.start <= (f.end if f.end is not None else f.start) or
                        s.start <= f.start <= (s.end if s.end is not None else s.start))))
                   for s in owners)

    # a burst the spike check found itself is reported once, by the spike check
    spike_peaks = {(f.series, f.metrics.get("peak_x")) for f in findings if f.kind == "spike" and not f.metrics.get("burst_points")}
    return [f for f in findings if not (f.metrics.get("from_spike_check") and covered(f))
            and not (f.metrics.get("burst_points") and (f.series, f.metrics.get("peak_x")) in spike_peaks)]


def _order_key(f: Finding):
    return (float("inf") if f.start is None else float(f.start), f.kind)


def _rank_causes(inp: RuleInput) -> list[Cause]:
    by_cause: dict[str, Cause] = {}
    supports: dict[str, list[float]] = {}
    bases: dict[str, set[str]] = {}
    for rule in RULES:
        got = rule.assess(inp)
        if got is None or got.confidence <= 0:
            continue
        info = CAUSES[rule.cause]
        c = by_cause.get(rule.cause)
        if c is None:
            c = by_cause[rule.cause] = Cause(rule.cause, info.title, 0.0, [], list(rule.actions or info.actions), [], rule.why or info.why)
        supports.setdefault(rule.cause, []).append(got.confidence)
        bases.setdefault(rule.cause, set()).add(got.basis)
        c.evidence += [e for e in got.evidence if e not in c.evidence]
        c.findings = sorted(set(c.findings) | set(got.findings))
        c.rules.append(rule.id)
    severe = {i for i, f in enumerate(inp.findings) if f.severity in ("warning", "critical")}
    for cid, confs in supports.items():
        confs.sort(reverse=True)
        # strongest rule, plus a little for each independent supporter
        conf = min(0.97, confs[0] + 0.1 * sum(confs[1:]))
        c = by_cause[cid]
        if severe and c.findings and not set(c.findings) & severe and (CAUSES[cid].benign or conf < T.MISMATCH_WARNING_CONFIDENCE):
            # explains only harmless findings while something else is wrong: a side note. Harmful causes
            # too, unless sure enough to make their finding a warning (a weak data-mismatch guess behind
            # an info gap would otherwise outrank the likelier training-time effect behind the same gap)
            conf *= T.INFO_ONLY_CAUSE_WEIGHT
        c.confidence = conf
        # what the reading rests on: a measurement if any supporter used one, else the finding's shape, else priors
        c.basis = next(b for b in BASES if b in bases[cid])
    # a cause that says something is wrong outranks a harmless one explaining the same findings
    # (leakage vs the averaging lag that shapes the same inverted gap): the harmless one is capped
    for c in by_cause.values():
        if not CAUSES[c.id].benign or not c.findings:
            continue
        harmful = [h.confidence for h in by_cause.values() if not CAUSES[h.id].benign and set(c.findings) <= set(h.findings)
                   and h.confidence >= T.MISMATCH_WARNING_CONFIDENCE]
        if harmful:
            c.confidence = min(c.confidence, max(harmful) - T.HARMLESS_BELOW_HARMFUL)
    causes = [c for c in by_cause.values() if c.confidence >= T.MIN_CAUSE_CONFIDENCE]
    causes.sort(key=lambda c: (-c.confidence, c.id))
    # the rules' score ranks; the calibration table (fitted on dev) turns it into a probability by
    # position - leading, rival or side - without changing which cause leads (calibration.py)
    for c in causes:
        c.score = c.confidence
    if causes:
        top = causes[0]
        single = single_curve(inp.view)
        for c, where in zip(causes, positions_of(causes, T.CAUSE_TIE_MARGIN)):
            c.confidence = cap(calibrate(c.score, where, c.basis, single), where, top.confidence)
        # the leading row of the table lies above the others: the top cause stays first
        causes[1:] = sorted(causes[1:], key=lambda c: (-c.confidence, -c.score, c.id))
    return causes


def _gap_severity(findings: list[Finding], causes: list[Cause]) -> None:
    """An inverted gap explained by regularization is 'info' (not a bug); data mismatch makes it a warning."""
    for i, f in enumerate(findings):
        if f.kind != "inverted_gap":
            continue
        mismatch = next((c for c in causes if i in c.findings and c.id == "data_mismatch"), None)
        # a weak mismatch guess (no true training loss, no context) is named but raises no alarm
        real = mismatch is not None and mismatch.score >= T.MISMATCH_WARNING_CONFIDENCE
        f.severity = "warning" if real else "info"


_RANK = {"info": 0, "warning": 1, "critical": 2}

#: Two causes whose rule scores are within this of each other are a tie: the verdict names both.
TIE = T.CAUSE_TIE_MARGIN


def _losses_that_are_not_progress(view: RunView, findings: list[Finding]) -> None:
    """Two kinds of run whose losses are not the progress measure the detectors assume:

    * reinforcement learning (the log holds an episode reward): the policy, value and entropy losses
      are fitted to the experience the policy collects, so they swing, jump and plateau as it changes
      - the reward is the measure of progress;
    * adversarial training (a GAN's discriminator and adversarial generator terms, and no training/
      validation loss of a supervised task): those terms trade off against each other, and every other
      term moves with the game - samples or FID measure progress.

    Loss-shape findings there are info with the reason said; a loss that went NaN/inf stays critical."""
    rewards = view.rewards
    adversarial = [n for n in view.run.series if looks_like_adversarial_loss(n)]
    supervised = any(view.run.get(n) is not None for n in LOSS_SERIES)
    if rewards:
        r = view.run.get(rewards[0]).y
        r = r[np.isfinite(r)]
        trend = (f" ({rewards[0]} {fmt.num(float(np.median(r[: max(1, len(r) // 10)])))} -> "
                 f"{fmt.num(float(np.median(r[-max(1, len(r) // 10):])))})") if len(r) >= 2 else ""
        why = (f"; an RL loss chases targets that move as the policy improves - the reward{trend} is the measure of "
               "progress, not this loss")
    elif adversarial and not supervised:
        why = (f"; a GAN's losses move with the adversarial game ({', '.join(adversarial[:3])} trade off against each "
               "other) - samples or FID measure progress, not these curves")
    else:
        return
    for f in findings:
        if f.kind == "divergence" and f.metrics.get("nonfinite"):
            continue
        f.severity = "info"
        f.metrics["not_a_progress_measure"] = "reinforcement learning" if rewards else "adversarial"
        f.summary += why


def _cause_phrase(causes: list[Cause]) -> tuple[str, str]:
    """(name, separating fact) of the verdict's cause: the top one, or the top two when they tie."""
    top = causes[0]
    if len(causes) > 1 and top.rank_score - causes[1].rank_score <= TIE:
        second = causes[1]
        tell = (f" To tell them apart, look for {CAUSE_TELLS.get(top.id, top.title.lower())} ({top.title.lower()}) "
                f"or {CAUSE_TELLS.get(second.id, second.title.lower())} ({second.title.lower()}).")
        return f"{top.title} or {second.title.lower()} ({fmt.confidence(top.confidence)} / {fmt.confidence(second.confidence)})", tell
    return f"{top.title} ({fmt.confidence(top.confidence)})", ""


def _nothing_reason(view: RunView) -> tuple[str, str]:
    """Why no check could run, and the one thing that would fix it."""
    losses = {n: len(c) for n in LOSS_SERIES if (c := view.curve(n)) is not None}
    others = [n for n in view.run.series if n not in LOSS_SERIES]
    if not losses:
        named = ", ".join(others[:6]) or "none"
        pick = (f" (CLI: --role {view.run.series[others[0]].source_column or others[0]}=train_loss; "
                "page: 'Series roles')") if others else ""
        return (f"no series was recognised as a training or validation loss (series found: {named})",
                f"map the loss columns to their roles (train_loss, val_loss) when loading the file{pick}")
    longest = max(losses.values())
    if longest < T.MIN_CURVE_POINTS:
        parts = ", ".join(f"{HUMAN_LABELS.get(n, n)}: {fmt.count(k, 'point')}" for n, k in losses.items())
        return (f"there is no curve to read ({parts}; a curve needs at least {T.MIN_CURVE_POINTS} points)",
                "log the loss every epoch (or every N steps) during training, not only a final summary")
    return ("the loss series are too short or too sparse for any check",
            "log validation every epoch alongside the training loss")


def _verdict(findings: list[Finding], causes: list[Cause], counts: dict[str, int], view: RunView) -> tuple[str, str]:
    """The one verdict rule (docs/diagnosis.md, "The verdict"):

    1. no check applicable -> "Nothing to diagnose: <reason>; <fix>" (status ``nothing``);
    2. a warning/critical finding -> the top-ranked cause (the top two when within CAUSE_TIE_MARGIN,
       with the fact that separates them), then the most severe finding's summary (status ``problems``);
       with no cause, the most severe finding itself; with a top cause below VERDICT_CAUSE_MIN_CONFIDENCE,
       the finding first and the cause after it as a possibility;
    3. otherwise "No problems found" with the checks passed; a listed cause is named as a note,
       the top one first (status ``healthy``).
    """
    if counts["passed"] + counts["failed"] == 0:
        reason, fix = _nothing_reason(view)
        return f"Nothing to diagnose: {reason}. To fix: {fix}.", "nothing"
    bad = [i for i, f in enumerate(findings) if f.severity in ("warning", "critical")]
    if bad:
        crit = [i for i in bad if findings[i].severity == "critical"] or bad
        # the headline answers for what costs the user something: the top cause among those explaining a
        # warning/critical finding (kmsiapps: an 81% cause of an info 'lucky low' led the verdict over an
        # erratic-validation warning); with no such cause, the most severe finding itself
        serious = [c for c in causes if any(findings[i].severity in ("warning", "critical") for i in c.findings)]
        if not serious:
            f = findings[crit[0]]
            return f"{f.kind.replace('_', ' ').capitalize()}: {f.summary}", "problems"
        name, tell = _cause_phrase(serious)
        named = [serious[0]] + ([serious[1]] if tell else [])
        theirs = sorted({i for c in named for i in c.findings}, key=lambda i: (-_RANK[findings[i].severity], i))
        f = findings[theirs[0]]
        if serious[0].confidence < T.VERDICT_CAUSE_MIN_CONFIDENCE:
            # a cause more likely wrong than right (a reading of one curve, nothing to corroborate it) is not
            # the answer: the headline is what was seen, the cause a possibility to check
            return f"{f.kind.replace('_', ' ').capitalize()}: {f.summary}. Possible cause: {name}.{tell}", "problems"
        return f"{name}: {f.summary}.{tell}", "problems"
    if not any(view.curve(n) is not None for n in LOSS_SERIES):
        # Losses without a role (loss0/loss1, a GAN's D_A/G_A): only the per-curve checks ran.
        # Saying "no problems found" here reads as a healthy run nobody actually checked.
        names = ", ".join(view.checked_losses[:6])
        return (f"Partly diagnosed: no series has the training or validation loss role; "
                f"{fmt.count(counts['passed'], 'check')} on the loss series as they are ({names}) found nothing, "
                f"{counts['not_applicable']} need the roles. To diagnose fully: give the losses their roles "
                f"(train_loss, val_loss).", "nothing")
    head = f"No problems found: {fmt.count(counts['passed'], 'check')} passed"
    if counts["not_applicable"]:
        head += f", {counts['not_applicable']} not applicable"
    tr = view.curve(TRAIN_LOSS)
    if tr is not None and len(tr) >= 2 and tr.positive and tr.y[-1] < tr.y[0]:
        head += f"; {HUMAN_LABELS[TRAIN_LOSS]} fell to {fmt.of_start(tr.y[-1] / tr.y[0])}"
    if causes:
        name, tell = _cause_phrase(causes)
        mine = [findings[i] for i in causes[0].findings]
        what = f" - {mine[0].summary}" if mine else ""
        benign = CAUSES[causes[0].id].benign if causes[0].id in CAUSES else False
        if benign and causes[0].rank_score >= 0.5:  # the rules are sure (context or a measurement), not a guess
            what += " - not a problem"
        elif benign:
            what += " - most likely a training-time effect, not a bug; log the true training loss to confirm"
        return f"{head}. Note: {name}{what}.{tell}", "healthy"
    return head + ".", "healthy"


def _checks(details: dict[str, tuple[str, bool]], findings: list[Finding]) -> list[dict]:
    """Each check passed, failed (a warning/critical finding of its kind) or not applicable."""
    out = []
    for chk in CHECKS:
        detail, applicable = details.get(chk.id, ("not run", False))
        failed = any(f.kind in chk.kinds and f.severity in ("warning", "critical") for f in findings)
        status = "not_applicable" if not applicable and not failed else ("failed" if failed else "passed")
        out.append({"id": chk.id, "title": chk.title, "status": status, "passed": status == "passed",
                    "applicable": status != "not_applicable",
                    "detail": detail if status != "not_applicable" else f"not applicable: {detail}"})
    return out


def diagnose(run: Run, *, context: RunContext | None = None) -> Report:
    """Diagnose one run. ``context`` (when given) overrides fields of ``run.context``."""
    view = RunView.of(run, context)
    findings: list[Finding] = []
    details: dict[str, tuple[str, bool]] = {}
    longest = max((len(c) for n in view.checked_losses + [TRAIN_LOSS] if (c := view.curve(n)) is not None), default=0)
    nonfinite = any(view.run.get(n) is not None and view.run.get(n).n_nonfinite for n in view.checked_losses)
    # no curve at all (a final summary, one or two points): no check can say anything honest
    detectors = DETECTORS if longest >= T.MIN_CURVE_POINTS or nonfinite else ()
    for chk in CHECKS:
        details[chk.id] = ("no loss curve with at least "
                           f"{fmt.count(T.MIN_CURVE_POINTS, 'point')}", False)
    for det in detectors:
        try:
            got = det.detect(view)
        except (ValueError, FloatingPointError, IndexError, ZeroDivisionError) as err:  # never let one detector sink the report
            details[det.CHECK.id] = (f"could not be evaluated: {err}", False)
            continue
        findings += got.findings
        details[det.CHECK.id] = (got.detail, got.applicable)
    findings = _dedupe(findings)
    findings.sort(key=_order_key)
    _losses_that_are_not_progress(view, findings)
    inp = RuleInput(findings, view.context, view)
    causes = _rank_causes(inp)
    _gap_severity(findings, causes)
    checks = _checks(details, findings)
    counts = check_counts(checks)
    verdict, status = _verdict(findings, causes, counts, view)
    run_info = {
        "name": run.name,
        "format": run.format,
        "x_axis": view.axis,
        "series": list(run.series),
        "source": run.source,
        "context": view.context.to_dict(),
    }
    return Report(run=run_info, findings=findings, causes=causes, checks=checks, verdict=verdict, healthy=status == "healthy",
                  status=status)
