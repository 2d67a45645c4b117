"""Reusable blocks: the overlay chart with its controls, the diagnosis panel, the context form,
the export buttons and the gap decomposition. Pages compose them; none of them loads data."""

from __future__ import annotations

from typing import Any

import streamlit as st

from .. import export, fmt
from ..columns import HUMAN_LABELS, LOSS_SERIES
from ..errors import ContextError
from ..run import Run, RunContext
from . import gap_plots, plots
from .common import finding_label, fmt_where, severity_badge
from .live_chart import live_chart
from .safe import md, md_code

PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
AXIS_LABEL = {"epoch": "Epoch", "step": "Step", "wall_time": "Elapsed time"}
NO_HIGHLIGHT = -1


def chart_controls(run: Run, report: Any, prefix: str) -> dict[str, Any]:
    """The row of chart settings; returns keyword arguments for :func:`plots.overlay_figure`."""
    axes = plots.available_axes(run) or ["step"]
    preferred = plots.default_axis(run) if plots.default_axis(run) in axes else axes[0]
    wanted = st.session_state.pop(f"{prefix}_x_wanted", None)  # from the URL (?x=), see page_runs
    if wanted in axes:  # applies when the widget is new, i.e. the run was just opened from the URL
        preferred = wanted
    findings = list(getattr(report, "findings", []) or []) if report is not None else []
    c1, c2, c3, c4 = st.columns([1.2, 1.0, 1.6, 2.6], vertical_alignment="bottom")
    with c1:
        axis = st.selectbox("x axis", axes, index=axes.index(preferred),
                            format_func=lambda a: AXIS_LABEL.get(a, a), key=f"{prefix}_axis_{'_'.join(axes)}")
        st.session_state[f"{prefix}_x_chosen"] = axis  # page_runs writes it into the URL
    with c2:
        log_y = st.toggle("log y", value=False, key=f"{prefix}_logy")
        show_lr = st.toggle("LR axis", value=True, key=f"{prefix}_lr", disabled="lr" not in run.series)
    with c3:
        smoothing = st.slider("smoothing (EMA)", 0.0, 0.99, 0.0, 0.01, key=f"{prefix}_smooth",
                              help="Debiased exponential moving average, like TensorBoard; the raw curve stays faint underneath. "
                                   "Detection always runs on the raw data.")
    with c4:
        # Integer options (no None: Streamlit shows a None value as "Choose an option").
        options = [NO_HIGHLIGHT] + list(range(len(findings)))
        highlight = st.selectbox(
            "highlight a finding", options, key=f"{prefix}_highlight_{len(findings)}",
            format_func=lambda i: "none" if i == NO_HIGHLIGHT else finding_label(i, findings[i]),
            disabled=not findings,
        )
    highlight = None if highlight in (None, NO_HIGHLIGHT) else highlight
    return dict(x_axis=axis, log_y=log_y, smoothing=smoothing, highlight=highlight, show_lr=show_lr)


def overlay_chart(run: Run, report: Any, prefix: str, *, title: str | None = None, in_place: str | None = None) -> Any:
    """The chart controls and the overlay chart. ``in_place`` (an id of the data being followed, e.g.
    a live job's) draws it with :func:`.live_chart.live_chart`: one chart updated with
    ``Plotly.react`` as data arrive, the user's zoom kept until the axis or the y scale changes,
    instead of a new chart mounted for every update."""
    opts = chart_controls(run, report, prefix)
    fig = plots.overlay_figure(run, report, title=title, **opts)
    if not any((tr.meta or {}).get("role") == "line" for tr in fig.data):
        # An empty frame with made-up axes looks like a broken chart: say what is missing instead.
        st.caption(":material/info: No training or validation loss to draw on this chart "
                   f"(series: {md(', '.join(HUMAN_LABELS.get(n, n) for n in run.series) or 'none')}). "
                   "Give a series its role in *Series roles* below to draw and diagnose it.")
        return fig
    if in_place is None:
        st.plotly_chart(fig, key=f"{prefix}_chart", config=PLOT_CONFIG, theme=None)
    else:
        fig.update_layout(uirevision=f"{in_place}:{opts['x_axis']}:{opts['log_y']}")
        live_chart(fig, key=f"{prefix}_chart_in_place", height=int(fig.layout.height or 470), config=PLOT_CONFIG,
                   revision=f"{in_place}:{sum(len(v.y) for v in run.series.values())}")
    if not any(n in run.series for n in LOSS_SERIES):
        st.caption(":material/info: The losses are drawn as they are: none has the training or validation "
                   "loss role yet. Give them their roles in *Series roles* below to diagnose them.")
    missing = (fig.layout.meta or {}).get("missing") or []
    if missing:
        st.caption(f":material/info: Not drawn on the {md(AXIS_LABEL.get(opts['x_axis'], opts['x_axis']).lower())} axis "
                   f"(no values for it): {md(', '.join(missing))}.")
    return fig


