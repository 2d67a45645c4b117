"""Live demo: train a small PyTorch model in a background job and watch the diagnosis form.

The job belongs to the server, not to the page: it writes its own epochs to the run store, waits
in the server-wide queue when every training slot is busy, and is stopped (run marked
``interrupted``) when no page has watched it for the grace period (see
:mod:`trueloss_dash.trainer.jobs`). Its unguessable id is in the page URL (``/live?job=…``), so a
reload or another tab of the same browser reattaches with progress, chart and Stop.

Polling is cheap for server and browser: the fragment that reruns every second draws only the
progress line and a 0-height ticker (:mod:`.poll_ticker`); the chart, diagnosis and gap plots are a
second fragment that reruns only when the ticker reports a new epoch, at most every
``VIEW_MIN_SECONDS``. The chart is updated in place (:mod:`.live_chart`: ``Plotly.react``, zoom
kept, the same chart when the job ends), and the gap plots are drawn only when asked for: a new
epoch used to mount three new Plotly charts in every open page. A poll that finds no new
epoch sends three unchanged elements and nothing the browser redraws. A queued job is polled every
3 s. When the job ends, one full rerun stops the polling and the run joins the session's runs
like an upload. torch is imported only by the job's
worker process, never by the server.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
import typing
from dataclasses import fields
from typing import Any

import streamlit as st

from ..errors import TruelossError
from . import components, gap_plots, identity, services, state
from .common import verdict_banner
from .poll_ticker import poll_ticker
from .safe import md

POLL_SECONDS = 1.0
VIEW_MIN_SECONDS = 2.0  # the chart and diagnosis are redrawn at most this often (the progress line every poll)
QUEUED_POLL_SECONDS = 3.0
VIEW_FRAGMENT = "live_view"  # the fragment the poll ticker reruns when an epoch arrives
GROUPS = {
    "Model": ("task", "width", "depth", "dropout", "batchnorm", "bn_momentum"),
    "Optimisation": ("optimizer", "lr", "momentum", "schedule", "step_every", "step_gamma", "warmup_epochs",
                     "lr_spike_epoch", "lr_spike_factor", "batch_size"),
    "Regularisation & augmentation": ("l1", "l2", "weight_decay", "noise_std", "shift", "flip"),
    "Data problems": ("n_samples", "val_fraction", "train_fraction", "label_noise", "easier_val", "val_shift",
                      "leakage", "shuffle", "class_sorted"),
    "Measurement": ("true_loss", "subsample", "per_step"),
}
STATUS_LABEL = {"queued": "Queued", "running": "Training", "finished": "Finished", "cancelled": "Stopped",
                "diverged": "Diverged", "failed": "Failed", "interrupted": "Interrupted"}


def _mine(job: Any) -> bool:
    return identity.shared_mode() or job.owner == identity.user_id()


def current_job() -> Any | None:
    """This browser's live job: the one in the URL (``?job=``), this session's, or - for a new tab
    or a reload without the URL - the newest job this browser still has queued or running."""
    mgr = services.job_manager()
    candidates = [st.query_params.get("job"), st.session_state.get("live_job")]
    job = next((j for j in (mgr.get(c) for c in candidates if c) if j is not None and _mine(j)), None)
    if job is None and "live_job" not in st.session_state:
        mine = mgr.active(owner=identity.user_id())
        job = mine[-1] if mine else None
    if job is None:
        return None
    st.session_state["live_job"] = job.id
    job.watch(services.session_id())
    return job


def _view() -> dict[str, Any]:
    """Per-session cache of the live run and its diagnosis (rebuilt only when an epoch arrives)."""
    job_id = st.session_state.get("live_job")
    view = st.session_state.get("live_view")
    if not view or view.get("job") != job_id:
        view = {"job": job_id, "run": None, "run_n": None, "report": None, "report_n": None}
        st.session_state["live_view"] = view
    return view


def sync_live() -> bool:
    """When this session's job has ended, add its run to the session's runs once. True when it just did."""
    job = current_job()
    if job is None or not job.done or st.session_state.get("live_finalized") == job.id:
        return False
    st.session_state["live_finalized"] = job.id
    if not job.records:
        return True
    run = job.to_run()
    run.name = job.name
    state.add_run(run, "live", store_id=job.store_id, select=True)
    return True


def _start(config: Any, preset: str) -> None:
    from ..trainer.jobs import Job

    stamp = dt.datetime.now().strftime("%H:%M:%S")
    name = f"{preset} · live {stamp}"
    sink, problem = None, None
    try:
        store = state.user_store()
        if store.read_only:
            problem = "the run store is read-only: this run is kept for the session only"
        else:
            meta = {"trainer_config": config.to_dict(), "preset": preset}
            sink = functools.partial(store.begin_live, name, config.run_context(), meta)
    except Exception as err:  # noqa: BLE001
        problem = f"not saved for later sessions ({err})"
    job = Job(config, name=name, owner=identity.user_id(), sink=sink)
    job.store_problem = problem
    services.job_manager().submit(job, session_id=services.session_id())
    st.session_state["live_job"] = job.id
    st.query_params["job"] = job.id


def _knob_widget(name: str, value: Any, hint: Any, choices: dict[str, tuple[str, ...]], help_text: str, key: str) -> str:
    if name in choices:
        opts = list(choices[name])
        return st.selectbox(name, opts, index=opts.index(value) if value in opts else 0, help=help_text, key=key)
    if hint is bool:
        return "true" if st.toggle(name, value=bool(value), help=help_text, key=key) else "false"
    return st.text_input(name, value="" if value is None else f"{value:g}" if isinstance(value, float) else str(value),
                         help=help_text, key=key)


def _on_preset_change() -> None:
    """A new preset brings its own epochs and seed (the knobs are keyed per preset already)."""
    from ..trainer.presets import preset_config

    base = preset_config(st.session_state["live_preset"])
    st.session_state["live_epochs"] = int(base.epochs)
    st.session_state["live_seed"] = int(base.seed)


def setup_panel() -> tuple[Any, str] | None:
    """Preset + knobs; returns (TrainConfig, preset) or None when a knob is invalid."""
    cfg_mod = services.trainer_config_module()
    presets = services.trainer_presets()
    from ..trainer.presets import preset_config

    from ..trainer.limits import JobLimits, check

    limits = JobLimits.from_env()
    names = list(presets)
    c1, c2 = st.columns([2, 3])
    with c1:
        if "live_preset" not in st.session_state:
            st.session_state["live_preset"] = "dropout" if "dropout" in names else names[0]
            _on_preset_change()
        preset = st.selectbox("preset", names, format_func=lambda n: f"{presets[n].title}  ({n})", key="live_preset",
                              on_change=_on_preset_change)
        p = presets[preset]
        base = preset_config(preset)
        e1, e2 = st.columns(2)
        epochs = e1.number_input("epochs", min_value=1, max_value=limits.max_epochs, key="live_epochs")
        seed = e2.number_input("seed", min_value=0, key="live_seed")
    with c2:
        causes = services.cause_catalog()
        words = [k.replace("_", " ") for k in p.expected_findings] + [
            causes[k].title if k in causes else k.replace("_", " ") for k in p.expected_causes]
        expect = "".join(f"<span class='tl-pill'>{md(w)}</span>" for w in words)
        st.markdown(f"**{md(p.title)}**<br><span style='font-size:0.93rem'>{md(p.description)}</span>"
                    + (f"<br><span class='tl-muted'>expected diagnosis:</span> {expect}" if expect else
                       "<br><span class='tl-muted'>expected diagnosis: healthy</span>"),
                    unsafe_allow_html=True)
    overrides: dict[str, str] = {}
    if int(epochs) != base.epochs:
        overrides["epochs"] = str(int(epochs))
    if int(seed) != base.seed:
        overrides["seed"] = str(int(seed))
    help_texts = cfg_mod.TrainConfig.field_help()
    hints = typing.get_type_hints(cfg_mod.TrainConfig)
    # The 34 knob widgets are drawn only while the panel is open (a full rerun of the page - Start,
    # a job starting or ending - cost the browser twice as much with them drawn, hidden); what the
    # user set is kept here, per preset, and applies whether the panel is open or not.
    chosen: dict[str, str] = st.session_state.setdefault("live_knob_values", {}).setdefault(preset, {})
    panel = st.expander("Set the knobs yourself (start from the preset)", key="live_knobs_open", on_change="rerun",
                        expanded=False)
    if panel.open:
        with panel:
            st.caption(f"Limits on this server, checked before a run starts: at most {int(limits.max_epochs):,} epochs, "
                       f"{int(limits.max_params):,} model parameters (width × depth), {int(limits.max_samples):,} samples; "
                       f"{int(services.job_manager().max_jobs)} runs train at once, the others wait in a queue.")
            known = {f.name for f in fields(cfg_mod.TrainConfig)}
            for group, names_in_group in GROUPS.items():
                st.markdown(f"**{md(group)}**")
                cols = st.columns(4)
                for i, name in enumerate(n for n in names_in_group if n in known):
                    with cols[i % 4]:
                        current = getattr(base, name)
                        is_bool = hints.get(name) is bool
                        base_text = ("true" if current else "false") if is_bool else (
                            "" if current is None else f"{current:g}" if isinstance(current, float) else str(current))
                        shown = chosen.get(name, base_text)  # a re-opened panel shows what was set
                        raw = _knob_widget(name, (shown == "true") if is_bool else shown, hints.get(name),
                                           cfg_mod.CHOICES, help_texts.get(name, ""), key=f"knob_{preset}_{name}")
                        if raw != base_text:
                            chosen[name] = raw
                        else:
                            chosen.pop(name, None)
    overrides.update(chosen)
    try:
        config = cfg_mod.TrainConfig.from_overrides(base, overrides)
    except TruelossError as err:
        st.error(md(str(err)))
        return None
    refusal = check(config, limits)  # before start: a run this server cannot afford is refused in words
    if refusal:
        st.error(f"This run is too large for this server: {md(refusal)}.")
        return None
    return config, preset


def _report_for(view: dict[str, Any], run: Any, n: int) -> Any:
    if view.get("report") is None or view.get("report_n") != n:
        view["report"] = services.diagnose(run)
        view["report_n"] = n
    return view["report"]


def _queue_note(job: Any) -> None:
    mgr = services.job_manager()
    position = mgr.position(job)
    running, queued = mgr.counts()
    if position is not None:
        st.info(f"Every training slot is busy ({int(running)} of {int(mgr.max_jobs)} running on this server). "
                f"Your run is number {int(position)} of {int(queued)} in the queue and starts by itself; "
                "you can keep using the dashboard, or Stop to leave the queue.", icon=":material/hourglass_top:")


def _progress_line(job: Any) -> None:
    """The run's name and progress bar. The time left is re-estimated only when an epoch arrives, so a
    poll that finds no new epoch draws exactly what the page already shows."""
    done, total, eta = job.progress
    status = job.status
    eta_text = ""
    if eta is not None and not job.done:
        cached = st.session_state.get("live_eta")
        if not cached or cached[0] != (job.id, done):
            cached = ((job.id, done), f" · about {eta:,.0f} s left")
            st.session_state["live_eta"] = cached
        eta_text = cached[1]
    st.markdown(f"**{md(job.name)}** <span class='tl-muted'>· {md(job.config.task)}, "
                f"{int(job.config.epochs)} epochs, seed {int(job.config.seed)}</span>", unsafe_allow_html=True)
    st.progress(min(done / max(total, 1), 1.0),
                text=f"{STATUS_LABEL.get(status, status)} · epoch {done} of {total}{eta_text}")


def _live_body(job: Any) -> None:
    """Messages, chart, diagnosis and gap decomposition of the job as it is now."""
    done = job.progress[0]
    status = job.status
    if status == "failed":
        st.error(f"The training job failed: {md(job.error)}")
    if status == "interrupted" and job.interrupted_reason:
        st.warning(f"Training was {md(job.interrupted_reason)}.")
    if job.store_problem:
        st.info(md(job.store_problem))
    if done == 0:
        st.caption("Waiting for the first epoch…" if not job.done else "No epoch finished.")
        return
    view = _view()
    if view.get("run_n") != (done, job.done):  # rebuild only when an epoch arrived (or the job ended)
        view["run"] = job.to_run()
        view["run"].name = job.name
        view["run_n"] = (done, job.done)
    run = view["run"]
    report = _report_for(view, run, (done, job.done))
    verdict_banner(report, note=None if job.done else f"updated live after epoch {done}")
    components.overlay_chart(run, report, prefix="live", in_place=job.id)
    components.diagnosis_panel(run, report, prefix="live")
    if gap_plots.has_gap_terms(run):
        _gap_section(run, job)
    if job.done and st.session_state.get("live_finalized") == job.id:
        saved = job.store_id and not job.store_problem
        st.success(f"Run **{md(job.name)}** is kept with your runs"
                   + (" and saved in the run store." if saved else ".")
                   + " Open it on the *Runs* page to edit its context or export it.")


def _gap_section(run: Any, job: Any) -> None:
    """The gap decomposition, on request: its two charts would otherwise be rebuilt and redrawn for
    every epoch in every open page, and loading a second Plotly bundle into each page when its run
    ends cost about as much as the whole training view (docs/hardening.md). The switch is
    remembered for the session's next runs; the Runs page shows the decomposition as well."""
    st.markdown("#### Where the gap comes from")
    if not st.toggle("Show the waterfall and the terms over time", key="live_gap_show",
                     help="While the run trains they are redrawn with the chart."):
        return
    components.gap_decomposition(run, prefix="live", epoch=None if job.done else gap_plots.gap_epochs(run)[-1])


