"""Downloads the dashboard offers: a self-contained HTML report, JSON, Markdown and the run as CSV.

The HTML report works offline (plotly.js is embedded inline) and treats every string that came
from the user or their log - run name, file name, series names, finding summaries - as untrusted:
text is HTML-escaped and the figure JSON is written with ``<``, ``>`` and ``&`` as JSON escapes so
nothing can close the ``<script>`` element it sits in.

JSON is exactly the diagnosis report's own ``to_json()``; Markdown is its ``to_markdown()``.

The run as CSV neutralises spreadsheet formulas (OWASP "CSV injection"): a text cell starting with
``=`` ``+`` ``-`` ``@``, a tab or a carriage return gets a leading apostrophe, so a series named
``=cmd|' /C calc'!A0`` is shown as text by Excel/LibreOffice instead of being evaluated.

Checks are counted one way everywhere (page, HTML, Markdown, CLI): :func:`check_status` reads the
report's three-way status (passed / failed / not applicable) and :func:`checks_summary` words it.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import re
from typing import Any

from .columns import HUMAN_LABELS, X_AXES
from .run import Run

_SEVERITY_COLOR = {"critical": "#d93025", "warning": "#e8710a", "info": "#3367d6"}


def esc(value: Any) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def esc_code(value: Any) -> str:
    """Escape, then show `backtick spans` (API names in rule actions) as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", esc(value))


