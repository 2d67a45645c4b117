"""Fuzz the readers: every input either loads or raises LogFormatError with a message.

Inputs: real logs from ../shared/real_logs and a few files of bare numbers (truncated, mutated,
headers rewritten), random bytes behind real magic prefixes, generated CSV tables with huge/odd numbers, deep and wrongly typed
JSON, zip archives with traversal names, symlinks and bombs, and files on disk with fuzzed
context sidecars (``load_path``). Zero other exceptions are allowed.

Size: 10,000 inputs by default (a minute or so on two shared cores); set ``TRUELOSS_FUZZ_EXAMPLES`` to the
total wanted for a long run (e.g. 200000). The counts are written to
``test-artifacts/fuzz_counts.json`` and printed at the end of the module.
"""

from __future__ import annotations

import io
import json
import os
import stat
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_bytes, load_path
from trueloss_dash.run import Run
from trueloss_dash.store import open_store

from conftest import REAL_LOGS, SAMPLE_RUNS

TOTAL = int(os.environ.get("TRUELOSS_FUZZ_EXAMPLES", "10000"))
# Share of the total per strategy (sums to 1).
SHARES = {
    "truncated": 0.17, "mutated": 0.20, "header": 0.08, "random": 0.12, "csv": 0.13,
    "json": 0.12, "zip": 0.10, "path": 0.08,
}
SEED_BYTES = 24_000  # seeds are cut to this size so a mutation costs milliseconds, not 150 ms

COUNTS: Counter = Counter()


def _examples(kind: str) -> int:
    return max(10, round(TOTAL * SHARES[kind]))


def _settings(kind: str):
    return settings(
        max_examples=_examples(kind), deadline=None, derandomize=True, database=None,
        suppress_health_check=list(HealthCheck), print_blob=True,
    )


def _load_seeds() -> dict[str, bytes]:
    seeds: dict[str, bytes] = {}
    roots = [r for r in (REAL_LOGS, SAMPLE_RUNS) if r.is_dir()]
    for root in roots:
        for p in sorted(root.rglob("*")):
            if p.is_file() and p.name not in ("README.md", "MANIFEST.tsv"):
                seeds[str(p.relative_to(root))] = p.read_bytes()[:SEED_BYTES]
    if not seeds:  # no shared logs: a few hand-written ones keep the fuzzer meaningful
        seeds = {
            "history.csv": b"epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n2,0.7,0.85\n",
            "trainer_state.json": json.dumps({"log_history": [{"loss": 1.0, "step": 1, "epoch": 0.1},
                                                              {"eval_loss": 0.9, "step": 1, "epoch": 0.1}]}).encode(),
            "train.log": b"epoch 1, loss: 0.5, val_loss: 0.6\nepoch 2, loss: 0.4, val_loss: 0.55\n",
        }
    # Files of bare numbers (no header: np.savetxt, one comma-separated line, json.dump(list)) - the
    # shared logs hold none, and the bare_numbers reader must be fuzzed too.
    seeds.update({
        "bare/train_loss.csv": b"".join(b"%.18e\n" % (1.0 / (e + 1)) for e in range(40)),
        "bare/val_loss.csv": (",".join(repr(1.1 / (e + 1)) for e in range(20)) + "\n").encode(),
        "bare/history.json": json.dumps([0.9 / (e + 1) + 0.05 for e in range(30)]).encode(),
        "bare/cost.txt": b"# cost per epoch\r\n" + b"".join(b"%g\r\n" % (2.0 - e / 10) for e in range(15)),
    })
    return seeds


SEEDS = _load_seeds()
SEED_NAMES = sorted(SEEDS)


@pytest.fixture(scope="module", autouse=True)
def _report_counts(request):
    yield
    total = sum(v for k, v in COUNTS.items() if k in ("loaded", "refused"))
    record = {"inputs": total, "loaded": COUNTS["loaded"], "refused": COUNTS["refused"], "failures": 0,
              "by_strategy": {k[4:]: v for k, v in sorted(COUNTS.items()) if k.startswith("via:")},
              "requested_total": TOTAL}
    out = Path(__file__).resolve().parents[1] / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "fuzz_counts.json").write_text(json.dumps(record, indent=2))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"fuzz: {total} inputs ({record['loaded']} loaded, {record['refused']} refused "
                            f"with LogFormatError), 0 other exceptions; by strategy {record['by_strategy']}")


_STORE = None


def _store():
    global _STORE
    if _STORE is None:
        _STORE = open_store(tempfile.mkdtemp(prefix="fuzz-store-"))
    return _STORE


