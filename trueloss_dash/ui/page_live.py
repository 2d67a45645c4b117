"""Live demo: train a small PyTorch model in a background job and watch the diagnosis form.

The job runs in the trainer's worker thread; this page never blocks. A fragment with
``run_every`` polls the job, writes each new epoch to the run store (so a killed process keeps its
finished epochs) and redraws progress, chart and diagnosis. When the job ends, one full rerun
stops the polling and the run joins the session's runs like an upload. torch is imported only when
the user presses Start.
"""

from __future__ import annotations

import datetime as dt
import html
import threading
import typing
from dataclasses import fields
from typing import Any

import streamlit as st

from ..errors import TruelossError
from . import components, services, state
from .common import verdict_banner

POLL_SECONDS = 1.0
GROUPS = {
    "Model": ("task", "width", "depth", "dropout", "batchnorm", "bn_momentum"),
    "Optimisation": ("optimizer", "lr", "momentum", "schedule", "step_every", "step_gamma", "warmup_epochs",
                     "lr_spike_epoch", "lr_spike_factor", "batch_size"),
    "Regularisation & augmentation": ("l1", "l2", "weight_decay", "noise_std", "shift", "flip"),
    "Data problems": ("n_samples", "val_fraction", "train_fraction", "label_noise", "easier_val", "val_shift",
                      "leakage", "shuffle", "class_sorted"),
    "Measurement": ("true_loss", "subsample", "per_step"),
}


def _live() -> dict[str, Any] | None:
    return st.session_state.get("live")


def sync_live() -> bool:
    """Move new epochs from the job into the store; finalise once. True when it just finalised."""
    live = _live()
    if not live or live.get("finalized"):
        return False
    job = live["job"]
    finished = job.done  # read before polling so no epoch can arrive after the last poll
    for record in job.poll():
        live["epochs"] += 1
        writer = live.get("writer")
        if writer is not None:
            try:
                writer.append(record)
            except Exception as err:  # noqa: BLE001 - the demo goes on; the run stays in the session
                live["store_problem"] = f"the run store stopped accepting epochs ({err})"
                live["writer"] = None
    if not finished:
        return False
    run = job.to_run()
    run.name = live["name"]
    writer = live.get("writer")
    if writer is not None:
        try:
            writer.finish(job.status if job.status != "running" else "finished",
                          message=job.error if job.status == "failed" else None)
        except Exception as err:  # noqa: BLE001
            live["store_problem"] = f"could not close the run in the store ({err})"
    entry = state.add_run(run, "live", store_id=live.get("store_id"), select=True)
    live["entry_key"] = entry.key
    live["finalized"] = True
    return True