def safe_json_for_script(obj: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    text = obj if isinstance(obj, str) else json.dumps(obj)
    return (
        text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


def safe_filename(name: str, ext: str) -> str:
    """A download file name derived from a run name (never a path)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("._") or "run"
    return f"{stem[:80]}.{ext}"


def report_json(report: Any) -> str:
    return report.to_json()


def report_markdown(report: Any) -> str:
    return report.to_markdown()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """A text cell a spreadsheet would evaluate as a formula gets a leading apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def run_csv(run: Run) -> str:
    """The normalized run: one row per (series, point) with step, epoch, wall_time and value.

    Text cells (series names, any string column) are neutralised against formula injection;
    numbers are written as numbers (a negative value is not a formula).
    """
    frame = run.to_frame()
    frame.columns = [neutralise_cell(str(c)) for c in frame.columns]
    for col in frame.columns:
        if frame[col].dtype == object or str(frame[col].dtype).startswith(("string", "str", "category")):
            frame[col] = frame[col].map(neutralise_cell)
    return frame.to_csv(index=False)


CHECK_WORD = {"passed": "passed", "failed": "failed", "not_applicable": "not applicable"}


def check_status(check: Any) -> str:
    """passed | failed | not_applicable: the report model's rule, for dicts or objects."""
    from .diagnose.model import check_status as _status

    return _status(check if isinstance(check, dict) else vars(check))


def check_counts(checks: Any) -> dict[str, int]:
    from .diagnose.model import check_counts as _counts

    return _counts([c if isinstance(c, dict) else vars(c) for c in checks or []])


def checks_summary(checks: Any) -> str:
    """'7 passed, 1 failed, 2 not applicable': word for word what the CLI and Markdown print."""
    cc = check_counts(checks)
    if not sum(cc.values()):
        return "no checks ran"
    return f"{cc['passed']} passed, {cc['failed']} failed, {cc['not_applicable']} not applicable"


def nothing_to_diagnose(report: Any) -> bool:
    """No check could run (report status "nothing"): the honest state is neutral, not green."""
    status = getattr(report, "status", None)
    if status:
        return status == "nothing"
    checks = list(getattr(report, "checks", []) or [])
    return not getattr(report, "findings", None) and all(check_status(c) == "not_applicable" for c in checks)


def _fmt_range(f: Any) -> str:
    start, end = getattr(f, "start", None), getattr(f, "end", None)
    axis = getattr(f, "x_axis", None) or ""
    if start is None:
        return ""
    if end is None or end == start:
        return f"{axis} {start:g}"
    return f"{axis} {start:g}–{end:g}"


def _figure_block(figure: Any) -> str:
    from plotly.offline import get_plotlyjs

    fig_json = safe_json_for_script(figure.to_json())
    plotly_js = get_plotlyjs()
    return (
        f"<script type=\"text/javascript\">{plotly_js}</script>\n"
        "<div id=\"chart\" class=\"chart\"></div>\n"
        "<script type=\"text/javascript\">\n"
        f"(function(){{var fig = {fig_json};"
        "Plotly.newPlot('chart', fig.data, fig.layout, {responsive: true, displaylogo: false});})();\n"
        "</script>"
    )


def report_html(run: Run, report: Any, *, figure: Any | None = None, include_figure: bool = True) -> str:
    """A single self-contained HTML page: header, verdict, interactive chart, findings, causes."""
    if figure is None and include_figure:
        from .ui.plots import overlay_figure

        figure = overlay_figure(run, report, title=None)
    findings = list(getattr(report, "findings", []) or [])
    causes = list(getattr(report, "causes", []) or [])
    checks = list(getattr(report, "checks", []) or [])
    verdict = getattr(report, "verdict", "") or ""
    healthy = bool(getattr(report, "healthy", False))
    verdict_class = "neutral" if nothing_to_diagnose(report) else ("ok" if healthy else "problem")

    rows = []
    for i, f in enumerate(findings):
        sev = getattr(f, "severity", "info")
        rows.append(
            "<tr>"
            f"<td>{i + 1}</td>"
            f"<td><span class=\"sev\" style=\"background:{_SEVERITY_COLOR.get(sev, '#5f6368')}\">{esc(sev)}</span></td>"
            f"<td>{esc(str(getattr(f, 'kind', '')).replace('_', ' '))}</td>"
            f"<td>{esc(HUMAN_LABELS.get(getattr(f, 'series', ''), getattr(f, 'series', '')))}</td>"
            f"<td>{esc(_fmt_range(f))}</td>"
            f"<td>{esc(getattr(f, 'summary', ''))}</td>"
            "</tr>"
        )
    findings_html = (
        "<table><thead><tr><th>#</th><th>severity</th><th>finding</th><th>series</th><th>where</th>"
        "<th>summary</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        if rows else "<p class=\"muted\">No findings.</p>"
    )

    cause_blocks = []
    for c in causes:
        conf = float(getattr(c, "confidence", 0.0) or 0.0)
        evidence = "".join(f"<li>{esc_code(e)}</li>" for e in (getattr(c, "evidence", None) or []))
        actions = "".join(f"<li>{esc_code(a)}</li>" for a in (getattr(c, "actions", None) or []))
        why = getattr(c, "why", "") or ""
        cause_blocks.append(
            "<section class=\"cause\">"
            f"<h3>{esc(getattr(c, 'title', getattr(c, 'id', '')))} <code>{esc(getattr(c, 'id', ''))}</code></h3>"
            f"<div class=\"bar\"><div style=\"width:{max(0.0, min(conf, 1.0)) * 100:.0f}%\"></div></div>"
            f"<p class=\"muted\">confidence {conf:.0%}</p>"
            + (f"<p>{esc(why)}</p>" if why else "")
            + (f"<h4>Evidence</h4><ul>{evidence}</ul>" if evidence else "")
            + (f"<h4>What to do</h4><ul>{actions}</ul>" if actions else "")
            + "</section>"
        )
    causes_html = "".join(cause_blocks) or "<p class=\"muted\">No causes to report.</p>"

    checks_html = ""
    if checks:
        items = []
        for ch in checks:
            get = ch.get if isinstance(ch, dict) else (lambda k, d=None, _c=ch: getattr(_c, k, d))
            status = check_status(ch)
            mark = {"passed": "✔", "failed": "✘", "not_applicable": "–"}[status]
            items.append(f"<li class=\"{status}\">{mark} {esc(get('title', get('id', '')))} "
                         f"<span class=\"muted\">({CHECK_WORD[status]})</span>: {esc(get('detail', ''))}</li>")
        checks_html = (f"<h2>Checks</h2><p class=\"muted\">{esc(checks_summary(checks))}</p>"
                       "<ul class=\"checks\">" + "".join(items) + "</ul>")

    notes = "".join(f"<li>{esc(n)}</li>" for n in run.notes)
    warns = "".join(f"<li>{esc(w)}</li>" for w in run.warnings)
    ctx = run.context.to_dict()
    ctx_html = ", ".join(f"{esc(k)}={esc(v)}" for k, v in ctx.items() if k != "extra") or "not given"
    series_list = ", ".join(esc(HUMAN_LABELS.get(n, n)) for n in run.series)
    n_points = sum(len(s) for s in run.series.values())
    now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    figure_html = _figure_block(figure) if figure is not None else ""

    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>trueloss-dash report: {esc(run.name)}</title>
<style>
body {{ font-family: Inter, 'Segoe UI', Helvetica, Arial, sans-serif; color: #202124; margin: 0; background: #f8f9fa; }}
main {{ max-width: 1100px; margin: 0 auto; padding: 24px 28px 60px; background: #fff; }}
h1 {{ font-size: 24px; margin: 0 0 4px; }} h2 {{ font-size: 18px; margin-top: 28px; border-bottom: 1px solid #e8eaed; padding-bottom: 4px; }}
h3 {{ font-size: 16px; margin: 0 0 6px; }} h4 {{ font-size: 13px; margin: 10px 0 2px; text-transform: uppercase; color: #5f6368; }}
.muted {{ color: #5f6368; font-size: 13px; }}
.verdict {{ padding: 12px 16px; border-radius: 8px; font-size: 16px; margin: 16px 0; border-left: 5px solid; }}
.verdict.ok {{ background: #e6f4ea; border-color: #0b8a6f; }} .verdict.problem {{ background: #fef7e0; border-color: #e8710a; }}
.verdict.neutral {{ background: #f1f3f4; border-color: #9aa0a6; }}
table {{ border-collapse: collapse; width: 100%; font-size: 14px; }}
th, td {{ text-align: left; padding: 6px 8px; border-bottom: 1px solid #e8eaed; vertical-align: top; }}
.sev {{ color: #fff; border-radius: 10px; padding: 1px 8px; font-size: 12px; }}
.cause {{ border: 1px solid #e8eaed; border-radius: 8px; padding: 12px 16px; margin: 10px 0; }}
.bar {{ background: #e8eaed; border-radius: 4px; height: 8px; width: 260px; }} .bar div {{ background: #3367d6; height: 8px; border-radius: 4px; }}
code {{ background: #f1f3f4; padding: 1px 5px; border-radius: 4px; font-size: 12px; }}
.chart {{ width: 100%; height: 480px; }}
</style>
</head>
<body><main>
<h1>trueloss-dash report: {esc(run.name)}</h1>
<p class="muted">format {esc(run.format or 'unknown')} · source {esc(run.source or '—')} · {n_points:,} points · series: {series_list} · generated {esc(now)}</p>
<div class="verdict {verdict_class}">{esc(verdict)}</div>
{figure_html}
<h2>Findings</h2>
{findings_html}
<h2>Likely causes</h2>
{causes_html}
{checks_html}
<h2>Run</h2>
<p>Context: {ctx_html}</p>
{f'<h4>Reader notes</h4><ul>{notes}</ul>' if notes else ''}
{f'<h4>Reader warnings</h4><ul>{warns}</ul>' if warns else ''}
<p class="muted">x axes: {', '.join(a for a in X_AXES if any(s.x(a) is not None for s in run.series.values()))}</p>
</main></body></html>
"""
