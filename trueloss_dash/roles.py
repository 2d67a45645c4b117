"""Series roles chosen by the user: "this column is the training loss, that one the validation loss".

Readers map columns to canonical series through the alias table (:mod:`.columns`). When no
column has a known role (``loss0``/``loss1``, GAN losses ``G_A``/``D_A``, ``dynamics_loss``) the
run is loaded as it is and :func:`warn_if_roleless` says so, instead of a quiet "healthy" verdict
on a run whose losses were never looked at. :func:`apply_roles` is the one place a user's choice
(CLI ``--role SRC=train_loss``, the role picker on the Runs page, a role mapping remembered in
the run store) turns into canonical series. Pure core: no Streamlit, Plotly or torch.
"""

from __future__ import annotations

import copy
from typing import Iterable, Mapping

from .columns import CANONICAL_SERIES, HUMAN_LABELS, LOSS_SERIES, looks_like_loss
from .errors import TruelossError

# Roles a user can pick for a series (the canonical names; "" = keep it as an extra series).
ROLE_CHOICES: tuple[str, ...] = CANONICAL_SERIES
NO_ROLE = ""
ROLELESS_WARNING = "no series has a known loss role"


class RoleError(TruelossError):
    """A role mapping names a series the run does not have, or a role that does not exist."""


def _unnamed(run) -> set[str]:
    """Curves a reader could not name (a file of bare numbers called ``history.csv``): candidates
    for a loss role as much as a column called ``loss0``. Readers list them in ``meta``."""
    return set((getattr(run, "meta", None) or {}).get("unnamed_curves", ()) or ())


def roleless_losses(run) -> list[str]:
    """Loss-like (or unnamed) series without a role, when the run has no canonical loss at all; else []."""
    if any(name in run.series for name in LOSS_SERIES):
        return []
    unnamed = _unnamed(run)
    return [name for name in run.series if name not in CANONICAL_SERIES and (looks_like_loss(name) or name in unnamed)]


def warn_if_roleless(run) -> None:
    """Say, on the run, that its losses were loaded without roles (so nothing is diagnosed yet)."""
    names = roleless_losses(run)
    run.warnings[:] = [w for w in run.warnings if not w.startswith(ROLELESS_WARNING)]
    if names:
        listed = ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
        unnamed = _unnamed(run)
        n_unnamed = sum(1 for n in names if n in unnamed)
        parts = [f"{len(names) - n_unnamed} loss series"] if len(names) > n_unnamed else []
        if n_unnamed == 1:
            parts.append("1 unnamed curve (its file name names no role)")
        elif n_unnamed:
            parts.append(f"{n_unnamed} unnamed curves (their file names name no role)")
        one = len(names) == 1
        run.warn(f"{ROLELESS_WARNING} (training / validation): {' and '.join(parts)} loaded as "
                 f"{'it is' if one else 'they are'} ({listed}); pick {'its role' if one else 'their roles'} "
                 f"(CLI: --role {names[0]}=train_loss; page: 'Series roles') to have {'it' if one else 'them'} diagnosed")


def parse_role_args(items: Iterable[str]) -> dict[str, str]:
    """``SRC=canonical`` strings (CLI ``--role``) -> mapping; RoleError names the bad item."""
    mapping: dict[str, str] = {}
    for item in items:
        src, sep, role = str(item).partition("=")
        src, role = src.strip(), role.strip()
        if not sep or not src:
            raise RoleError(f"--role {item!r}: expected SOURCE=ROLE, e.g. loss0=train_loss")
        if role not in ROLE_CHOICES and role not in (NO_ROLE, "none"):
            raise RoleError(f"--role {item!r}: unknown role {role!r}; expected one of {', '.join(ROLE_CHOICES)} "
                            "(or 'none' to keep the series as an extra)")
        mapping[src] = NO_ROLE if role == "none" else role
    return mapping


def role_of(run, name: str) -> str:
    """The role a series currently has (its canonical name) or NO_ROLE."""
    return name if name in CANONICAL_SERIES else NO_ROLE


def source_names(run) -> dict[str, str]:
    """Series name -> the name the user knows it by (the log's column/tag)."""
    return {name: (s.source_column or name) for name, s in run.series.items()}


def apply_roles(run, mapping: Mapping[str, str]):
    """A copy of ``run`` with the mapping applied: ``{source: canonical}``.

    ``source`` is a series name or the log column it came from. A role already held by another
    series moves: that series goes back to its own column name (kept, noted). ``""``/``"none"``
    takes a role away. Raises RoleError for a source the run does not have.
    """
    if not mapping:
        return run
    out = copy.copy(run)
    out.series = dict(run.series)
    out.notes, out.warnings, out.meta = list(run.notes), list(run.warnings), dict(run.meta)
    by_source = {}
    for name, s in out.series.items():
        by_source.setdefault(name, name)
        if s.source_column:
            by_source.setdefault(s.source_column, name)
    changes = []
    for src, role in mapping.items():
        role = NO_ROLE if role == "none" else role
        if role not in ROLE_CHOICES and role != NO_ROLE:
            raise RoleError(f"role for {src!r}: unknown role {role!r}; expected one of {', '.join(ROLE_CHOICES)}")
        current = by_source.get(src)
        if current is None:
            listed = ", ".join(sorted(source_names(out).values())[:20])
            raise RoleError(f"run '{run.name}' has no series {src!r}; its series are [{listed}]")
        series = out.series.pop(current)
        target = role or _free_name(out, series.source_column or current)
        if role and role in out.series:  # the role's old holder steps back to its own name
            old = out.series.pop(role)
            back = _free_name(out, old.source_column if old.source_column not in (None, role) else f"{role} (was)")
            out.series[back] = _renamed(old, back)
            by_source[old.source_column or role] = back
            changes.append(f"'{old.source_column or role}' no longer {role}")
        out.series[target] = _renamed(series, target)
        by_source[src] = target
        changes.append(f"'{src}' -> {HUMAN_LABELS.get(role, 'no role') if role else 'no role'}")
    out.meta["roles"] = {**dict(run.meta.get("roles") or {}), **dict(mapping)}
    out.note("roles set by the user: " + "; ".join(changes))
    warn_if_roleless(out)
    return out


def _renamed(series, name: str):
    new = copy.copy(series)
    new.name = name
    return new


def _free_name(run, wanted: str) -> str:
    name, i = wanted, 2
    while name in run.series:
        name = f"{wanted} ({i})"
        i += 1
    return name


def roles_key(run) -> str:
    """The key a role mapping is remembered under: the log's file name and the run's name."""
    source = str(run.source or "").replace("\\", "/").rsplit("/", 1)[-1]
    return f"{source}|{run.name}"
