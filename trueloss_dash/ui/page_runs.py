"""The main page: load runs (upload, samples, saved) and analyse the selected one.

The URL names the open run and x axis (``?run=<store id>&x=step``; samples are
``?run=sample:<file>``), so a reload or a shared link restores the view. Uploads are saved for
this browser only and de-duplicated by content hash: uploading the same file again opens the run
already saved.
"""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from .. import fmt
from ..columns import HUMAN_LABELS
from ..errors import TruelossError
from . import components, gap_plots, page_watch, services, state
from . import roles as roles_ui
from .common import verdict_banner
from .safe import md


# --- loading -------------------------------------------------------------------------------------


def _save_to_store(run: Any, content_hash: str) -> tuple[str | None, str | None]:
    """Keep an uploaded run for this browser's later sessions; returns (store id, problem sentence)."""
    try:
        store = state.user_store()
        if store.read_only:
            return None, "the run store is read-only, so this upload is not kept after the session"
        return store.save(run, content_hash=content_hash), None
    except TruelossError as err:
        return None, f"not saved for later sessions: {err}"
    except Exception as err:  # noqa: BLE001 - the upload itself succeeded; saving is a bonus
        return None, f"not saved for later sessions ({type(err).__name__}: {err})"


def handle_uploads(files: list[Any]) -> None:
    """Read each new file on its own: one bad file never stops the others."""
    done: set[str] = st.session_state.setdefault("uploaded_ids", set())
    new = [f for f in files or [] if f.file_id not in done]
    if not new:
        return
    loaded_names: list[str] = []
    errors: list[str] = []
    notes: list[str] = []
    batch: list[Any] = []
    for f in new:
        done.add(f.file_id)
        data = f.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        if _open_existing_upload(f.name, digest, notes, loaded_names):
            continue
        try:
            loaded = services.load_bytes(f.name, data)
        except TruelossError as err:
            errors.append(str(err))
            continue
        except Exception as err:  # noqa: BLE001 - a reader bug must not take the page down
            errors.append(f"{f.name}: could not be read ({type(err).__name__}: {err})")
            continue
        if not loaded:
            errors.append(f"{f.name}: no training run found in this file")
        batch.extend((run, digest) for run in loaded)
    digests = {id(run): digest for run, digest in batch}
    merged_digest = hashlib.sha256("".join(sorted(d for _, d in batch)).encode()).hexdigest()
    for run in roles_ui.prepare_uploaded([run for run, _ in batch]):  # one-curve files (TensorBoard one-tag CSVs, bare numbers) merged
        store_id, problem = _save_to_store(run, digests.get(id(run), merged_digest))
        state.add_run(run, "upload", store_id=store_id)
        points = max((len(s) for s in run.series.values()), default=0)
        loaded_names.append(f"{run.name} ({run.format or 'unknown format'}, {fmt.count(points, 'point')})")
        if problem:
            notes.append(f"{run.name}: {problem}")
    set_load_result(loaded_names, errors, notes)
    # A failed upload must not leave the previous run's chart under its error as if it were the result.
    st.session_state["hide_analysis"] = bool(errors) and not loaded_names
    if loaded_names:
        st.rerun()  # fold the load panel (its label changed): the chart comes first


def set_load_result(loaded: list[str], errors: list[str] = (), notes: list[str] = ()) -> None:
    """ONE banner per load action (eight files gave eight "Loaded" banners), errors in their own.

    Messages are plain text; :func:`show_load_result` escapes them when it shows them.
    """
    msgs: list[tuple[str, str]] = []
    if loaded:
        head = f"Loaded {fmt.count(len(loaded), 'run')}" if len(loaded) > 1 else "Loaded"
        msgs.append(("success", head + ": " + "; ".join(loaded)))
    if errors:
        msgs.append(("error", " · ".join(errors)))
    if notes:
        msgs.append(("info", " · ".join(notes)))
    state.set_messages(msgs)


def show_load_result() -> None:
    """The last load action's messages (plain text, escaped here: names come from the user's files)."""
    for level, text in state.messages():
        {"success": st.success, "error": st.error, "info": st.info, "warning": st.warning}.get(level, st.info)(md(text))


