"""What a diagnosis produces: findings (what the curves show), causes (why), checks (what was looked
at) and a one-line verdict. Plain data with JSON round-trip and text/markdown renderings, so the
CLI, the UI and exports all show the same thing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..columns import HUMAN_LABELS
from ..fmt import confidence as fmt_confidence, span

SEVERITIES = ("info", "warning", "critical")
FINDING_KINDS = (
    "spike",
    "level_shift",
    "erratic_validation",
    "inverted_gap",
    "overfitting",
    "divergence",
    "plateau",
    "oscillation",
    "underfitting",
    "shuffling",
    "metric_disagreement",
)
CAUSE_IDS = (
    "lr_overshoot",
    "lr_too_high",
    "lr_too_low",
    "batchnorm_instability",
    "dropout",
    "weight_penalty",
    "augmentation",
    "epoch_averaging_lag",
    "data_mismatch",
    "overfitting",
    "underfitting",
    "unshuffled_data",
    "overconfidence",
    "data_or_pipeline_change",
    "eval_noise",
)


def _clean(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, non-finite floats to None, round long floats."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value == int(value) and abs(value) < 1e15:
            return int(value)
        return float(f"{value:.6g}")
    return value


@dataclass
class Finding:
    """Something the curves show: where (series, start..end on ``x_axis``), how strong (metrics)."""

    kind: str
    severity: str
    series: str
    start: float | None
    end: float | None
    x_axis: str
    metrics: dict[str, Any] = field(default_factory=dict)
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _clean(
            {
                "kind": self.kind,
                "severity": self.severity,
                "series": self.series,
                "start": self.start,
                "end": self.end,
                "x_axis": self.x_axis,
                "metrics": self.metrics,
                "summary": self.summary,
            }
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Finding":
        return cls(
            kind=d["kind"],
            severity=d.get("severity", "info"),
            series=d.get("series", ""),
            start=d.get("start"),
            end=d.get("end"),
            x_axis=d.get("x_axis", "epoch"),
            metrics=dict(d.get("metrics") or {}),
            summary=d.get("summary", ""),
        )

    @property
    def where(self) -> str:
        return span(self.x_axis, self.start, self.end)


@dataclass
class Cause:
    """A likely reason, with the numbers that support it and what to do about it."""

    id: str
    title: str
    confidence: float
    evidence: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    findings: list[int] = field(default_factory=list)
    why: str = ""
    rules: list[str] = field(default_factory=list)  # ids of the rules that supported it
    #: the rules' raw score (ranks causes); ``confidence`` is its calibrated probability (calibration.py)
    score: float | None = None
    #: what the strongest reading rests on: measured / shape / prior (rules.base.BASES; calibration.py)
    basis: str | None = None

    @property
    def rank_score(self) -> float:
        """What causes are ranked and tied by: the raw rule score (the confidence in reports saved without one)."""
        return self.confidence if self.score is None else self.score

    def to_dict(self) -> dict[str, Any]:
        return _clean(
            {
                "id": self.id,
                "title": self.title,
                "confidence": round(float(self.confidence), 3),
                "evidence": list(self.evidence),
                "actions": list(self.actions),
                "findings": list(self.findings),
                "why": self.why,
                "rules": list(self.rules),
                "score": None if self.score is None else round(float(self.score), 3),
                "basis": self.basis,
            }
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Cause":
        return cls(
            id=d["id"],
            title=d.get("title", d["id"]),
            confidence=float(d.get("confidence", 0.0)),
            evidence=list(d.get("evidence") or []),
            actions=list(d.get("actions") or []),
            findings=[int(i) for i in d.get("findings") or []],
            why=d.get("why", ""),
            rules=list(d.get("rules") or []),
            score=None if d.get("score") is None else float(d["score"]),
            basis=d.get("basis"),
        )


CHECK_STATUSES = ("passed", "failed", "not_applicable")
REPORT_STATUSES = ("problems", "healthy", "nothing")


def check_status(chk: Mapping[str, Any]) -> str:
    """passed / failed / not_applicable (older reports carried only ``passed`` and ``applicable``)."""
    st = chk.get("status")
    if st in CHECK_STATUSES:
        return st
    if not chk.get("applicable", True):
        return "not_applicable"
    return "passed" if chk.get("passed") else "failed"


def check_counts(checks: list[Mapping[str, Any]]) -> dict[str, int]:
    """How many checks passed, failed and were not applicable - the one count every view shows."""
    out = {s: 0 for s in CHECK_STATUSES}
    for c in checks:
        out[check_status(c)] += 1
    return out


@dataclass
class Report:
    """The diagnosis of one run. ``healthy`` is True only when no finding is warning/critical."""

    run: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    verdict: str = ""
    healthy: bool = True
    #: "problems" (a warning/critical finding), "healthy" (checks ran, nothing wrong) or "nothing"
    #: (no check had the series it needs: not healthy, not an alarm)
    status: str = ""

    def __post_init__(self) -> None:
        if self.status not in REPORT_STATUSES:
            self.status = "healthy" if self.healthy else "problems"

    @property
    def check_counts(self) -> dict[str, int]:
        return check_counts(self.checks)

    # -- serialisation --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "run": _clean(self.run),
            "verdict": self.verdict,
            "healthy": bool(self.healthy),
            "status": self.status,
            "check_counts": self.check_counts,
            "findings": [f.to_dict() for f in self.findings],
            "causes": [c.to_dict() for c in self.causes],
            "checks": [_clean(c) for c in self.checks],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Report":
        return cls(
            run=dict(d.get("run") or {}),
            findings=[Finding.from_dict(f) for f in d.get("findings") or []],
            causes=[Cause.from_dict(c) for c in d.get("causes") or []],
            checks=[dict(c) for c in d.get("checks") or []],
            verdict=d.get("verdict", ""),
            healthy=bool(d.get("healthy", True)),
            status=d.get("status", ""),
        )

    # -- reading --------------------------------------------------------------------------------
    def kinds(self) -> list[str]:
        return [f.kind for f in self.findings]

    def cause_ids(self) -> list[str]:
        return [c.id for c in self.causes]

    def cause(self, cause_id: str) -> Cause | None:
        return next((c for c in self.causes if c.id == cause_id), None)

    # -- renderings -----------------------------------------------------------------------------
    def to_text(self) -> str:
        name = self.run.get("name", "run")
        lines = [f"Run: {name}" + (f"  ({self.run['format']})" if self.run.get("format") else "")]
        lines.append(f"Verdict: {self.verdict}")
        lines.append("")
        if self.findings:
            lines.append("Findings:")
            for i, f in enumerate(self.findings):
                lines.append(f"  [{i + 1}] {f.severity.upper():8} {f.kind:20} {f.series:16} {f.where}")
                lines.append(f"      {f.summary}")
        else:
            lines.append("Findings: none")
        if self.causes:
            lines.append("")
            lines.append("Likely causes:")
            for c in self.causes:
                refs = ", ".join(f"[{i + 1}]" for i in c.findings)
                lines.append(f"  {fmt_confidence(c.confidence):>4}  {c.title} ({c.id})" + (f"  explains {refs}" if refs else ""))
                if c.why:
                    lines.append(f"        why: {c.why}")
                for e in c.evidence:
                    lines.append(f"        - {e}")
                for a in c.actions:
                    lines.append(f"        > {a}")
        lines.append("")
        cc = self.check_counts
        lines.append(f"Checks: {cc['passed']} passed, {cc['failed']} failed, {cc['not_applicable']} not applicable")
        for chk in self.checks:
            mark = {"passed": "ok  ", "failed": "FAIL", "not_applicable": "n/a "}[check_status(chk)]
            lines.append(f"  {mark} {chk.get('title', chk.get('id'))}: {chk.get('detail', '')}")
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        name = self.run.get("name", "run")
        out = [f"## Diagnosis: {name}", "", f"**{self.verdict}**", ""]
        if self.findings:
            out += ["### Findings", "", "| # | severity | kind | series | where | summary |", "|---|---|---|---|---|---|"]
            for i, f in enumerate(self.findings):
                # words, as on the page: "inverted gap", "validation loss" (not inverted_gap / val_loss)
                out.append(f"| {i + 1} | {f.severity} | {f.kind.replace('_', ' ')} | "
                           f"{HUMAN_LABELS.get(f.series, f.series)} | {f.where} | {f.summary} |")
            out.append("")
        if self.causes:
            out += ["### Likely causes", ""]
            for c in self.causes:
                refs = ", ".join(str(i + 1) for i in c.findings)
                out.append(f"#### {c.title} — {fmt_confidence(c.confidence)}" + (f" (findings {refs})" if refs else ""))
                if c.why:
                    out.append(f"*Why:* {c.why}")
                out.append("")
                out += [f"- {e}" for e in c.evidence]
                if c.actions:
                    out.append("")
                    out.append("What to do:")
                    out += [f"1. {a}" for a in c.actions]
                out.append("")
        cc = self.check_counts
        out += ["### Checks", "", f"{cc['passed']} passed, {cc['failed']} failed, {cc['not_applicable']} not applicable", "",
                "| check | result | detail |", "|---|---|---|"]
        for chk in self.checks:
            out.append(f"| {chk.get('title', chk.get('id'))} | {check_status(chk).replace('_', ' ')} | {chk.get('detail', '')} |")
        return "\n".join(out) + "\n"
