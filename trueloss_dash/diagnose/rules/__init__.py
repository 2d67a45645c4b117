"""The rules catalog: from findings (and what is known about the run) to likely causes.

Read it top to bottom. Each :class:`Rule` names the findings and context it looks at, the cause it
supports, how its confidence is computed, the mechanism ("why") and what to do. ``assess`` returns
an :class:`Assessment` (confidence, evidence sentences with this run's numbers, the findings it
explains) or None when the rule does not apply. Several rules may support one cause; the engine
keeps the strongest and adds a little for each independent supporter.

The catalog is split by cause family: :mod:`.instability` (spikes, level shifts, divergence,
oscillation, erratic validation), :mod:`.progress` (slow, stuck, overfit, unshuffled, over-confident) and
:mod:`.gap` (validation below training). Shared records and helpers are in :mod:`.base`.

Thresholds come from :mod:`..thresholds`; nothing here hard-codes a number a detector also uses.
"""

from __future__ import annotations

from .base import CAUSES, INVERTED_GAP_CAUSES, TRACKER, Assessment, CauseInfo, Rule, RuleInput
from .gap import GAP_RULES
from .instability import INSTABILITY_RULES
from .progress import PROGRESS_RULES

RULES: tuple[Rule, ...] = INSTABILITY_RULES + PROGRESS_RULES + GAP_RULES


def rule_catalog() -> list[dict]:
    """The catalog as plain dicts (for the UI's rule page and docs)."""
    return [r.describe() for r in RULES]


__all__ = ["CAUSES", "INVERTED_GAP_CAUSES", "TRACKER", "Assessment", "CauseInfo", "Rule", "RuleInput", "RULES", "rule_catalog"]