def _open_existing_upload(name: str, digest: str, notes: list[str], opened_names: list[str]) -> bool:
    """The same file uploaded before by this browser: open the saved run(s) instead of saving again."""
    try:
        ids = state.user_store().find_upload(digest)
    except Exception:  # noqa: BLE001 - no usable store: read the file as new
        return False
    opened = []
    for run_id in ids:
        try:
            opened.append(state.open_ref(run_id))
        except TruelossError:
            continue
    if not opened:
        return False
    names = ", ".join(e.run.name for e in opened)
    notes.append(f"{name} was uploaded before: opened the saved run {names} instead of saving it again.")
    opened_names.extend(f"{e.run.name} (saved)" for e in opened)
    return True


def load_panel() -> None:
    tab_up, tab_sample, tab_saved, tab_watch = st.tabs([":material/upload_file: Upload logs", ":material/folder_open: Sample runs",
                                                        ":material/inventory_2: Saved runs", ":material/visibility: Watch a folder"])
    with tab_up:
        files = st.file_uploader(
            "Drop training logs here: Keras CSVLogger, Lightning metrics.csv, HF trainer_state.json, Ultralytics "
            "results.csv, TensorBoard events, MLflow, XGBoost/LightGBM/CatBoost and console logs, generic CSV/JSONL - "
            "or a zipped run folder",
            accept_multiple_files=True, key="uploader",
        )
        handle_uploads(files)
    with tab_sample:
        samples = services.sample_files()
        if not samples:
            st.info("No sample runs found in sample_runs/.")
        else:
            c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
            with c1:
                chosen = st.selectbox("sample run (made by the live trainer, one per phenomenon)", samples,
                                      format_func=lambda p: p.name, key="sample_pick")
            with c2:
                if st.button("Open sample", key="sample_open", type="primary", width="stretch"):
                    st.session_state["hide_analysis"] = False
                    try:
                        for run in services.load_path(chosen):
                            state.add_run(run, "sample")
                    except TruelossError as err:
                        set_load_result([], [str(err)])
                    else:
                        set_load_result([])  # an earlier upload's banner is stale now
                        st.rerun()  # fold the load panel: the chart comes first
    with tab_saved:
        saved_runs_panel()
    with tab_watch:
        page_watch.entry_tab()


def saved_runs_panel() -> None:
    try:
        store = state.user_store()
    except Exception as err:  # noqa: BLE001
        st.warning(f"The run store is not available: {md(err)}")
        return
    if store.status_message:
        st.warning(md(store.status_message))
    infos = store.list()
    from .identity import shared_mode

    scope = ("Shared workspace: every run on this server is listed." if shared_mode() else
             "Only this browser's runs are listed; other browsers cannot see, open, rename or delete them.")
    if not infos:
        st.caption("Runs you upload or train live are kept here for later sessions. " + md(scope))
        return
    st.caption(md(scope))
    import datetime as dt

    labels = {i.id: f"{i.name}  ·  {i.format or 'live'}  ·  {i.status}  ·  {i.n_points:,} pts  ·  "
                     f"{dt.datetime.fromtimestamp(i.created):%Y-%m-%d %H:%M}" for i in infos}
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    with c1:
        picked = st.multiselect("saved runs", list(labels), format_func=labels.get, key="saved_pick")
    with c2:
        if st.button("Open", key="saved_open", type="primary", disabled=not picked, width="stretch"):
            st.session_state["hide_analysis"] = False
            problems = []
            for run_id in picked:
                try:
                    state.add_run(store.load(run_id), "saved", store_id=run_id)
                except TruelossError as err:
                    problems.append(str(err))
            set_load_result([], problems)  # no stale "Loaded …" banner from an earlier upload
            if not problems:
                st.rerun()
    if picked and len(picked) == 1:
        rename_or_delete(store, picked[0], labels[picked[0]].split("  ·  ")[0])


