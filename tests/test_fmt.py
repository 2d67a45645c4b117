"""The shared human formatter: what every sentence in core, CLI, exports and UI prints."""

import math

import pytest

from trueloss_dash import fmt


@pytest.mark.parametrize("value, text", [
    (0.0041234, "0.00412"), (3.0, "3"), (3.28, "3.28"), (11.0, "11"), (0.1, "0.1"),
    (1234.5, "1,230"), (99999.0, "1e5"), (4114146.03, "4.11e6"), (2e-5, "2e-5"),
    (-0.0941, "\u22120.0941"), (0, "0"), (0.125, "0.125"), (1 / 3, "0.333"),
])
def test_num_has_at_most_three_significant_digits(value, text):
    assert fmt.num(value) == text


def test_num_non_finite_says_what_it_is():
    assert fmt.num(float("nan")) == "NaN"
    assert fmt.num(float("inf")) == "inf"
    assert fmt.num(None) == "n/a"


def test_signed_always_shows_the_sign():
    assert fmt.signed(0.155) == "+0.155"
    assert fmt.signed(-0.0941) == "\u22120.0941"
    assert fmt.signed(0.0) == "0"


@pytest.mark.parametrize("frac, text", [
    (0.035, "3.5%"), (0.88, "88%"), (1.0, "100%"), (0.0004, "0.04%"), (0.0, "0%"), (0.123456, "12%"),
])
def test_pct(frac, text):
    assert fmt.pct(frac) == text


def test_huge_ratios_are_multipliers_not_percentages():
    # the diverge preset once read "fell to 411414603% of its start"
    assert fmt.of_start(4114146.03) == "\u00d74.11e6 its start"
    assert fmt.of_start(0.032) == "3.2% of its start"
    assert "%" not in fmt.pct(4114146.03)
    assert fmt.ratio(4.1) == "\u00d74.1"
    assert fmt.ratio(30) == "\u00d730"


@pytest.mark.parametrize("frac, text", [
    (0.54, "+54%"), (-0.2, "\u221220%"), (0.035, "+3.5%"), (40.0, "\u00d741"), (0.0, "0%"),
])
def test_change(frac, text):
    assert fmt.change(frac) == text


@pytest.mark.parametrize("n, noun, text", [
    (1, "point", "1 point"), (100, "point", "100 points"), (0, "point", "0 points"),
    (2, "series", "2 series"), (12000, "step", "12,000 steps"), (1, "check", "1 check"),
    (3, "loss", "3 losses"), (9, "epoch", "9 epochs"),
])
def test_count_agrees_with_its_noun(n, noun, text):
    assert fmt.count(n, noun) == text


def test_ranges_read_like_a_person_wrote_them():
    assert fmt.span("epoch", 1, 3) == "epochs 1\u20133"
    assert fmt.span("epoch", 3, 3) == "epoch 3"
    assert fmt.span("epoch", 3.0, None) == "epoch 3"
    assert fmt.span("epoch", 0.0682439, 0.750682) == "epochs 0.07\u20130.75"
    assert fmt.span("step", 100, 20000) == "steps 100\u201320,000"
    assert fmt.span("step", None, None) == ""
    assert fmt.at("step", 1200.0) == "step 1200"
    assert fmt.at("wall_time", 12.5) == "wall time 12.5"


def test_confidence_is_a_whole_percent():
    assert fmt.confidence(0.7) == "70%"
    assert fmt.confidence(0.855) == "86%"
    assert fmt.confidence(math.nan) == "n/a"


def test_formatter_is_pure():
    import sys
    import subprocess
    code = ("import sys, trueloss_dash.fmt; "
            "bad = [m for m in ('numpy', 'pandas', 'streamlit', 'plotly', 'torch') if m in sys.modules]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    # the package __init__ may import numpy; streamlit/plotly/torch must never come in
    assert not {"streamlit", "plotly", "torch"} & set(eval(out))