def live_view(job: Any) -> None:
    """The whole view at once: for a job that has ended, and for the queued page's slow poller."""
    _progress_line(job)
    if job.status == "queued":
        _queue_note(job)
        return
    _live_body(job)


def _mark(job: Any) -> str:
    """What the live view shows changes only with this: the epochs done and whether the job ended."""
    return f"{job.progress[0]}:{int(job.done)}"


def _note_drawn(job: Any) -> None:
    st.session_state["live_drawn"] = _mark(job)
    st.session_state["live_drawn_at"] = time.monotonic()


def _finish_if_done(job: Any) -> None:
    just_finished = sync_live()
    if just_finished or (job.done and st.session_state.get("live_finalized") == job.id):
        st.rerun()  # a full rerun: the page redraws without the polling fragments


def _redraw_live_view() -> None:
    st.rerun(VIEW_FRAGMENT)  # the ticker's callback: rerun the live view's fragment, nothing else


@st.fragment(run_every=POLL_SECONDS)
def _poller() -> None:
    """Polled every second while the job trains: the progress line and the ticker, nothing else.
    The ticker asks for the live view to be redrawn only when an epoch arrived."""
    job = current_job()
    if job is None:
        return
    _progress_line(job)
    _finish_if_done(job)
    drawn = st.session_state.get("live_drawn")
    mark = _mark(job)
    if time.monotonic() - st.session_state.get("live_drawn_at", 0.0) < VIEW_MIN_SECONDS:
        mark = drawn  # the view was redrawn moments ago: the next poll asks for the newer epochs
    poll_ticker(mark, drawn, key="live_tick", on_change=_redraw_live_view)