def rename_or_delete(store: Any, run_id: str, name: str) -> None:
    """Rename (the open copy follows) or delete (after a tick; the open copy closes) one saved run."""
    with st.expander("Rename or delete"):
        new_name = st.text_input("new name", key="saved_new_name", placeholder=name)
        c3, c4 = st.columns(2)
        if c3.button("Rename", key="saved_rename", disabled=not new_name.strip()):
            try:
                store.rename(run_id, new_name.strip())
            except TruelossError as err:
                state.set_messages([("error", str(err))])
            else:
                for entry in state.runs().values():
                    if entry.store_id == run_id:
                        entry.run.name = new_name.strip()
                state.set_messages([("success", f"Renamed {name} to {new_name.strip()}.")])
                st.session_state.pop("saved_new_name", None)
            st.rerun()
        confirm = c4.checkbox("yes, delete it", key="saved_confirm")
        if c4.button("Delete", key="saved_delete", disabled=not confirm, help="Tick the box first: this cannot be undone."):
            try:
                store.delete(run_id)
            except TruelossError as err:
                state.set_messages([("error", str(err))])
            else:
                state.forget_store_id(run_id)
                state.set_messages([("success", f"Deleted {name} from your saved runs.")])
            st.session_state.pop("saved_pick", None)
            st.session_state.pop("saved_confirm", None)
            st.rerun()


# --- analysis ------------------------------------------------------------------------------------


def run_header(entry: state.LoadedRun) -> None:
    run = entry.run
    main = [n for n in run.series if not n.endswith(("_ci_low", "_ci_high")) and not n.startswith("gap_")]
    points = {HUMAN_LABELS.get(n, n): len(run.series[n]) for n in main}
    # "training accuracy · 100 points" (it read "training accuracy: 100", as if that were the accuracy)
    pills = "".join(f"<span class='tl-pill'>{md(k)} · {md(fmt.count(v, 'point'))}</span>"
                    for k, v in list(points.items())[:8])
    hidden = len(run.series) - min(len(main), 8)
    if hidden:
        pills += f"<span class='tl-pill'>+{md(fmt.count(hidden, 'more series', 'more series'))}</span>"
    st.markdown(
        f"<span class='tl-muted'>format <b>{md(run.format or 'unknown')}</b> · "
        f"{md(state.ORIGIN_LABEL.get(entry.origin, entry.origin))}"
        f"{' · ' + md(run.source) if run.source else ''}</span><br>{pills}",
        unsafe_allow_html=True,
    )
    if run.warnings:
        st.warning("**Reader warnings**\n" + "\n".join(f"- {md(w)}" for w in run.warnings))
    if run.notes:
        with st.expander(f"Reader notes ({len(run.notes)})"):
            st.markdown("\n".join(f"- {md(n)}" for n in run.notes))


def analysis(entry: state.LoadedRun) -> None:
    run = entry.run
    report = entry.report()
    verdict_banner(report)
    fig = components.overlay_chart(run, report, prefix=f"an_{entry.key}")
    run_header(entry)
    if roles_ui.role_picker(entry):
        st.rerun()
    components.diagnosis_panel(run, report, prefix=f"an_{entry.key}")
    tabs = [":material/tune: Context", ":material/download: Export"] + ([":material/waterfall_chart: Gap decomposition"] if gap_plots.has_gap_terms(run) else [])
    parts = st.tabs(tabs)
    with parts[0]:
        st.caption("What you know about how this run was trained. The diagnosis uses it to tell the causes of an "
                   "inverted gap apart (dropout, a penalty inside the loss, augmentation, batch norm).")
        if components.context_form(entry):
            _save_context(entry)
            st.rerun()
    with parts[1]:
        components.export_buttons(run, report, prefix=f"an_{entry.key}", figure=fig)
    if len(parts) > 2:
        with parts[2]:
            components.gap_decomposition(run, prefix=f"an_{entry.key}")


def _save_context(entry: state.LoadedRun) -> None:
    """Context edits are kept with the stored run, so a reload or a later session diagnoses the same."""
    if not entry.store_id:
        return
    try:
        state.user_store().update_context(entry.store_id, entry.context)
        entry.run.context = entry.context
    except TruelossError as err:
        state.set_messages([("warning", f"The context is used now but not saved with the run: {err}")])  # plain text


def follow_url() -> None:
    """Open the run the URL names (``?run=``) when the URL changed (a reload, a shared link)."""
    ref = st.query_params.get("run")
    if not ref or ref == st.session_state.get("_url_run"):
        return
    st.session_state["_url_run"] = ref
    try:
        state.open_ref(ref)
    except TruelossError as err:
        state.set_messages([("warning", f"The link's run could not be opened: {err}")])
        return
    axis = st.query_params.get("x")
    if axis:
        st.session_state["_url_x"] = axis