def diagnosis_panel(run: Run, report: Any, prefix: str) -> None:
    """Findings (severity, where, summary) beside the causes (confidence, evidence, actions)."""
    findings = list(getattr(report, "findings", []) or [])
    causes = list(getattr(report, "causes", []) or [])
    left, right = st.columns([1, 1.15], gap="large")
    with left:
        st.markdown(f"#### Findings ({len(findings)})")
        if not findings:
            st.markdown("<span class='tl-muted'>Nothing abnormal detected in the curves.</span>", unsafe_allow_html=True)
        for i, f in enumerate(findings):
            kind = str(getattr(f, "kind", "")).replace("_", " ")
            series = HUMAN_LABELS.get(getattr(f, "series", ""), getattr(f, "series", ""))
            st.markdown(
                f"{severity_badge(getattr(f, 'severity', 'info'))}<b>{i + 1}. {md(kind)}</b> "
                f"<span class='tl-muted'>· {md(series)} · {md(fmt_where(f))}</span><br>"
                f"<span style='font-size:0.92rem'>{md(getattr(f, 'summary', ''))}</span>",
                unsafe_allow_html=True,
            )
        checks = list(getattr(report, "checks", []) or [])
        if checks:
            with st.expander(f"Checks: {md(export.checks_summary(checks))}"):
                for c in checks:
                    status = export.check_status(c)
                    mark = CHECK_MARK[status]
                    st.markdown(f"{mark} **{md(_get(c, 'title', _get(c, 'id', '')))}** "
                                f"<span class='tl-muted'>({md(export.CHECK_WORD[status])})</span> — "
                                f"{md(_get(c, 'detail', ''))}", unsafe_allow_html=True)
    with right:
        st.markdown(f"#### Likely causes ({len(causes)})")
        if not causes:
            st.markdown("<span class='tl-muted'>No cause to report.</span>", unsafe_allow_html=True)
        for j, c in enumerate(causes):
            conf = max(0.0, min(float(getattr(c, "confidence", 0.0) or 0.0), 1.0))
            with st.expander(f"{md(getattr(c, 'title', c.id))}  ·  {fmt.confidence(conf)}", expanded=j == 0):
                st.progress(conf, text=f"confidence {fmt.confidence(conf)}")
                why = getattr(c, "why", "")
                if why:
                    st.markdown(f"<span class='tl-muted'>{md(why)}</span>", unsafe_allow_html=True)
                evidence = getattr(c, "evidence", []) or []
                if evidence:
                    st.markdown("**Evidence**")
                    st.markdown("\n".join(f"- {md_code(e)}" for e in evidence))
                actions = getattr(c, "actions", []) or []
                if actions:
                    st.markdown("**What to do**")
                    st.markdown("\n".join(f"- {md_code(a)}" for a in actions))
                refs = getattr(c, "findings", []) or []
                if refs:
                    st.caption(("Explains finding " if len(refs) == 1 else "Explains findings ")
                               + ", ".join(f"#{int(i) + 1}" for i in refs))


CHECK_MARK = {"passed": ":green[:material/check_circle:]", "failed": ":red[:material/cancel:]",
              "not_applicable": ":gray[:material/remove_circle_outline:]"}


def _get(obj: Any, key: str, default: Any = None) -> Any:
    return obj.get(key, default) if isinstance(obj, dict) else getattr(obj, key, default)


_TRI = {"unknown": None, "yes": True, "no": False}


def _tri_index(value: bool | None) -> int:
    return 0 if value is None else (1 if value else 2)


def _field_error(name: str, value: Any) -> str | None:
    """The ContextError sentence for one field's value, or None when it is valid."""
    if value is None:
        return None
    try:
        RunContext.from_mapping({name: value})
    except ContextError as err:
        return str(err)
    return None


def _checked(name: str, value: Any, errors: dict[str, str]) -> Any:
    """Validate right after the widget, and show the sentence beside (under) that field."""
    problem = _field_error(name, value)
    if problem:
        problem = problem.replace(f"{name}:", f"{name.replace('_', ' ')}:", 1)
        errors[name] = problem
        st.error(md(problem), icon=":material/error:")
    return value


