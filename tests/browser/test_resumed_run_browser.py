"""A file of two appended stages in Debian Chromium (Fatima-Siddiqa/diabetic-retinopathy-project
``training_log.csv`` from the real-log corpus): both runs open, the second is read as the first one's
continuation (the reader note says so) and is not called underfitting. Screenshots in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import CHART

pytestmark = pytest.mark.browser

LOG = Path(__file__).resolve().parents[1] / "data" / "corpus" / "Fatima-Siddiqa__diabetic-retinopathy-project" / "training_log.csv"


def test_second_stage_of_a_file_is_read_as_a_continuation(open_session, artifacts_dir):
    s = open_session()
    page = s.page
    s.upload(LOG)
    page.wait_for_selector(CHART, timeout=60_000)
    s.settle()
    main = page.locator("[data-testid=stMain]")
    # both stages open; the second (selected) carries the reader's continuation note
    assert "Loaded 2 runs" in main.inner_text()
    s.click(page.locator("[data-testid=stExpander]").filter(has_text="Reader notes").first.locator("summary").first)
    notes = page.locator("[data-testid=stExpander]").filter(has_text="Reader notes").first.inner_text()
    assert "continuation" in notes and "not an untrained one" in notes, notes
    # ... so a stage that resumed at its previous level is no model that "cannot fit": no warning badge
    findings = main.inner_text()
    assert "Findings (" in findings and "WARNING" not in findings.upper().split("FINDINGS (")[1].split("LIKELY CAUSES")[0], findings
    verdict = page.locator("[data-testid=tl-verdict]").first
    assert verdict.get_attribute("data-level") == "ok", verdict.inner_text()
    page.screenshot(path=str(artifacts_dir / "browser_resumed_notes.png"), full_page=True)
    assert not s.errors, s.errors
