"""Abuse hardening beyond the readers:

- the HTML report escapes every user string (run name, source, notes, warnings, context values,
  series names), property-tested with hostile payloads, after a trip through the run store;
- the package never deserialises user data unsafely: no pickle/marshal loads, eval/exec,
  torch.load without weights_only=True, yaml.load without a safe loader, shell=True.
"""

from __future__ import annotations

import ast
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trueloss_dash.columns import TRAIN_LOSS, VAL_LOSS
from trueloss_dash.run import Run, RunContext, Series
from trueloss_dash.store import open_store

PACKAGE = Path(__file__).resolve().parents[1] / "trueloss_dash"
PAYLOADS = [
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "'><svg onload=alert(1)>",
    "</script><script>alert(1)</script>", "<!--", "</title><script>alert(1)</script>",
    "<iframe src=javascript:alert(1)>", "</style><script>alert(1)</script>", "&lt;script&gt;",
    "<scr<script>ipt>alert(1)</script>", "\u2028</script>\u2029", "<a href=\"javascript:alert(1)\">x</a>",
]
USER_TEXT = st.one_of(
    st.sampled_from(PAYLOADS),
    st.builds(lambda a, b: a + b, st.sampled_from(PAYLOADS), st.text(alphabet="<>\"'&/=; ascript!-", max_size=12)),
    st.text(alphabet="<>\"'&/=; ascriptonerrol!-()", min_size=1, max_size=30),
)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.event_attrs: list[tuple[str, str]] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.event_attrs.append((tag, name))
            if name.lower() in ("href", "src") and value:
                self.urls.append(value)


def _page(run: Run) -> str:
    from trueloss_dash import export
    from trueloss_dash.diagnose import diagnose

    return export.report_html(run, diagnose(run), include_figure=False)


def _run(name, source, note, warning, ctx_value, series_name) -> Run:
    epochs = np.arange(1, 21, dtype=float)
    run = Run(name=name, source=source, format="generic_csv",
              context=RunContext(optimizer=ctx_value, extra={"comment": ctx_value}))
    run.add(Series(TRAIN_LOSS, 2.0 * np.exp(-epochs / 5) + 0.05, epoch=epochs, source_column=series_name))
    run.add(Series(VAL_LOSS, 2.0 * np.exp(-epochs / 5) + 0.1, epoch=epochs))
    run.add(Series(series_name, np.linspace(1, 0, 20), epoch=epochs))
    run.note(note)
    run.warn(warning)
    return run


_BASELINE: dict[str, set[str]] = {}