def check_outcome(call, kind: str, *, store_it: bool = False) -> None:
    """The invariant: a non-empty list of Runs, or LogFormatError with a message."""
    COUNTS[f"via:{kind}"] += 1
    try:
        runs = call()
    except LogFormatError as err:
        assert str(err).strip(), "LogFormatError without a message"
        COUNTS["refused"] += 1
        return
    assert isinstance(runs, list) and runs, f"reader returned {runs!r} instead of runs or an error"
    for run in runs:
        assert isinstance(run, Run) and isinstance(run.name, str)
        json.dumps(run.to_dict())  # every ring can serialise what a reader produced
    if store_it:  # and the store keeps it as it is
        store = _store()
        for run in runs:
            back = store.load(store.save(run))
            assert list(back.series) == list(run.series)
    COUNTS["loaded"] += 1


def _name(seed_name: str) -> str:
    return seed_name.replace("\\", "/").rsplit("/", 1)[-1]


# --- strategies --------------------------------------------------------------------------------
HUGE = [b"1e999", b"-1e999", b"9" * 400, b"1e-400", b"nan", b"NaN", b"inf", b"-Infinity", b"1.7976931348623157e309",
        b"0x1p1024", b"-0", b"1_000", b"\xef\xbc\x91", b"", b"\"", b"null", b"true", b"[]", b"{}"]


@st.composite
def mutation(draw, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup", "number", "newline", "nul"]))
        pos = draw(st.integers(0, len(buf)))
        if op == "flip" and buf:
            i = min(pos, len(buf) - 1)
            buf[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            buf[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del buf[pos: pos + draw(st.integers(1, 64))]
        elif op == "dup":
            end = min(len(buf), pos + draw(st.integers(1, 256)))
            buf[pos:pos] = buf[pos:end] * draw(st.integers(1, 5))
        elif op == "number":
            # replace the next number-ish run with something extreme
            j = pos
            while j < len(buf) and not (48 <= buf[j] <= 57):
                j += 1
            k = j
            while k < len(buf) and (48 <= buf[k] <= 57 or buf[k] in b".eE-+"):
                k += 1
            buf[j:k] = draw(st.sampled_from(HUGE))
        elif op == "newline":
            buf[pos:pos] = draw(st.sampled_from([b"\n", b"\r\n", b"\r", b"\n\n\n", b"\x0b"]))
        elif op == "nul":
            buf[pos:pos] = b"\x00" * draw(st.integers(1, 8))
    return bytes(buf)


@given(seed=st.sampled_from(SEED_NAMES), frac=st.floats(0, 1), tail=st.booleans())
@_settings("truncated")
def test_truncated_real_logs(seed, frac, tail):
    data = SEEDS[seed]
    cut = int(len(data) * frac)
    piece = data[cut:] if tail else data[:cut]
    check_outcome(lambda: load_bytes(_name(seed), piece), "truncated")


@given(data=st.data(), seed=st.sampled_from(SEED_NAMES))
@_settings("mutated")
def test_mutated_real_logs(data, seed):
    mutated = data.draw(mutation(SEEDS[seed]))
    name = data.draw(st.sampled_from([_name(seed), "upload", "x.csv", "x.json", "x.log", "events.out.tfevents.1"]))
    check_outcome(lambda: load_bytes(name, mutated), "mutated", store_it=True)


COLUMN_WORDS = ["epoch", "step", "loss", "val_loss", "train/loss", "lr", "accuracy", "val_acc", "time", "",
                " ", "loss", "epoch", "Loss ", "val loss", "métrique", "a,b", "\"q\"", "x" * 300, "0", "nan"]


@given(data=st.data(), seed=st.sampled_from([n for n in SEED_NAMES if n.endswith((".csv", ".log", ".tsv"))] or SEED_NAMES))
@_settings("header")
def test_rewritten_headers(data, seed):
    text = SEEDS[seed].decode("utf-8", "replace")
    first, _, rest = text.partition("\n")
    sep = "\t" if "\t" in first else ","
    cols = first.split(sep)
    op = data.draw(st.sampled_from(["shuffle", "rename", "duplicate", "drop", "extra", "empty"]))
    if op == "shuffle":
        cols = data.draw(st.permutations(cols))
    elif op == "rename" and cols:
        i = data.draw(st.integers(0, len(cols) - 1))
        cols[i] = data.draw(st.sampled_from(COLUMN_WORDS) | st.text(max_size=20))
    elif op == "duplicate" and cols:
        cols.append(data.draw(st.sampled_from(cols)))
    elif op == "drop" and len(cols) > 1:
        cols.pop(data.draw(st.integers(0, len(cols) - 1)))
    elif op == "extra":
        cols += data.draw(st.lists(st.sampled_from(COLUMN_WORDS), max_size=5))
    else:
        cols = [""] * len(cols)
    blob = (sep.join(cols) + "\n" + rest).encode("utf-8", "surrogatepass")
    check_outcome(lambda: load_bytes(_name(seed), blob), "header")


MAGIC = [b"", b"epoch,loss,val_loss\n", b"step\tloss\n", b"{", b"[", b"{\"log_history\": [", b"\xef\xbb\xbf",
         b"\xff\xfe", b"\xfe\xff", b"PK\x03\x04", b"1700000000000 0.5 1\n", b"epoch 1 loss: ",
         b"\x00\x00\x00\x00\x00\x00\x00\x00", b"brain.Event", b"%PDF-1.4", b"\x89PNG\r\n\x1a\n", b"\x80\x04\x95",
         b"#!/bin/sh\n", b"# trueloss-dash: {", b"<html><script>alert(1)</script>",
         b"2.908779233694076538e-01\n1.99e-01\n", b"0.71,0.52,", b"[0.7, 0.5, ", b"[0.7 0.5\n"]
for _n in SEED_NAMES:  # real magic: the first bytes of each kind of real file (TensorBoard records ...)
    if "tfevents" in _n:
        MAGIC.append(SEEDS[_n][:16])
        break


@given(prefix=st.sampled_from(MAGIC), body=st.binary(max_size=2048),
       name=st.sampled_from(["a.csv", "a.json", "a.jsonl", "a.txt", "events.out.tfevents.0", "a.zip", "metrics",
                             "upload", "../../etc/passwd", "C:\\x.csv", "", "a\x00b.csv"]))
@_settings("random")
def test_random_bytes_behind_magic_prefixes(prefix, body, name):
    check_outcome(lambda: load_bytes(name, prefix + body), "random")


CELL = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10 ** 30), max_value=10 ** 30).map(str),
    st.sampled_from([h.decode("utf-8", "replace") for h in HUGE]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
)


@given(cols=st.lists(st.sampled_from(COLUMN_WORDS), min_size=1, max_size=8),
       rows=st.lists(st.lists(CELL, min_size=0, max_size=9), max_size=30),
       sep=st.sampled_from([",", ";", "\t", " ", "|"]), name=st.sampled_from(["metrics.csv", "results.csv", "h.tsv", "log.txt"]))
@_settings("csv")
def test_generated_tables(cols, rows, sep, name):
    text = sep.join(cols) + "\n" + "\n".join(sep.join(r) for r in rows)
    check_outcome(lambda: load_bytes(name, text.encode("utf-8", "surrogatepass")), "csv")


JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10))
JSON = st.recursive(JSON_LEAF, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
    st.sampled_from(["loss", "eval_loss", "step", "epoch", "log_history", "learning_rate", "iteration", "x"]) | st.text(max_size=6),
    kids, max_size=5), max_leaves=25)


