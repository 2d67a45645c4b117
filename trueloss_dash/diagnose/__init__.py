"""Diagnosis engine: detectors find what the curves show (findings), a readable rules catalog says
why (causes, with evidence and actions), and a :class:`Report` carries both plus the checks that ran.

    from trueloss_dash.diagnose import diagnose
    report = diagnose(run)            # or diagnose(run, context=RunContext(dropout=0.5))
    print(report.verdict); report.to_json()

Pure core: imports numpy only (no torch, Streamlit or Plotly).
"""

from .detectors import CHECKS, DETECTORS, Check
from .engine import diagnose
from .model import CAUSE_IDS, FINDING_KINDS, SEVERITIES, Cause, Finding, Report
from .rules import CAUSES, RULES, Rule, rule_catalog

__all__ = [
    "diagnose", "Report", "Finding", "Cause", "RULES", "CHECKS", "CAUSES", "Rule", "Check", "DETECTORS",
    "rule_catalog", "FINDING_KINDS", "CAUSE_IDS", "SEVERITIES",
]
