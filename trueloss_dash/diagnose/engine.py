"""diagnose(run) -> Report: run every detector, apply the rules catalog, rank causes, write the verdict."""

from __future__ import annotations

from ..columns import HUMAN_LABELS, TRAIN_LOSS
from ..run import Run, RunContext
from . import thresholds as T
from .detectors import CHECKS, DETECTORS
from .model import Cause, Finding, Report
from .rules import CAUSES, INVERTED_GAP_CAUSES, RULES, RuleInput
from .signals import pct
from .view import RunView


def _order_key(f: Finding):
    return (float("inf") if f.start is None else float(f.start), f.kind)


def _rank_causes(inp: RuleInput) -> list[Cause]:
    by_cause: dict[str, Cause] = {}
    supports: dict[str, list[float]] = {}
    for rule in RULES:
        got = rule.assess(inp)
        if got is None or got.confidence <= 0:
            continue
        info = CAUSES[rule.cause]
        c = by_cause.get(rule.cause)
        if c is None:
            c = by_cause[rule.cause] = Cause(rule.cause, info.title, 0.0, [], list(rule.actions or info.actions), [], rule.why or info.why)
        supports.setdefault(rule.cause, []).append(got.confidence)
        c.evidence += [e for e in got.evidence if e not in c.evidence]
        c.findings = sorted(set(c.findings) | set(got.findings))
        c.rules.append(rule.id)
    severe = {i for i, f in enumerate(inp.findings) if f.severity in ("warning", "critical")}
    for cid, confs in supports.items():
        confs.sort(reverse=True)
        # strongest rule, plus a little for each independent supporter
        conf = min(0.97, confs[0] + 0.1 * sum(confs[1:]))
        c = by_cause[cid]
        if severe and c.findings and not set(c.findings) & severe and CAUSES[cid].benign:
            conf *= T.INFO_ONLY_CAUSE_WEIGHT  # explains a harmless finding while something else is wrong
        c.confidence = conf
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
    return causes


def _gap_severity(findings: list[Finding], causes: list[Cause]) -> None:
    """An inverted gap explained by regularization is 'info' (not a bug); data mismatch makes it a warning."""
    for i, f in enumerate(findings):
        if f.kind != "inverted_gap":
            continue
        mismatch = next((c for c in causes if i in c.findings and c.id == "data_mismatch"), None)
        top = next((c for c in causes if i in c.findings and c.id in INVERTED_GAP_CAUSES), None)
        real = mismatch is not None and (mismatch is top or mismatch.confidence >= T.MISMATCH_WARNING_CONFIDENCE)
        f.severity = "warning" if real else "info"


def _verdict(findings: list[Finding], causes: list[Cause], checks: list[dict], view: RunView) -> tuple[str, bool]:
    bad = [i for i, f in enumerate(findings) if f.severity in ("warning", "critical")]
    if bad:
        crit = [i for i in bad if findings[i].severity == "critical"]
        focus = crit or bad
        linked = [c for c in causes if set(c.findings) & set(focus)]
        # a harmful cause names what is wrong better than a harmless one explaining the same finding
        top = next((c for c in linked if not CAUSES[c.id].benign), linked[0] if linked else None)
        f = findings[focus[0]] if top is None else findings[min(set(top.findings) & set(focus))]
        if top is None:
            return f"{f.kind.replace('_', ' ').capitalize()}: {f.summary}", False
        return f"{top.title} ({top.confidence:.0%}): {f.summary}", False
    gap = next((i for i, f in enumerate(findings) if f.kind == "inverted_gap"), None)
    if gap is not None:
        linked = [c for c in causes if gap in c.findings]
        top = linked[0] if linked else None
        if top is not None and top.confidence >= 0.5:
            return f"Validation below training is explained by {top.title.lower()} - not a problem", True
        # only the harmless training-time effects are "regularization"; a data mismatch is named apart
        benign = [c.title.lower() for c in linked if CAUSES[c.id].benign][:3]
        mismatch = next((c for c in linked if c.id == "data_mismatch"), None)
        names = " / ".join(benign) or "dropout, augmentation or a penalty in the loss"
        tail = ("; if the true training loss turns out above validation, it is a train/validation data mismatch instead"
                if mismatch is not None else "")
        return (f"Validation below training is most likely a training-time effect ({names}) - not a bug; "
                f"log the true training loss to confirm{tail}"), True
    passed = sum(1 for c in checks if c["passed"] and c.get("applicable", True))
    extra = ""
    tr = view.curve(TRAIN_LOSS)
    if tr is not None and len(tr) >= 2 and tr.positive:
        extra = f"; {HUMAN_LABELS[TRAIN_LOSS]} fell {pct(1 - tr.y[-1] / tr.y[0])}"
    notes = [f.kind for f in findings]
    tail = f" (notes: {', '.join(notes)})" if notes else ""
    return f"No problems found: {passed} checks passed{extra}{tail}", True


def diagnose(run: Run, *, context: RunContext | None = None) -> Report:
    """Diagnose one run. ``context`` (when given) overrides fields of ``run.context``."""
    view = RunView.of(run, context)
    findings: list[Finding] = []
    details: dict[str, tuple[str, bool]] = {}
    for det in DETECTORS:
        try:
            got = det.detect(view)
        except (ValueError, FloatingPointError, IndexError, ZeroDivisionError) as err:  # never let one detector sink the report
            details[det.CHECK.id] = (f"could not be evaluated: {err}", False)
            continue
        findings += got.findings
        details[det.CHECK.id] = (got.detail, got.applicable)
    findings.sort(key=_order_key)
    inp = RuleInput(findings, view.context, view)
    causes = _rank_causes(inp)
    _gap_severity(findings, causes)
    checks = []
    for chk in CHECKS:
        detail, applicable = details.get(chk.id, ("not run", False))
        failed = any(f.kind == chk.id and f.severity in ("warning", "critical") for f in findings)
        checks.append({"id": chk.id, "title": chk.title, "passed": not failed, "applicable": applicable,
                       "detail": detail if applicable else f"not applicable: {detail}"})
    verdict, healthy = _verdict(findings, causes, checks, view)
    run_info = {
        "name": run.name,
        "format": run.format,
        "x_axis": view.axis,
        "series": list(run.series),
        "source": run.source,
        "context": view.context.to_dict(),
    }
    return Report(run=run_info, findings=findings, causes=causes, checks=checks, verdict=verdict, healthy=healthy)
