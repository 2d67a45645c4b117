"""The role picker: the user says which series is the training / validation loss.

Shown on the Runs page under the run header; opened by itself when the reader found no loss with
a known role (``loss0``/``loss1``, GAN losses). The choice goes through the core
:func:`trueloss_dash.roles.apply_roles` and is remembered per source in the run store, so the
same log uploaded again gets the same roles.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ..columns import HUMAN_LABELS
from ..roles import NO_ROLE, ROLE_CHOICES, ROLELESS_WARNING, apply_roles, role_of, roles_key
from . import services
from .safe import md

_NONE_LABEL = "(no role: keep as is)"


def _label(role: str) -> str:
    return _NONE_LABEL if role == NO_ROLE else f"{role} ({HUMAN_LABELS.get(role, role)})"


def apply_remembered(run: Any) -> Any:
    """The run with the roles the user chose for this source before (unchanged when none)."""
    try:
        mapping = services.store().roles_for(roles_key(run))
    except Exception:  # noqa: BLE001 - a missing store only means nothing is remembered
        return run
    mapping = {k: v for k, v in mapping.items()
               if k in run.series or any(s.source_column == k for s in run.series.values())}
    try:
        return apply_roles(run, mapping) if mapping else run
    except Exception:  # noqa: BLE001 - a stale mapping must not block the upload
        return run


def prepare_uploaded(runs: list[Any]) -> list[Any]:
    """Runs from one upload batch: one-curve files (TensorBoard one-tag CSVs, bare numbers) merged, remembered roles applied."""
    from ..ingest.onecurve import merge_one_curve_files

    return [apply_remembered(r) for r in merge_one_curve_files(runs)]


def role_picker(entry: Any) -> bool:
    """A role per series; True when the user applied new roles (the caller reruns the page)."""
    run = entry.run
    roleless = any(w.startswith(ROLELESS_WARNING) for w in run.warnings)
    names = [n for n in run.series if not n.endswith(("_ci_low", "_ci_high"))]
    with st.expander("Series roles" + (" - pick the training / validation loss" if roleless else ""),
                     expanded=roleless, icon=":material/label:"):
        st.caption("Which curve is which. The diagnosis reads the series that hold the roles "
                   "train_loss / val_loss / true_train_loss; the choice is remembered for this log.")
        options = [NO_ROLE, *ROLE_CHOICES]
        chosen: dict[str, str] = {}
        cols = st.columns(2)
        for i, name in enumerate(names[:40]):
            series = run.series[name]
            src = series.source_column or name
            current = role_of(run, name)
            pick = cols[i % 2].selectbox(f"{src}  ({len(series):,} points)", options, index=options.index(current),
                                         format_func=_label, key=f"role_{entry.key}_{name}")
            if pick != current:
                chosen[src] = pick
        if st.button("Apply roles", key=f"roles_apply_{entry.key}", disabled=not chosen, type="primary"):
            try:
                entry.run = apply_roles(run, chosen)
            except Exception as err:  # noqa: BLE001 - shown as a sentence, never a traceback
                st.error(md(str(err)))
                return False
            entry._reports.clear()
            try:
                services.store().remember_roles(roles_key(entry.run), entry.run.meta.get("roles", {}))
            except Exception as err:  # noqa: BLE001 - the roles still apply for this session
                st.info(f"Roles applied for this session; not remembered ({md(err)}).")
            return True
    return False
