"""Entry points: a path (file or run folder), uploaded bytes (file or .zip), or an MLflow URI.

Every refusal is a :class:`LogFormatError` naming the file; any other exception a reader might
raise on hostile input is wrapped into one (with the file name), so callers only ever catch one
type. Format detection is by content (see :mod:`.sniff`); ``format=`` overrides it.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np

from ..columns import TRAIN_ACC, TRAIN_LOSS, VAL_ACC, VAL_LOSS, unphased, validation_file_stem
from ..errors import LogFormatError
from ..provenance import SIDECAR_SUFFIX, read_sidecar
from ..run import Run
from .curves import require_curves
from .placeholders import drop_placeholder_zeros
from .limits import MAX_BYTES, MAX_DIR_FILES, MAX_NESTING, MAX_ZIP_MEMBERS, MAX_ZIP_RATIO
from .registry import FORMATS, readers
from .safe_read import check_size, inside, read_capped, regular_size
from .sniff import Sample
from .source import Source, read_file

DEFAULT_MAX_BYTES = MAX_BYTES

_CONTENT = re.compile(rb"[^\s\x00\xef\xbb\xbf]")
_HPARAM_FILES = {"hparams.yaml", "hparams.yml", "meta_tags.csv"}
_COMPANIONS = _HPARAM_FILES | {
    "params.yaml", "config.yaml", "wandb-summary.json", "wandb-metadata.json", "requirements.txt",
    "args.yaml", "opt.yaml", "hyp.yaml", "meta.yaml", "config.json", "metrics.json.lock",
}
_LOG_SUFFIXES = {".csv", ".tsv", ".txt", ".log", ".json", ".jsonl", ".out"}
LOG_SUFFIXES = frozenset(_LOG_SUFFIXES)  # file kinds a folder scan reads (also the folder watcher's)
COMPANION_FILES = frozenset(_COMPANIONS)  # files beside a log that are not logs themselves
_GENERIC_STEMS = {"metrics", "results", "history", "trainer_state", "training", "log", "train", "events",
                  "wandb-history", "output", "loss", "logs", "stdout"}
GENERIC_STEMS = frozenset(_GENERIC_STEMS)  # file names that say nothing: the run is named after its folder


def _check_format(format: str | None) -> None:
    if format is not None and format not in FORMATS:
        raise LogFormatError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")


def detect(source: Source) -> str:
    """The format id whose sniffer is most confident; LogFormatError when none recognises the file."""
    sample = Sample(source)
    scores = {fmt: reader.sniff(sample) for fmt, reader in readers().items()}
    best = max(scores, key=lambda f: scores[f])
    if scores[best] <= 0 and not sample.binary and not sample.json_kind and not source.complete_in_head:
        # Console logs can open with more than 64 KB of banners and progress bars: look further.
        from .readers.text_log import has_metric_lines

        if has_metric_lines(source.text()[:8_000_000]):
            return "text_log"
    if scores[best] <= 0:
        if sample.binary:
            raise source.error(
                f"binary data (starts with {source.head[:8]!r}), not a training log; expected CSV/TSV, "
                "JSON/JSON lines, a text log, a TensorBoard event file or a .zip of a run folder"
            )
        first = sample.lines[0][:80] if sample.lines else ""
        best_only = _best_so_far_only(sample.lines)
        if best_only is not None:
            raise source.error(best_only)
        from .readers.text_log import metrics_without_loss

        found = metrics_without_loss(sample.text)
        raise source.error(
            f"unknown log format (first line {first!r}){'; ' + found if found else ''}; expected a CSV/TSV table "
            "with a header, JSON/JSON lines, a trainer_state.json, a TensorBoard event file, an MLflow metric file, "
            "a file of bare numbers (one loss value per line, or one line '0.71,0.52,0.44') "
            "or console lines like 'epoch 3, loss: 0.41, val_loss: 0.52'"
        )
    return best


# Lightning's EarlyStopping callback (verbose): "Metric val_loss improved by 0.004 >= min_delta = 0.0. New best score: 0.028"
_EARLY_STOPPING = re.compile(r"Metric (\S+) improved(?: by [-+\d.e]+ >= min_delta = [-+\d.e]+)?\. New best score: ([-+\d.eE]+)")


def _best_so_far_only(lines: list[str]) -> str | None:
    """The refusal of a console log whose only numbers are early-stopping messages (a Lightning run with no
    logger): each holds the best value so far, with no epoch - a record of improvements, not a curve."""
    found = [m for line in lines if (m := _EARLY_STOPPING.search(line))]
    if not found:
        return None
    metric = found[0].group(1)
    return (f"only early-stopping messages ('Metric {metric} improved ... New best score: {found[0].group(2)}', "
            f"{len(found)} lines): each is the best {metric} so far, with no epoch - a record of improvements, not a "
            "curve; expected the metric logged every epoch (a logger's metrics.csv or TensorBoard events, or a "
            "progress bar in the console)")


def _refuse_hparams(source: Source) -> None:
    base = source.name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    head = source.head_text(256).lstrip().lower()
    if (
        base.endswith(tuple(_HPARAM_FILES))
        or base.endswith((".yaml", ".yml"))
        or (base.endswith(".csv") and head.startswith("key,value"))
    ):
        raise source.error(
            "this is a hyper-parameter file, not a metrics log; upload it together with its metrics.csv "
            "(in the same folder or .zip)"
        )


def load_source(source: Source, format: str | None = None) -> list[Run]:
    """Sniff (unless ``format`` is given) and read one file."""
    _check_format(format)
    if not _CONTENT.search(source.head) and (source.complete_in_head or not _CONTENT.search(source.data)):
        raise source.error("empty file; expected a training log with a header and rows of numbers")
    _refuse_hparams(source)
    if format is None and source.head[:4] == b"PK\x03\x04":
        raise source.error("a .zip archive inside a folder is not opened; upload it on its own")
    fmt = format or detect(source)
    try:
        runs = readers()[fmt].read(source)
    except LogFormatError:
        raise
    except RecursionError:
        raise source.error(
            "nested too deeply to read (brackets or objects inside each other thousands of levels down); "
            "expected flat records of metrics"
        ) from None
    except MemoryError:
        raise source.error("too large to read in the memory available; expected a training log") from None
    except Exception as err:  # last resort: hostile input must never escape as a traceback
        raise source.error(
            f"could not be read as {fmt} ({type(err).__name__}: {str(err)[:200]})"
            + ("" if format is None else "; try without --format to auto-detect")
        ) from None
    return finish_runs(source, runs, fmt)


def finish_runs(source: Source, runs: list[Run], fmt: str) -> list[Run]:
    """What every file's runs get after the reader: the provenance sidecar, a run name better than
    a generic file stem (``metrics`` -> its folder), the format id. Shared with the folder watcher."""
    if source.path is not None:
        side = read_sidecar(source.path)
        if side is not None:
            ctx, meta = side
            for run in runs:
                run.context = run.context.merged(ctx)
                run.meta.update(meta)
                run.note(f"context read from {source.path.name}{SIDECAR_SUFFIX}")
        if source.stem.lower() in _GENERIC_STEMS and source.path.parent.name:
            for run in runs:
                if run.name != source.path.parent.name:  # (a reader may have named it after the folder already)
                    run.name = run.name.replace(source.stem, source.path.parent.name, 1)
    for run in runs:
        run.format = run.format or fmt
        drop_placeholder_zeros(run)
    if validation_file_stem(source.stem):
        for run in runs:
            _as_validation(run, source.name)
    mark_continuations(runs)
    return runs


def _as_validation(run: Run, filename: str) -> None:
    """A file named for validation (``validations.txt``): a training loss and accuracy the reader gave
    that role only because their columns carry no phase word (``loss``, ``acc``) are validation's -
    an evaluation log's loss flattening at its best read as 'training has stopped improving' otherwise."""
    if VAL_LOSS in run.series or TRAIN_LOSS not in run.series or not unphased(run.series[TRAIN_LOSS].source_column):
        return
    moved = {TRAIN_LOSS: VAL_LOSS}
    if TRAIN_ACC in run.series and VAL_ACC not in run.series and unphased(run.series[TRAIN_ACC].source_column):
        moved[TRAIN_ACC] = VAL_ACC
    run.series = {moved.get(k, k): s for k, s in run.series.items()}
    for new in moved.values():
        run.series[new].name = new
    run.note(f"{filename} is named for validation: its {', '.join(repr(run.series[v].source_column) for v in moved.values())} "
             f"read as the validation {' and '.join('loss' if v == VAL_LOSS else 'accuracy' for v in moved.values())}")