@given(kind=st.sampled_from(["deep_list", "deep_dict", "trainer_state", "jsonl", "value"]), depth=st.integers(1, 200_000),
       value=JSON)
@_settings("json")
def test_deep_and_wrongly_typed_json(kind, depth, value):
    if kind == "deep_list":
        blob = b"[" * depth + b"]" * depth
        name = "metrics.json"
    elif kind == "deep_dict":
        blob = b'{"loss":' * depth + b"1" + b"}" * depth
        name = "trainer_state.json"
    elif kind == "trainer_state":
        blob = json.dumps({"log_history": value if isinstance(value, list) else [value], "global_step": value}).encode()
        name = "trainer_state.json"
    elif kind == "jsonl":
        lines = value if isinstance(value, list) else [value, {"loss": value, "step": 1}]
        blob = "\n".join(json.dumps(v) for v in lines).encode()
        name = "metrics.jsonl"
    else:
        blob = json.dumps(value).encode()
        name = "history.json"
    check_outcome(lambda: load_bytes(name, blob), "json")


MEMBER_NAMES = ["run/metrics.csv", "metrics.csv", "../evil.csv", "../../etc/cron.d/x", "/abs/metrics.csv",
                "C:\\win\\metrics.csv", "a/../../b.csv", "ok/./metrics.csv", "__MACOSX/._metrics.csv",
                "dir/", "ünï/metrics.csv", "a" * 200 + ".csv", "mlruns/0/abc/metrics/loss",
                "version_0/hparams.yaml", "inner.zip", "events.out.tfevents.1"]


@st.composite
def zip_archive(draw) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for _ in range(draw(st.integers(0, 5))):
            name = draw(st.sampled_from(MEMBER_NAMES))
            body = draw(st.sampled_from(SEED_NAMES).map(SEEDS.get) | st.binary(max_size=512))
            info = zipfile.ZipInfo(name)
            info.compress_type = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
            if draw(st.booleans()) and draw(st.booleans()):
                info.external_attr = (stat.S_IFLNK | 0o777) << 16  # a symbolic link member
            zf.writestr(info, body)
    raw = buf.getvalue()
    if draw(st.booleans()) and len(raw) > 30:  # damage the archive itself
        i = draw(st.integers(0, len(raw) - 1))
        raw = raw[:i] + draw(st.binary(max_size=8)) + raw[i + 1:]
    return raw


