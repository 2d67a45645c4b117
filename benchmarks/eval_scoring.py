"""Scoring for ``eval_diagnosis.py``: is a report right for its label, false alarms, calibration.

Label semantics (shared by the scenario labels and the real-log corpus ``LABELS.tsv``):

- ``expected_finding``: a finding kind (``a|b``: either), ``healthy`` or ``nothing_to_diagnose``;
- ``acceptable_causes``: one of them must be among the top 2 causes (empty: no requirement);
- ``also_ok``: finding kinds that may appear at any severity without counting against the run
  (``nothing_to_diagnose`` there: an honest "nothing to diagnose" verdict is also right).

A report is **right** when
- ``healthy``: no warning/critical finding (other than ``also_ok`` kinds);
- ``nothing_to_diagnose``: the report says so (or the loader refused the file with a sentence);
- a kind: that finding is present (any severity) and, if causes are listed, one is in the top 2.

A file that loads as several runs is judged as its user sees it, every run diagnosed (``judge_runs``):
healthy only when no run alarms, a kind when some run reports it.

A **false alarm** is a healthy-labelled run with any warning/critical finding (other than
``also_ok``). **Calibration** looks at every cause a report gives: on a run with acceptable causes
it is right when it is one of them; on a healthy run a cause that explains a warning/critical
finding is wrong (causes behind info findings only are not scored). Expected calibration error =
sum over confidence bins of (share of causes in the bin) x |mean confidence - fraction right|.

Pure functions over :class:`~trueloss_dash.diagnose.model.Report`; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

HEALTHY = "healthy"
NOTHING = "nothing_to_diagnose"
ALARM_SEVERITIES = ("warning", "critical")
BINS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)


def split_list(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"a,b"``, ``"a|b"``, ``"a; b"`` or a sequence -> ``("a", "b")`` (empty and ``-`` dropped)."""
    if text is None:
        return ()
    items = re.split(r"[,|;\s]+", text) if isinstance(text, str) else list(text)
    return tuple(i.strip() for i in items if i and i.strip() and i.strip() != "-")


@dataclass(frozen=True)
class Label:
    expected_finding: str
    acceptable_causes: tuple[str, ...] = ()
    also_ok: tuple[str, ...] = ()

    @property
    def kinds(self) -> tuple[str, ...]:
        return split_list(self.expected_finding)

    @property
    def healthy(self) -> bool:
        return self.expected_finding == HEALTHY


@dataclass
class Judgement:
    right: bool
    why: str  # empty when right
    false_alarm: bool | None  # None: not a healthy-labelled run
    cause_points: list[tuple[float, bool]] = field(default_factory=list)  # (confidence, right)


def alarms(report, also_ok: Iterable[str] = ()) -> list:
    ok = set(also_ok)
    return [f for f in report.findings if f.severity in ALARM_SEVERITIES and f.kind not in ok]


def says_nothing_to_diagnose(report) -> bool:
    """The engine's honest "nothing could be checked" verdict, however it is expressed."""
    if getattr(report, "status", "") == "nothing" or NOTHING in report.kinds():
        return True
    return str(getattr(report, "verdict", "")).lower().startswith("nothing to diagnose")


def scored_causes(label: Label, report) -> list[tuple[object, bool]]:
    """The causes a report gives that calibration is judged on, each with whether it is right (module docstring)."""
    if label.healthy:
        bad = {i for i, f in enumerate(report.findings) if f.severity in ALARM_SEVERITIES and f.kind not in label.also_ok}
        return [(c, False) for c in report.causes if set(c.findings) & bad]
    if not label.acceptable_causes:
        return []
    ok = set(label.acceptable_causes)
    return [(c, c.id in ok) for c in report.causes]


def cause_points(label: Label, report) -> list[tuple[float, bool]]:
    return [(float(c.confidence), right) for c, right in scored_causes(label, report)]


def judge(label: Label, report) -> Judgement:
    """Score one report against its label (see the module docstring)."""
    points = cause_points(label, report)
    if NOTHING in label.also_ok and label.expected_finding != NOTHING and says_nothing_to_diagnose(report):
        return Judgement(True, "", False if label.healthy else None, points)  # an honest "cannot tell" is fine here
    if label.healthy:
        found = alarms(report, label.also_ok)
        why = "" if not found else "false alarm: " + ", ".join(f"{f.kind}({f.severity}) on {f.series}" for f in found)
        return Judgement(not found, why, bool(found), points)
    if label.expected_finding == NOTHING:
        ok = says_nothing_to_diagnose(report)
        return Judgement(ok, "" if ok else "expected 'nothing to diagnose'", None, points)
    kinds = set(report.kinds())
    bad = []
    if not kinds & set(label.kinds):
        bad.append(f"missing {label.expected_finding}")
    top2 = report.cause_ids()[:2]
    if label.acceptable_causes and not set(top2) & set(label.acceptable_causes):
        bad.append(f"top-2 causes {top2 or '-'} not in {'|'.join(label.acceptable_causes)}")
    return Judgement(not bad, "; ".join(bad), None, points)


def deciding_run(label: Label, judged: Sequence[Judgement]) -> int:
    """Index of the run that decides a multi-run file's judgement: the first wrong run of a healthy
    (or nothing-to-diagnose) file, the first right run of a finding kind, else the first run."""
    want_wrong = label.healthy or label.expected_finding == NOTHING
    return next((k for k, j in enumerate(judged) if j.right != want_wrong), 0)