def context_form(entry: Any) -> bool:
    """Edit what is known about how the run was trained; returns True when the context changed.

    Fields take any number (no silent clamping): a value the diagnosis cannot use - dropout 1.5,
    batch size −3 - is refused with the context's own sentence right under the field, and the
    context stays as it was. The LR field exists because findings suggest passing it.
    """
    ctx: RunContext = entry.context
    errors: dict[str, str] = {}
    with st.form(key=f"ctx_form_{entry.key}", border=False):
        c1, c2, c3 = st.columns(3)
        with c1:
            dropout = _checked("dropout", st.number_input(
                "dropout", value=ctx.dropout, step=0.05, format="%g", placeholder="unknown",
                key=f"ctx_dropout_{entry.key}", help="Probability in [0, 1]."), errors)
            batchnorm = st.selectbox("batch norm", list(_TRI), index=_tri_index(ctx.batchnorm), key=f"ctx_bn_{entry.key}")
            batch_size = _checked("batch_size", st.number_input(
                "batch size", value=ctx.batch_size, step=1, placeholder="unknown", key=f"ctx_bs_{entry.key}"), errors)
        with c2:
            lr = _checked("lr", st.number_input(
                "learning rate", value=ctx.lr, format="%g", step=1e-4, placeholder="unknown", key=f"ctx_lr_{entry.key}",
                help="The base (peak) learning rate. Used when the log has no learning-rate column."), errors)
            weight_decay = _checked("weight_decay", st.number_input(
                "weight decay / L2", value=ctx.weight_decay, format="%g", step=1e-4, placeholder="unknown",
                key=f"ctx_wd_{entry.key}"), errors)
            penalty = st.selectbox("penalty inside the loss", list(_TRI), index=_tri_index(ctx.penalty_in_loss),
                                   key=f"ctx_pen_{entry.key}",
                                   help="Yes for Keras kernel_regularizer / an L2 term you add to the loss; "
                                        "no for PyTorch weight_decay and AdamW (they never appear in the loss).")
        with c3:
            augmentation = st.selectbox("augmentation", list(_TRI), index=_tri_index(ctx.augmentation), key=f"ctx_aug_{entry.key}")
            optimizer = st.text_input("optimizer", value=ctx.optimizer or "", placeholder="unknown", key=f"ctx_opt_{entry.key}")
        submitted = st.form_submit_button("Re-diagnose with this context", type="primary")
    if not submitted or errors:
        return False
    values = {
        "dropout": dropout, "weight_decay": weight_decay, "penalty_in_loss": _TRI[penalty], "lr": lr,
        "augmentation": _TRI[augmentation], "batchnorm": _TRI[batchnorm], "batch_size": batch_size,
        "optimizer": optimizer.strip() or None,
    }
    try:
        edited = RunContext.from_mapping({k: v for k, v in values.items() if v is not None})
    except ContextError as err:
        st.error(md(str(err)))
        return False
    new = RunContext(**{k: getattr(ctx, k) for k in RunContext.field_names()}, extra=dict(ctx.extra))
    for k in values:
        setattr(new, k, getattr(edited, k))
    if new.to_dict() == ctx.to_dict():
        return False
    entry.context = new
    return True


def export_buttons(run: Run, report: Any, prefix: str, figure: Any | None = None) -> None:
    """HTML (self-contained, interactive), JSON, Markdown and the normalized run as CSV."""
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        st.download_button("HTML report", data=lambda: export.report_html(run, report),
                           file_name=export.safe_filename(run.name, "html"), mime="text/html",
                           key=f"{prefix}_dl_html", width="stretch", icon=":material/download:",
                           help="Self-contained: interactive chart (plotly.js inline, works offline) and findings.")
    with c2:
        st.download_button("JSON", data=lambda: export.report_json(report),
                           file_name=export.safe_filename(run.name, "json"), mime="application/json",
                           key=f"{prefix}_dl_json", width="stretch", icon=":material/download:")
    with c3:
        st.download_button("Markdown", data=lambda: export.report_markdown(report),
                           file_name=export.safe_filename(run.name, "md"), mime="text/markdown",
                           key=f"{prefix}_dl_md", width="stretch", icon=":material/download:")
    with c4:
        st.download_button("Run as CSV", data=lambda: export.run_csv(run),
                           file_name=export.safe_filename(run.name, "csv"), mime="text/csv",
                           key=f"{prefix}_dl_csv", width="stretch", icon=":material/download:")


def gap_decomposition(run: Run, prefix: str, *, epoch: float | None = None) -> None:
    """Waterfall for a chosen epoch and the stacked terms over time (trainer runs only)."""
    if not gap_plots.has_gap_terms(run):
        st.info("The gap decomposition needs the terms the live trainer measures "
                "(penalty, averaging lag, train-mode effect, augmentation, generalization).")
        return
    epochs = gap_plots.gap_epochs(run)
    if not epochs:
        return
    if epoch is None and len(epochs) > 1:
        epoch = st.select_slider("epoch for the waterfall", options=epochs, value=epochs[-1],
                                 key=f"{prefix}_gap_epoch", format_func=lambda e: fmt.x_value(e, "epoch"))
    epoch = epochs[-1] if epoch is None else epoch
    st.markdown(f"**Validation + each measured term = reported training loss, {md(fmt.at('epoch', epoch))}**")
    st.plotly_chart(gap_plots.gap_waterfall(run, epoch), key=f"{prefix}_waterfall", config=PLOT_CONFIG, theme=None)
    st.markdown("**Each term over time** (the bars stack up to the black line: reported − validation)")
    st.plotly_chart(gap_plots.gap_stacked(run), key=f"{prefix}_stacked", config=PLOT_CONFIG, theme=None)
    st.caption("Read left to right, every bar adds its signed value: validation + generalization gap (true − validation, "
               "negative when validation is above the true training loss) = true training loss; + penalty + averaging "
               "lag + train-mode effect + augmentation effect = reported training loss. The signs are the ones the "
               "diagnosis quotes. Exact: the trainer measures each term on a fixed training subsample.")