def _start(config: Any, preset: str) -> None:
    trainer = services.trainer()  # imports torch: only here
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    name = f"{preset} · live {stamp}"
    writer, store_id, problem = None, None, None
    try:
        store = services.store()
        if getattr(store, "read_only", False):
            problem = "the run store is read-only: this run is kept for the session only"
        else:
            writer = store.begin_live(name, config.run_context(), {"trainer_config": config.to_dict(), "preset": preset})
            store_id = writer.run_id
    except Exception as err:  # noqa: BLE001
        problem = f"not saved for later sessions ({err})"
    job = trainer.start(config)
    st.session_state["live"] = dict(job=job, writer=writer, store_id=store_id, store_problem=problem, preset=preset,
                                    name=name, epochs=0, finalized=False, entry_key=None, report=None, report_n=-1)


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
        epochs = e1.number_input("epochs", min_value=1, max_value=500, key="live_epochs")
        seed = e2.number_input("seed", min_value=0, key="live_seed")
    with c2:
        expect = "".join(f"<span class='tl-pill'>{html.escape(k)}</span>" for k in (*p.expected_findings, *p.expected_causes))
        st.markdown(f"**{html.escape(p.title)}**<br><span style='font-size:0.93rem'>{html.escape(p.description)}</span>"
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
    with st.expander("Set the knobs yourself (start from the preset)"):
        known = {f.name for f in fields(cfg_mod.TrainConfig)}
        for group, names_in_group in GROUPS.items():
            st.markdown(f"**{group}**")
            cols = st.columns(4)
            for i, name in enumerate(n for n in names_in_group if n in known):
                with cols[i % 4]:
                    current = getattr(base, name)
                    raw = _knob_widget(name, current, hints.get(name), cfg_mod.CHOICES, help_texts.get(name, ""),
                                       key=f"knob_{preset}_{name}")
                    base_text = ("true" if current else "false") if hints.get(name) is bool else (
                        "" if current is None else f"{current:g}" if isinstance(current, float) else str(current))
                    if raw != base_text:
                        overrides[name] = raw
    try:
        config = cfg_mod.TrainConfig.from_overrides(base, overrides)
    except TruelossError as err:
        st.error(str(err))
        return None
    return config, preset


def _report_for(live: dict[str, Any], run: Any) -> Any:
    n = live["epochs"]
    if live.get("report") is None or live.get("report_n") != n or live.get("finalized") and not live.get("final_report"):
        live["report"] = services.diagnose(run)
        live["report_n"] = n
        live["final_report"] = bool(live.get("finalized"))
    return live["report"]


def live_view(live: dict[str, Any]) -> None:
    job = live["job"]
    done, total, eta = job.progress
    status = job.status if job.done else "running"
    eta_text = "" if eta is None or job.done else f" · about {eta:,.0f} s left"
    label = {"running": "Training", "finished": "Finished", "cancelled": "Stopped", "diverged": "Diverged",
             "failed": "Failed"}.get(status, status)
    st.progress(min(done / max(total, 1), 1.0), text=f"{label} · epoch {done} of {total}{eta_text}")
    if job.status == "failed":
        st.error(f"The training job failed: {job.error}")
    if live.get("store_problem"):
        st.info(live["store_problem"])
    if done == 0:
        st.caption("Waiting for the first epoch…")
        return
    if live.get("run_n") != (done, job.done):  # rebuild only when an epoch arrived (or the job ended)
        live["run"] = job.to_run()
        live["run_n"] = (done, job.done)
    run = live["run"]
    report = _report_for(live, run)
    verdict_banner(report, note=None if job.done else f"updated live after epoch {done}")
    components.overlay_chart(run, report, prefix="live")
    components.diagnosis_panel(run, report, prefix="live")
    from . import plots

    if plots.has_gap_terms(run):
        st.markdown("#### Where the gap comes from")
        components.gap_decomposition(run, prefix="live", epoch=None if job.done else plots.gap_epochs(run)[-1])
    if live.get("finalized"):
        st.success(f"Run **{live['name']}** is kept with your runs"
                   + (" and saved in the run store." if live.get("store_id") and not live.get("store_problem") else ".")
                   + " Open it on the *Runs* page to edit its context or export it.")


@st.fragment(run_every=POLL_SECONDS)
def _poller() -> None:
    live = _live()
    if live is None:
        return
    just_finished = sync_live()
    live_view(live)
    if just_finished:
        st.rerun()  # a full rerun: the page redraws without the polling fragment


_warm_lock = threading.Lock()
_warm_started = False


def _warm_trainer() -> None:
    """Import torch and the training loop in the background once the live page is opened, so
    pressing Start does not wait for it (the other pages never pay for torch)."""
    global _warm_started
    with _warm_lock:
        if _warm_started:
            return
        _warm_started = True

    def work() -> None:
        try:
            import importlib

            importlib.import_module("trueloss_dash.trainer.loop")
        except Exception:  # noqa: BLE001 - Start will report the real error
            pass

    threading.Thread(target=work, name="trueloss-warm-trainer", daemon=True).start()


def page() -> None:
    _warm_trainer()
    live = _live()
    running = bool(live) and not live.get("finalized")
    with st.container(border=True):
        setup = setup_panel()
        b1, b2, _ = st.columns([1, 1, 4])
        start = b1.button("Start", type="primary", disabled=running or setup is None, key="live_start", width="stretch",
                         icon=":material/play_arrow:")
        stop = b2.button("Stop", disabled=not running, key="live_stop", width="stretch", icon=":material/stop:")
    if stop and running:
        live["job"].cancel()
    if start and setup is not None and not running:
        _start(*setup)
        st.rerun()  # redraw the buttons (Start disabled, Stop enabled) and begin polling
    if live is None:
        st.info("Pick a preset (each one reproduces a phenomenon) and press Start. Training runs in the background: "
                "you can keep using the dashboard while it trains.")
        return
    if running:
        _poller()
    else:
        live_view(live)