@st.fragment(key=VIEW_FRAGMENT)
def _live_view_fragment() -> None:
    """Chart, diagnosis and gap decomposition; rerun by the ticker (a new epoch) or its own widgets."""
    job = current_job()
    if job is None:
        return
    _note_drawn(job)  # read before drawing: a later epoch asks again
    _live_body(job)


@st.fragment(run_every=QUEUED_POLL_SECONDS)
def _queued_poller() -> None:
    """A queued job changes only when it starts: ten waiting pages should not rerun every second."""
    job = current_job()
    if job is None:
        return
    live_view(job)
    _finish_if_done(job)
    if job.status != "queued":
        st.rerun()  # the job got its slot: switch to the training view


_warm_lock = threading.Lock()
_warm_started = False


def _warm_trainer() -> None:
    """Start the job workers' forkserver (it imports torch and the training loop once, in its own
    process) when the live page is opened, so pressing Start does not wait for it. The server
    process itself never imports torch: a bigger heap makes every garbage collection under the
    GIL slower for every page."""
    global _warm_started
    with _warm_lock:
        if _warm_started:
            return
        _warm_started = True

    def work() -> None:
        try:
            from ..trainer import job_process

            job_process.warm_up()
        except Exception:  # noqa: BLE001 - Start will report the real error
            pass

    threading.Thread(target=work, name="trueloss-warm-trainer", daemon=True).start()


