"""The role picker in Debian Chromium, on a real public log whose loss columns say nothing about
their role (``loss0`` / ``loss1``, andyz422/CIFAR_CNN ``losses.csv`` from the ingestion corpus):
the page asks for roles, the user picks them, the chart and the diagnosis follow, and the choice
survives a reload and a second upload of the same file. Screenshots land in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import CHART

pytestmark = pytest.mark.browser

LOG = Path(__file__).resolve().parents[1] / "data" / "corpus" / "andyz422__CIFAR_CNN" / "losses.csv"


def _chart_text(s) -> str:
    return s.page.locator(CHART).first.inner_text()


def _verdict(s) -> str:
    return s.page.locator("[data-testid=tl-verdict]").first.inner_text()


def test_user_picks_roles_for_unnamed_losses_and_the_diagnosis_follows(open_session, artifacts_dir):
    from playwright.sync_api import expect

    s = open_session()
    page = s.page
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(LOG))

    # No role could be inferred: the page says so, opens the picker, draws the losses as they are
    # (so the user can tell which is which) and does not call the run healthy.
    picker = page.locator("[data-testid=stExpander]").filter(has_text="pick the training / validation loss").first
    picker.wait_for(timeout=60_000)
    s.settle()
    main = page.locator("[data-testid=stMain]")
    expect(main).to_contain_text("no series has a known loss role", timeout=30_000)
    expect(main).to_contain_text("The losses are drawn as they are")
    page.wait_for_selector(CHART, timeout=30_000)
    legend = _chart_text(s)
    assert "loss0 (no role)" in legend and "loss1 (no role)" in legend and "validation loss" not in legend, legend
    verdict = page.locator("[data-testid=tl-verdict]").first
    assert verdict.get_attribute("data-level") == "neutral"
    assert _verdict(s).startswith("○ Verdict: Partly diagnosed"), _verdict(s)
    page.screenshot(path=str(artifacts_dir / "browser_roles_before.png"), full_page=True)

    s.select("loss0", "train_loss (")
    s.select("loss1", "val_loss (")
    s.click(page.get_by_role("button", name="Apply roles"))

    # The chart now draws the two curves under their roles, and the diagnosis reads them.
    expect(page.locator(CHART).first).to_contain_text("validation loss", timeout=30_000)
    legend = _chart_text(s)
    assert "reported training loss" in legend and "(no role)" not in legend, legend
    expect(main).not_to_contain_text("The losses are drawn as they are")
    expect(verdict).to_have_attribute("data-level", "ok", timeout=30_000)
    after = _verdict(s)
    assert "No problems found" in after and "reported training loss" in after.lower(), after
    page.screenshot(path=str(artifacts_dir / "browser_roles_after.png"), full_page=True)

    # The roles are remembered: a reload shows the run with them, and so does uploading the file again.
    page.reload()
    page.wait_for_selector(CHART, timeout=60_000)
    s.settle()
    expect(page.locator(CHART).first).to_contain_text("validation loss", timeout=30_000)
    assert "reported training loss" in _verdict(s).lower()
    page.screenshot(path=str(artifacts_dir / "browser_roles_reload.png"), full_page=True)