def update_url(entry: state.LoadedRun | None) -> None:
    """Write the open run (and x axis) into the URL so a reload or a copied link restores the view."""
    ref = entry.ref if entry is not None else None
    if ref:
        st.query_params["run"] = ref
        axis = st.session_state.get(f"an_{entry.key}_x_chosen")
        if axis:
            st.query_params["x"] = axis
    else:
        for key in ("run", "x"):
            if key in st.query_params:
                del st.query_params[key]
    st.session_state["_url_run"] = ref


def run_picker() -> state.LoadedRun | None:
    current = state.runs()
    if not current:
        return None
    keys = list(current)
    active = state.active()
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    with c1:
        key = st.selectbox("run", keys, index=keys.index(active.key) if active else 0,
                           format_func=lambda k: current[k].label, key=f"run_select_{len(keys)}_{active.key if active else ''}",
                           on_change=lambda: st.session_state.update(hide_analysis=False))
    with c2:
        if st.button("Close run", key="close_run", width="stretch"):
            state.remove_run(key)
            st.rerun()
    st.session_state["active"] = key
    return current[key]


def page() -> None:
    follow_url()
    has_runs = bool(state.runs())
    # Open until a run is loaded. Every load changes the label (it counts the open runs), which makes
    # a new, folded panel - Streamlit keeps an expander's open state while its label stays the same -
    # so after a load the verdict and the chart come first; the load actions rerun once to show it.
    n_open = len(state.runs())
    label = (f"Load more runs ({n_open} open): upload logs, open a sample or a saved run" if has_runs
             else "Load runs: upload logs, open a sample or a saved run")
    with st.expander(label, expanded=not has_runs and not page_watch.enabled(),  # md-safe: constant text + a count
                     icon=":material/add_chart:"):
        load_panel()
    show_load_result()
    if page_watch.enabled():
        page_watch.section()
    entry = run_picker()
    if entry is None and page_watch.enabled():
        return
    if entry is None:
        update_url(None)
        st.info("Upload a training log, open a sample run, or start a live demo from the sidebar.")
        _three_curves_primer()
        _framework_snippets()
        return
    wanted_axis = st.session_state.pop("_url_x", None)
    if wanted_axis:
        st.session_state[f"an_{entry.key}_x_wanted"] = wanted_axis
    if st.session_state.get("hide_analysis"):
        st.caption(f"The upload above failed; {md(entry.run.name)} is still open. Pick a run in the list "
                   "above to see its chart again.")
        return
    analysis(entry)
    update_url(entry)


def _three_curves_primer() -> None:
    """First visit: why three curves, in the words a practitioner would use."""
    st.markdown("#### Why three curves?")
    cols = st.columns(3)
    primer = (
        ("Reported training loss",
         "What your framework prints: train mode, averaged over the epoch while the weights move, "
         "with dropout, augmentation, batch-norm batch statistics and any L1/L2 penalty inside."),
        ("True training loss",
         "The training data re-measured in eval mode at the epoch's end, on clean inputs, without "
         "the penalty - the honest counterpart of validation (Keras `trueloss` calls it `base_loss`)."),
        ("Validation loss",
         "Eval mode, end of epoch. Below the *reported* curve it is usually an artefact; below the "
         "*true* curve it points to a train/validation mismatch or leakage."),
    )
    for col, (title, text) in zip(cols, primer):
        with col.container(border=True):
            st.markdown(f"**{title}**")  # md-safe: constant text written above
            st.caption(text)  # md-safe: constant text with intended Markdown


def _framework_snippets() -> None:
    """First visit: how to log the true training loss from the user's own framework."""
    from ..integrations.snippets import SNIPPETS  # plain strings: imports no framework

    st.markdown("#### Log the true training loss from your framework")
    st.caption("One callback per framework writes `true_train_loss` into the log you already keep; "
               "upload that file here. Runnable examples: `docs/integrations.md`.")
    for tab, (install, code) in zip(st.tabs(list(SNIPPETS)), SNIPPETS.values()):
        with tab:
            st.code(install, language="bash")
            st.code(code, language="python")