#: A part of a file (an appended run after its epoch/step counter restarted) continues the part
#: before it when its first loss is within this factor of where that part ended, and that part had
#: learned (ended at most 1/CONTINUATION_FACTOR of its own start): a resumed run, not a fresh one.
CONTINUATION_FACTOR = 1.1


def _first_last(run: Run) -> tuple[str, float, float] | None:
    """(loss name, its first and last finite value) of the training loss, else the validation loss."""
    for name in (TRAIN_LOSS, VAL_LOSS):
        s = run.get(name)
        if s is None:
            continue
        y = np.asarray(s.y, float)
        y = y[np.isfinite(y)]
        if len(y) >= 2 and np.all(y[[0, -1]] > 0):
            return name, float(y[0]), float(y[-1])
    return None


def mark_continuations(runs: list[Run]) -> None:
    """A file's later part that starts where the part before it ended (a training resumed from a
    checkpoint, a second stage) is marked ``meta["continues"]``: its first point is a trained model,
    not an untrained one, so "barely moved from its start" and "flat from the start" do not apply."""
    for prev, run in zip(runs, runs[1:]):
        if run.meta.get("part") is None and "(part " not in run.name:
            continue
        a, b = _first_last(prev), _first_last(run)
        if a is None or b is None or a[0] != b[0]:
            continue
        loss, a_first, a_last = a
        b_first = b[1]
        learned = a_last * CONTINUATION_FACTOR <= a_first
        if learned and a_last / CONTINUATION_FACTOR <= b_first <= a_last * CONTINUATION_FACTOR:
            run.meta["continues"] = prev.name
            run.note(f"starts where '{prev.name}' ended ({loss} {a_last:.4g} -> {b_first:.4g}): read as its "
                     "continuation, so its first point is a trained model, not an untrained one")