def _stop(job_id: str | None) -> None:
    """Stop's callback. A callback, not ``if st.button(...)``: a click that coincides with the
    ticker's "new epoch" is one interaction whose rerun may be only the live view's fragment, and a
    press read in the page's body would be lost; a callback runs whichever part reruns."""
    mgr = services.job_manager()
    job = mgr.get(job_id) if job_id else None
    if job is not None and _mine(job) and not job.done:
        mgr.cancel(job)


def page() -> None:
    _warm_trainer()
    job = current_job()
    running = job is not None and not job.done
    if job is not None:
        st.query_params["job"] = job.id  # a reload or a copied link reattaches
    with st.container(border=True):
        setup = setup_panel()
        b1, b2, _ = st.columns([1, 1, 4])
        start = b1.button("Start", type="primary", disabled=running or setup is None, key="live_start", width="stretch",
                          icon=":material/play_arrow:")
        b2.button("Stop", disabled=not running, key="live_stop", width="stretch", icon=":material/stop:",
                  on_click=_stop, args=(job.id if job is not None else None,))
    if start and setup is not None and not running:
        _start(*setup)
        st.rerun()  # redraw the buttons (Start disabled, Stop enabled) and begin polling
    if job is None:
        st.info("Pick a preset (each one reproduces a phenomenon) and press Start. Training runs in the background: "
                "you can keep using the dashboard while it trains, reload the page, or open it in another tab.")
        return
    if running and job.status == "queued":
        _queued_poller()
    elif running:
        _note_drawn(job)  # the view below is drawn in this run: no ticker call for it
        _poller()
        _live_view_fragment()
    else:
        # laid out as the two fragments were (each one is a container), so the chart that was updated
        # in place stays the same element: the zoom is kept and the browser draws no new chart
        with st.container():
            _progress_line(job)
        with st.container():
            _live_body(job)