@pytest.mark.filterwarnings("ignore:Duplicate name")
@given(blob=zip_archive(), name=st.sampled_from(["run.zip", "upload", "../x.zip"]))
@_settings("zip")
def test_zip_archives(blob, name):
    check_outcome(lambda: load_bytes(name, blob), "zip")


@given(data=st.data(), seed=st.sampled_from(SEED_NAMES), sidecar=JSON | st.binary(max_size=64),
       as_dir=st.booleans())
@_settings("path")
def test_files_on_disk_with_fuzzed_sidecars(data, seed, sidecar, as_dir):
    body = data.draw(mutation(SEEDS[seed])) if data.draw(st.booleans()) else SEEDS[seed]
    with tempfile.TemporaryDirectory(prefix="fuzz-path-") as tmp:
        path = Path(tmp) / _name(seed)
        path.write_bytes(body)
        side = path.with_name(path.name + ".context.json")
        side.write_bytes(sidecar if isinstance(sidecar, bytes) else json.dumps(sidecar).encode())
        target = Path(tmp) if as_dir else path
        check_outcome(lambda: load_path(target), "path")


# --- fixed hostile archives (not random: each is one known attack) ---------------------------------
def _zip(members: list[tuple[str, bytes]], compress=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compress) as zf:
        for name, body in members:
            zf.writestr(name, body)
    return buf.getvalue()


GOOD_CSV = b"epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n2,0.7,0.85\n"


@pytest.mark.parametrize("member", ["../metrics.csv", "../../tmp/owned.csv", "/etc/metrics.csv",
                                    "C:/metrics.csv", "run/../../metrics.csv", "..\\..\\metrics.csv"])
def test_zip_traversal_is_refused(member, tmp_path):
    with pytest.raises(LogFormatError, match="unsafe path"):
        load_bytes("run.zip", _zip([("run/metrics.csv", GOOD_CSV), (member, GOOD_CSV)]))
    assert not (tmp_path.parent / "metrics.csv").exists()


def test_zip_bomb_is_refused():
    bomb = _zip([("metrics.csv", b"0" * (60 * 1024 * 1024))])  # 60 MB of zeros -> ~60 KB compressed
    assert len(bomb) < 200_000
    with pytest.raises(LogFormatError, match="zip bomb"):
        load_bytes("bomb.zip", bomb)


def test_zip_lying_about_its_sizes_is_cut_off():
    # Headers claim 100 bytes; the stream inflates to 5 MB: the streaming counter stops it.
    body = b"epoch,loss\n" + b"1,0.5\n" * 900_000
    blob = bytearray(_zip([("metrics.csv", body)]))
    cd = blob.rfind(b"PK\x01\x02")
    blob[cd + 24: cd + 28] = (100).to_bytes(4, "little")  # central directory: uncompressed size
    blob[22:26] = (100).to_bytes(4, "little")  # local header: uncompressed size
    with pytest.raises(LogFormatError):
        load_bytes("liar.zip", bytes(blob), max_bytes=1_000_000)


def test_zip_symlink_member_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("metrics.csv")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(LogFormatError, match="symbolic link"):
        load_bytes("link.zip", buf.getvalue())


def test_upload_size_cap():
    with pytest.raises(LogFormatError) as err:
        load_bytes("big.csv", GOOD_CSV * 1000, max_bytes=10_000)
    assert "big.csv" in str(err.value)


def test_upload_names_are_never_opened(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_bytes(GOOD_CSV)
    for name in (str(secret), f"../../{secret}", f"file://{secret}"):
        with pytest.raises(LogFormatError) as err:
            load_bytes(name, b"\x00\x01 not a log")
        assert "0.85" not in str(err.value)
    # the name is a label: a good upload under a path-like name loads its own bytes, not the file
    runs = load_bytes(str(tmp_path / "missing" / "metrics.csv"), b"epoch,loss\n0,5.0\n1,4.0\n", require_curve=False)
    assert runs[0].series["train_loss"].y.tolist() == [5.0, 4.0]
    assert not (tmp_path / "missing").exists()


def test_content_sniffing_ignores_the_extension():
    runs = load_bytes("innocent.png", GOOD_CSV)  # a CSV with a wrong extension is still a CSV
    assert runs[0].series["val_loss"].y.tolist() == [1.1, 0.9, 0.85]
    with pytest.raises(LogFormatError, match="binary|format"):
        load_bytes("metrics.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