def load_path(path: str | Path, *, format: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
              require_curve: bool = True) -> list[Run]:
    """Load a log file or a run folder (Lightning version_N/, TensorBoard dir, mlruns/, dvclive/).

    A file with no curve (:mod:`.curves`) is refused; ``require_curve=False`` (the folder watcher,
    whose runs grow from their first point) loads it anyway."""
    _check_format(format)
    p = Path(path)
    keep = require_curves if require_curve else (lambda runs, _display: runs)
    try:
        if p.is_dir():
            return _guard(lambda: load_directory(p, format=format, max_bytes=max_bytes, require_curve=require_curve), str(p))
        if not p.exists():
            raise LogFormatError("no such file or folder", path=str(p))
        regular_size(p)  # a FIFO or a device is refused before anything opens it
        if zipfile.is_zipfile(p) and format is None:
            return load_bytes(str(p), read_capped(p, max_bytes), max_bytes=max_bytes)
        source = read_file(p, max_bytes)
        return keep(load_source(source, format), str(p))
    except LogFormatError:
        raise
    except Exception as err:
        raise LogFormatError(f"could not be read ({type(err).__name__}: {str(err)[:200]})", path=str(p)) from None


def _guard(fn, display: str):
    try:
        return fn()
    except LogFormatError:
        raise
    except Exception as err:
        raise LogFormatError(f"could not be read ({type(err).__name__}: {str(err)[:200]})", path=display) from None