@given(name=USER_TEXT, source=USER_TEXT, note=USER_TEXT, warning=USER_TEXT, ctx_value=USER_TEXT, series_name=USER_TEXT)
@settings(max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_html_report_escapes_hostile_user_strings_after_the_store(name, source, note, warning, ctx_value, series_name):
    pytest.importorskip("trueloss_dash.export")
    if series_name in (TRAIN_LOSS, VAL_LOSS):
        series_name += "_x"
    if "tags" not in _BASELINE:
        benign = _Tags()
        benign.feed(_page(_run("run", "run.csv", "note", "warning", "adam", "extra_metric")))
        _BASELINE["tags"] = set(benign.tags)
    store = open_store()
    run = store.load(store.save(_run(name, source, note, warning, ctx_value, series_name)))
    page = _page(run)
    parsed = _Tags()
    parsed.feed(page)
    assert set(parsed.tags) <= _BASELINE["tags"], set(parsed.tags) - _BASELINE["tags"]
    assert parsed.event_attrs == [] and not any(u.lower().startswith("javascript:") for u in parsed.urls)
    assert "<script>alert" not in page and "<img" not in page and "<svg" not in page and "<iframe" not in page
    assert html.escape(run.name.strip(), quote=True) in page  # shown, escaped


def test_html_report_figure_block_stays_inert_with_a_script_named_run():
    pytest.importorskip("trueloss_dash.export")
    from trueloss_dash import export
    from trueloss_dash.diagnose import diagnose

    run = _run("<script>alert(1)</script>", "</script>.csv", "<!--", "</script><script>alert(2)</script>",
               "\"><img src=x onerror=alert(3)>", "</script><b>col")
    page = export.report_html(run, diagnose(run))  # with the interactive chart
    parsed = _Tags()
    parsed.feed(page)
    assert parsed.tags.count("script") == 2  # plotly.js and the figure: nothing injected
    assert parsed.event_attrs == [] and "b" not in parsed.tags and "img" not in parsed.tags
    assert "alert(1)" in page and "<script>alert" not in page


# --- source hygiene -------------------------------------------------------------------------------
def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            dotted = []
            while isinstance(func, ast.Attribute):
                dotted.append(func.attr)
                func = func.value
            if isinstance(func, ast.Name):
                dotted.append(func.id)
            yield ".".join(reversed(dotted)), node


def _kw(node: ast.Call, name: str):
    for kw in node.keywords:
        if kw.arg == name:
            return kw.value
    return None


def test_package_never_deserialises_user_data_unsafely():
    problems = []
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20
    for path in files:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
        safe_loaders = {  # local subclasses of yaml.SafeLoader count as safe
            n.name for n in ast.walk(tree)
            if isinstance(n, ast.ClassDef) and any("SafeLoader" in ast.unparse(b) for b in n.bases)
        }
        for dotted, node in _calls(tree):
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            last = dotted.rsplit(".", 1)[-1]
            if dotted in ("eval", "exec", "compile", "__import__") or dotted.endswith(("builtins.eval", "builtins.exec")):
                problems.append(f"{where}: {dotted}()")
            if dotted.split(".")[0] in ("pickle", "cPickle", "dill", "marshal", "shelve", "joblib") and last in ("load", "loads", "open", "Unpickler"):
                problems.append(f"{where}: {dotted}()")
            if dotted.endswith("torch.load") or dotted == "load" and "torch" in text and "from torch import load" in text:
                w = _kw(node, "weights_only")
                if not (isinstance(w, ast.Constant) and w.value is True):
                    problems.append(f"{where}: torch.load without weights_only=True")
            if dotted in ("yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.full_load"):
                loader = _kw(node, "Loader") or (node.args[1] if len(node.args) > 1 else None)
                src = ast.unparse(loader) if loader is not None else ""
                if dotted not in ("yaml.load", "yaml.load_all") or not ("SafeLoader" in src or src in safe_loaders):
                    problems.append(f"{where}: {dotted} without SafeLoader")
            if last in ("read_pickle",) or dotted.endswith("np.load") and not (
                    isinstance(_kw(node, "allow_pickle"), ast.Constant) and _kw(node, "allow_pickle").value is False):
                if last == "read_pickle" or dotted.endswith("np.load"):
                    problems.append(f"{where}: {dotted} (pickle-capable)")
            if last in ("run", "call", "Popen", "check_output", "check_call") and isinstance(_kw(node, "shell"), ast.Constant) \
                    and _kw(node, "shell").value is True:
                problems.append(f"{where}: subprocess with shell=True")
        # belt and braces: textual forms the AST walk could miss (aliases)
        for pattern in (r"\bimport\s+pickle\b", r"\bfrom\s+pickle\b", r"\bunsafe_load\b", r"\bimport\s+marshal\b"):
            if re.search(pattern, text):
                problems.append(f"{path.relative_to(PACKAGE.parent)}: matches {pattern}")
    assert problems == [], "\n".join(problems)


def test_source_scanner_catches_what_it_claims(tmp_path):
    """The scanner above is only worth something if it flags the real thing."""
    bad = ("import pickle, yaml, torch\npickle.loads(b'')\neval('1')\ntorch.load('m.pt')\n"
           "yaml.load(open('x'))\nexec('x=1')\n")
    found = [d for d, _ in _calls(ast.parse(bad))]
    assert {"pickle.loads", "eval", "torch.load", "yaml.load", "exec"} <= set(found)
    ok = "torch.load('m.pt', weights_only=True)\nyaml.load(t, Loader=yaml.SafeLoader)\n"
    calls = dict((d, n) for d, n in _calls(ast.parse(ok)))
    assert _kw(calls["torch.load"], "weights_only").value is True
    assert "Safe" in ast.unparse(_kw(calls["yaml.load"], "Loader"))