def judge_runs(label: Label, reports: Sequence) -> Judgement:
    """Score a file that loads as several runs (appended runs, folds, two models side by side) the way
    its user sees it - every run diagnosed. The label describes the file: a healthy file is right
    only when no run raises an alarm (one alarming run is a false alarm), "nothing to diagnose" only
    when every run says so, and a finding kind when some run reports it (with its causes). The file
    is one labelled item, so calibration takes the causes of the run that decided it
    (:func:`deciding_run`), not of every run: a log of 40 appended runs must not weigh 40 times as
    much as a log of one."""
    return combine_runs(label, [judge(label, r) for r in reports])


def combine_runs(label: Label, judged: Sequence[Judgement]) -> Judgement:
    """The file's judgement from its runs' (:func:`judge_runs`), for callers that keep the per-run ones."""
    if len(judged) == 1:
        return judged[0]
    decided = judged[deciding_run(label, judged)]
    if label.healthy or label.expected_finding == NOTHING:
        wrong = [(k, j) for k, j in enumerate(judged, 1) if not j.right]
        why = "; ".join(f"run {k}/{len(judged)}: {j.why}" for k, j in wrong)
        fa = any(j.false_alarm for j in judged) if label.healthy else None
        return Judgement(not wrong, why, fa, decided.cause_points)
    if decided.right:
        return Judgement(True, "", None, decided.cause_points)
    return Judgement(False, f"no run of {len(judged)} right; run 1: {judged[0].why}", None, decided.cause_points)


def judge_unloadable(label: Label, message: str) -> Judgement:
    """A file the loader refused: right only when nothing could be diagnosed from it anyway."""
    if label.expected_finding == NOTHING or NOTHING in label.also_ok:
        return Judgement(True, "", None, [])
    return Judgement(False, f"unloadable: {message}", False if label.healthy else None, [])


#: Bootstrap draws for the ECE interval (enough for stable 2.5/97.5 percentiles at these sizes).
BOOTSTRAP_DRAWS = 2000
#: z of a two-sided 95% interval.
Z95 = 1.959964


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion k/n (well behaved at 0/n and n/n, unlike k/n +- z*se)."""
    if n <= 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_ece(groups: Sequence[Sequence[tuple[float, bool]]], draws: int = BOOTSTRAP_DRAWS,
                  seed: int = 0) -> tuple[float, float] | None:
    """2.5th and 97.5th percentiles of the ECE over ``draws`` resamples of the item groups (with
    replacement). ECE is biased upward on few points (bin noise never averages to zero), so the
    interval says how far a reading can move by chance, not where the true value lies exactly."""
    import numpy as np

    if len(groups) < 2:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(draws):
        picked = rng.integers(0, len(groups), len(groups))
        values.append(reliability([p for i in picked for p in groups[i]]).ece or 0.0)
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)


@dataclass
class Reliability:
    rows: list[tuple[float, float, int, float, float]]  # (bin lo, bin hi, count, mean confidence, fraction right)
    ece: float | None
    n: int


def reliability(points: Sequence[tuple[float, bool]], bins: Sequence[float] = BINS) -> Reliability:
    """Confidence bins with count, mean confidence and fraction right; ECE (None without points)."""
    rows = []
    n = len(points)
    ece = 0.0
    for lo, hi in zip(bins[:-1], bins[1:]):
        inside = [(c, r) for c, r in points if lo <= c < hi]
        if not inside:
            continue
        conf = sum(c for c, _ in inside) / len(inside)
        acc = sum(1 for _, r in inside if r) / len(inside)
        rows.append((lo, min(hi, 1.0), len(inside), conf, acc))
        ece += len(inside) / n * abs(conf - acc)
    return Reliability(rows, ece if n else None, n)


@dataclass
class SplitScore:
    """Aggregates over one split's judged runs."""

    n: int = 0
    right: int = 0
    healthy: int = 0
    false_alarms: int = 0
    undecidable: int = 0
    unloadable: int = 0
    points: list[tuple[float, bool]] = field(default_factory=list)
    per_finding: dict[str, list[bool]] = field(default_factory=dict)
    #: the scored causes of each judged item (one file or run): the unit a bootstrap resamples
    point_groups: list[list[tuple[float, bool]]] = field(default_factory=list)

    def add(self, label: Label, judgement: Judgement) -> None:
        self.n += 1
        self.right += judgement.right
        if judgement.false_alarm is not None:
            self.healthy += 1
            self.false_alarms += judgement.false_alarm
        self.points += judgement.cause_points
        if judgement.cause_points:
            self.point_groups.append(list(judgement.cause_points))
        self.per_finding.setdefault(label.expected_finding, []).append(judgement.right)

    @property
    def accuracy(self) -> float | None:
        return self.right / self.n if self.n else None

    @property
    def false_alarm_rate(self) -> float | None:
        return self.false_alarms / self.healthy if self.healthy else None

    @property
    def reliability(self) -> Reliability:
        return reliability(self.points)

    @property
    def accuracy_interval(self) -> tuple[float, float] | None:
        return wilson(self.right, self.n)

    @property
    def false_alarm_interval(self) -> tuple[float, float] | None:
        return wilson(self.false_alarms, self.healthy)

    def ece_interval(self, draws: int = BOOTSTRAP_DRAWS, seed: int = 0) -> tuple[float, float] | None:
        """95% interval of the ECE by a bootstrap over judged items (the causes of one file move
        together: resampling causes one by one would understate the spread)."""
        return bootstrap_ece(self.point_groups, draws, seed)


@dataclass
class Item:
    """One labelled log to evaluate: where it comes from, its label, and the run or the file."""

    group: str  # scenarios | real | presets | shared
    split: str  # dev | test | tuned
    name: str
    label: Label
    path: object = None  # a file to load (pathlib.Path)
    run: object = None  # or a Run already in memory
    family: str = ""
    status: str = "labelled"  # labelled | undecidable (label not verified on the curves: excluded)
    reason: str = ""