def load_directory(root: Path, *, format: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                   require_curve: bool = True) -> list[Run]:
    """Every run in a folder. Files that hold no run (or no curve) are listed in the error if nothing
    loads, and in ``meta.skipped_files`` otherwise."""
    from .readers import dvclive, mlflow, tensorboard

    keep = require_curves if require_curve else (lambda runs, _display: runs)

    runs: list[Run] = []
    skipped: list[str] = []
    handled: set[Path] = set()

    if format in (None, "dvclive"):
        for cand in [root, root / "dvclive", *sorted(root.glob("*/dvclive"))]:
            if (cand / "plots" / "metrics").is_dir() and cand not in handled:
                try:
                    runs.extend(keep(dvclive.read_directory(cand, max_bytes, read_file), str(cand)))
                except LogFormatError as err:
                    skipped.append(str(err))
                handled.add(cand)
    if format in (None, "mlflow"):
        for run_dir in mlflow.find_run_dirs(root):
            if any(run_dir == h or h in run_dir.parents for h in handled):
                continue  # a DVCLive folder's plots/metrics is not an MLflow run
            try:
                runs.extend(keep([mlflow.read_run_dir(run_dir, max_bytes)], str(run_dir)))
            except LogFormatError as err:
                skipped.append(str(err))
            handled.add(run_dir)
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        d = Path(dirpath)
        if d in handled:  # read whole by its own reader (a DVCLive or MLflow run folder)
            dirnames[:] = []
            continue
        dirnames[:] = sorted(n for n in dirnames if not n.startswith(".") and d / n not in handled)
        for name in sorted(filenames):
            files.append(d / name)
        if len(files) > MAX_DIR_FILES:
            raise LogFormatError(f"more than {MAX_DIR_FILES} files; point at one run folder", path=str(root))
    if format in (None, "tensorboard") and any(tensorboard.is_event_file_name(f.name) for f in files):
        total = sum(regular_size(f) for f in files if tensorboard.is_event_file_name(f.name) and inside(f, root))
        check_size(str(root), total, max_bytes)
        try:
            runs.extend(keep(tensorboard.read_directory(root), str(root)))
        except LogFormatError as err:
            skipped.append(str(err))
    for f in files:
        lower = f.name.lower()
        if tensorboard.is_event_file_name(lower) or lower in _COMPANIONS or lower.endswith(SIDECAR_SUFFIX):
            continue
        if f.suffix.lower() not in _LOG_SUFFIXES or (f.is_symlink() and not inside(f, root)):
            continue
        try:
            runs.extend(keep(load_source(read_file(f, max_bytes), format), str(f)))
        except LogFormatError as err:
            skipped.append(str(err))
    if not runs:
        if not skipped:
            raise LogFormatError(
                "no training logs found in this folder; expected metrics.csv, results.csv, trainer_state.json, "
                "event files, an mlruns/ or dvclive/ folder, or CSV/JSON/text logs",
                path=str(root),
            )
        listed = "; ".join(skipped[:5]) + (f"; and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        raise LogFormatError(f"no file in this folder could be loaded: {listed}", path=str(root))
    from .onecurve import merge_one_curve_files

    # one-tag TensorBoard CSV downloads of one run, train_loss.csv + val_loss.csv of bare numbers -> one Run
    runs = merge_one_curve_files(runs)
    runs = _set_aside_lone_numbers(runs, skipped)
    if skipped:
        for run in runs:
            run.meta.setdefault("skipped_files", skipped[:20])
        runs[0].note(f"{len(skipped)} other file(s) in the folder were not loaded (see meta.skipped_files)")
    return runs


def _set_aside_lone_numbers(runs: list[Run], skipped: list[str]) -> list[Run]:
    """Files of bare numbers with no loss in them (``seed.txt``, a list of class ids) beside the
    folder's real logs: listed as skipped, not shown as runs of their own."""
    from ..columns import LOSS_SERIES, looks_like_loss
    from .onecurve import HEADERLESS

    def lossless_numbers(run: Run) -> bool:
        if run.meta.get(HEADERLESS):  # a headerless table of unnamed columns (a data file beside the logs)
            return not any(n in run.series for n in LOSS_SERIES) and not any(looks_like_loss(n) for n in run.series)
        return run.format == "bare_numbers" and not any(looks_like_loss(n) for n in run.series)

    if all(lossless_numbers(r) for r in runs):
        return runs
    for run in runs:
        if lossless_numbers(run):
            names = ", ".join(f"{n} ({len(s):,} values)" for n, s in run.series.items())
            kind = "a headerless table" if run.meta.get(HEADERLESS) else "a file of bare numbers"
            skipped.append(f"{run.source}: {kind} holding no loss ({names}), beside the folder's "
                           "logs; load it on its own to see it")
    return [r for r in runs if not lossless_numbers(r)]


# -- uploads ----------------------------------------------------------------------------------
def load_bytes(name: str, data: bytes, *, format: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
               require_curve: bool = True) -> list[Run]:
    """Load an upload. ``name`` is a display name and extension hint only, never opened. A file
    with no curve is refused (see :func:`load_path`)."""
    _check_format(format)
    display = str(name or "upload")
    base = re.split(r"[\\/]", display)[-1] or "upload"
    try:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise LogFormatError(f"expected bytes, got {type(data).__name__}", path=display)
        data = bytes(data)
        check_size(display, len(data), max_bytes)
        if data[:4] == b"PK\x03\x04" and format is None:
            return _load_zip(display, data, max_bytes, require_curve)
        runs = load_source(Source(name=base, _data=data), format)
        return require_curves(runs, display) if require_curve else runs
    except LogFormatError:
        raise
    except Exception as err:
        raise LogFormatError(f"could not be read ({type(err).__name__}: {str(err)[:200]})", path=display) from None


def _safe_member(info: zipfile.ZipInfo, display: str) -> PurePosixPath | None:
    name = info.filename.replace("\\", "/")
    if info.is_dir() or name.startswith("__MACOSX/") or PurePosixPath(name).name.startswith("._"):
        return None
    parts = PurePosixPath(name).parts
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts or not parts:
        raise LogFormatError(f"unsafe path in archive: {info.filename!r} (absolute or '..'); refused", path=display)
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        raise LogFormatError(f"archive member {info.filename!r} is a symbolic link; refused", path=display)
    return PurePosixPath(*parts)


def _load_zip(display: str, data: bytes, max_bytes: int, require_curve: bool = True) -> list[Run]:
    import io

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as err:
        raise LogFormatError(f"not a readable .zip archive ({err})", path=display) from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise LogFormatError(f"archive has {len(infos)} members, more than {MAX_ZIP_MEMBERS}; refused", path=display)
    members = []
    seen: dict[str, str] = {}
    total = 0
    for info in infos:
        rel = _safe_member(info, display)
        if rel is None:
            continue
        if len(rel.parts) > MAX_NESTING:
            raise LogFormatError(
                f"archive member {info.filename[:120]!r} is {len(rel.parts)} folders deep, more than {MAX_NESTING}; refused",
                path=display,
            )
        # Two members that land on the same file would silently overwrite each other (and on a
        # case-insensitive disk, 'Metrics.csv' and 'metrics.csv' do).
        key = rel.as_posix().lower()
        if key in seen:
            raise LogFormatError(
                f"archive holds {seen[key]!r} twice (as {info.filename!r}); one would overwrite the other; refused",
                path=display,
            )
        seen[key] = info.filename
        if info.file_size > 1_000_000 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise LogFormatError(
                f"archive member {info.filename!r} expands {info.file_size / max(info.compress_size, 1):.0f}x "
                f"(limit {MAX_ZIP_RATIO}x); refused as a possible zip bomb",
                path=display,
            )
        total += info.file_size
        if total > max_bytes:
            raise LogFormatError(f"archive expands to more than the size limit ({max_bytes} bytes); refused", path=display)
        members.append((info, rel))
    if not members:
        raise LogFormatError("empty archive; expected a run folder or log files inside", path=display)
    with tempfile.TemporaryDirectory(prefix="trueloss-upload-") as tmp:
        root = Path(tmp) / "upload"
        root.mkdir()
        written = 0
        for info, rel in members:
            target = root.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                while chunk := src.read(1 << 20):
                    written += len(chunk)  # do not trust the header sizes
                    if written > max_bytes:
                        raise LogFormatError("archive expands beyond the size limit; refused", path=display)
                    dst.write(chunk)
        try:
            runs = load_directory(root, max_bytes=max_bytes, require_curve=require_curve)
        except LogFormatError as err:
            raise LogFormatError(str(err).replace(str(root), display)) from None
        except Exception as err:
            raise LogFormatError(f"could not be read ({type(err).__name__}: {str(err)[:200]})", path=display) from None
        prefix = str(root)
        for run in runs:
            if run.source and run.source.startswith(prefix):
                run.source = display + run.source[len(prefix):]
            if run.name == "upload":
                run.name = re.sub(r"\.zip$", "", re.split(r"[\\/]", display)[-1], flags=re.I) or run.name
            run.notes = [n.replace(prefix, display) for n in run.notes]
            run.warnings = [w.replace(prefix, display) for w in run.warnings]
            if "skipped_files" in run.meta:
                run.meta["skipped_files"] = [s.replace(prefix, display) for s in run.meta["skipped_files"]]
        return runs


def load_mlflow_uri(tracking_uri: str, *, run_id: str | None = None, experiment: str | None = None) -> list[Run]:
    """Runs from an MLflow tracking server/URI through the optional ``mlflow`` client."""
    from .readers.mlflow import load_uri

    return load_uri(tracking_uri, run_id=run_id, experiment=experiment)
