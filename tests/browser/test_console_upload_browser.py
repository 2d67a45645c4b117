"""Uploading console output in the real app: an XGBoost training log (read by the boosting reader since
stop 23) is diagnosed and charted like any other log. Screenshot in test-artifacts/ - look at it."""

from __future__ import annotations

import math

import pytest

from .conftest import CHART

pytestmark = pytest.mark.browser


def test_upload_xgboost_console_log(open_session, artifacts_dir, tmp_path):
    log = tmp_path / "xgb_train.log"
    log.write_text("\n".join(f"[{i}]\ttrain-logloss:{0.69 * math.exp(-i / 15) + 0.05:.5f}\t"
                             f"eval-logloss:{0.69 * math.exp(-i / 15) + 0.12 + 0.002 * max(0, i - 60):.5f}"
                             for i in range(120)) + "\n")
    s = open_session()
    page = s.page
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(log))
    page.wait_for_selector(CHART, timeout=60_000)
    verdict = page.locator("[data-testid=tl-verdict]").first
    verdict.wait_for(timeout=30_000)
    legend = page.locator(CHART).first.inner_text()
    assert "validation loss" in legend and "reported training loss" in legend
    page.screenshot(path=str(artifacts_dir / "browser_upload_xgboost_log.png"), full_page=True)
