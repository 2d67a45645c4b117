"""One input file as the readers see it: a display name, the raw bytes, and decoded text on demand.

Readers never open user paths themselves (uploads have no path); they get a :class:`Source`.
Decoding is done once, here: the encoding is taken from a byte-order mark when there is one
(UTF-8, UTF-16 LE/BE - Windows tools write UTF-16 CSVs), otherwise UTF-8 is tried first, then GBK
(Chinese Windows tools and Python on a Chinese Windows write it: '训练损失' as b'\xd1\xb5\xc1\xb7...') when the
bytes plainly are GBK text (:func:`decode_gbk`), and latin-1 is the last fallback (it cannot fail); both are
reported as a note because a mis-decoded header would silently break alias matching.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LogFormatError
from .limits import MAX_BYTES
from .safe_read import check_size, read_capped, regular_size

BOM = b"\xef\xbb\xbf"
UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
SNIFF_BYTES = 64 * 1024
MAP_MIN_BYTES = 1 << 20  # smaller files are read into memory (a map costs more than it saves)


def _utf16_bom(data: bytes) -> str | None:
    """The UTF-16 codec a byte-order mark names (a UTF-32 LE BOM also starts with FF FE: excluded)."""
    if data[:4] == b"\xff\xfe\x00\x00":
        return None
    return UTF16_BOMS.get(data[:2])


class NotPlain(Exception):
    """Bytes that are not plain ASCII without carriage returns, met by a reader that read them as
    such before they were checked (the text reader then reads the file the careful way)."""


def plain_range(data, a: int, b: int) -> bool:
    """``data[a:b]`` (a buffer: bytes, a memory map) holds no byte >= 128, no carriage return and no
    backspace (a progress bar redrawn with backspaces is read the careful way, as one redrawn with CRs)."""
    import numpy as np

    return b <= a or bool(np.frombuffer(data, dtype=np.uint8, count=b - a, offset=a).max() < 128) and (
        data.find(b"\r", a, b) < 0) and data.find(b"\x08", a, b) < 0


def plain_ascii(mapped, segment: int = 4 << 20) -> bool:
    """No byte >= 128 and no carriage return in a memory map. ``max`` is a vectorised pass without
    a temporary and ``find`` is memchr: about 6 ms for 100 MB, where ``(raw == 13).any()`` built a
    100 MB mask first (20 ms). Segment by segment, so that ``find`` (which holds the GIL) lets other
    threads run between segments (the text reader runs this beside its parse)."""
    import numpy as np

    raw = np.frombuffer(mapped, dtype=np.uint8)
    for a in range(0, len(raw), segment):
        if raw[a:a + segment].max() >= 128 or mapped.find(b"\r", a, a + segment) >= 0 or mapped.find(b"\x08", a, a + segment) >= 0:
            return False
    return True


# GBK text: the bytes decode as GBK, and nearly every two-byte character is a GB2312 one (both bytes >= 0xA1:
# the common Chinese characters and full-width punctuation). Latin-1 text decodes as GBK too at times ('Época':
# 0xC9 0x70), but its accented letters are followed by ASCII bytes, which a GB2312 character never holds.
GBK_MIN_CHARS = 1
GBK_MIN_GB2312_SHARE = 0.9


def decode_gbk(data: bytes, *, cut_end: bool = False) -> str | None:
    """``data`` decoded as GBK when it plainly is GBK text (see ``GBK_MIN_*``), else None. ``cut_end``: the
    bytes may end inside a character (a sniffed head), which is dropped."""
    try:
        text = data.decode("gbk")
    except UnicodeDecodeError as err:
        if not (cut_end and err.start >= len(data) - 1):
            return None
        try:
            text = data[: err.start].decode("gbk")
        except UnicodeDecodeError:
            return None
    wide = [c for c in text if ord(c) > 127]
    if len(wide) < GBK_MIN_CHARS:
        return None
    gb2312 = 0
    for c in wide:
        encoded = c.encode("gbk")
        gb2312 += len(encoded) == 2 and encoded[0] >= 0xA1 and encoded[1] >= 0xA1
    return text if gb2312 >= GBK_MIN_GB2312_SHARE * len(wide) else None


def decode_mixed_gbk(data: bytes) -> str | None:
    """A file whose lines are UTF-8 or GBK (a log appended to by programs run under different locales): each
    line decoded as UTF-8 when it is, else as GBK - when every such line plainly is GBK text; else None."""
    lines = data.split(b"\n")
    out, gbk_lines = [], 0
    for line in lines:
        try:
            out.append(line.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        text = decode_gbk(line)
        if text is None:
            return None
        out.append(text)
        gbk_lines += 1
    return "\n".join(out) if gbk_lines else None


def _transcode_utf16(data: bytes, codec: str) -> bytes:
    return data[2:].decode(codec, errors="replace").encode("utf-8")


@dataclass
class Source:
    """A file to read. ``path`` is set only for files on disk (never for uploads)."""

    name: str
    _data: bytes | None = field(default=None, repr=False)
    path: Path | None = None
    notes: list[str] = field(default_factory=list)
    max_bytes: int = MAX_BYTES

    def __post_init__(self) -> None:
        if self._data is not None:
            self._transcode()
    _text: str | None = field(default=None, repr=False)
    _utf8: bytes | None = field(default=None, repr=False)
    _ascii: bool = field(default=False, repr=False)
    _head: bytes | None = field(default=None, repr=False)
    sniffed: dict = field(default_factory=dict, repr=False)
    """Work a sniffer did on the head that its reader may carry on from (the text reader's parser)."""

    @property
    def data(self) -> bytes:
        """The whole file. Files on disk are read on first use: a big CSV is handed to pyarrow
        straight from a memory map and never copied into Python."""
        if self._data is None:
            self._data = read_capped(self.path, self.max_bytes, self.display) if self.path is not None else b""
            self._transcode()
        return self._data

    def _transcode(self) -> None:
        codec = _utf16_bom(self._data)
        if codec:  # every reader works on UTF-8; transcode once, here
            self._data = _transcode_utf16(self._data, codec)
            self._head = None
            self.notes.append(f"file is {codec.upper()} (byte-order mark); transcoded to UTF-8")
        if b"\r" in self._data and b"\n" not in self._data:  # classic Mac OS line ends: CR only
            self._data = self._data.replace(b"\r", b"\n")
            self._head = None
            self.notes.append("lines end in a bare carriage return (CR, classic Mac OS); read as newlines")

    @property
    def loaded(self) -> bool:
        return self._data is not None

    @property
    def display(self) -> str:
        return str(self.path) if self.path is not None else self.name

    @property
    def stem(self) -> str:
        """Run name derived from the file name (``history.csv`` -> ``history``)."""
        base = Path(self.name.replace("\\", "/")).name
        for suffix in (".csv", ".tsv", ".txt", ".log", ".json", ".jsonl", ".yaml", ".yml"):
            if base.lower().endswith(suffix):
                return base[: -len(suffix)] or base
        return base

    def error(self, message: str, *, row: int | None = None, column: str | None = None) -> LogFormatError:
        return LogFormatError(message, path=self.display, row=row, column=column)

    @property
    def head(self) -> bytes:
        if self._head is None:
            if self._data is None and self.path is not None:
                regular_size(self.path, self.display)  # never open a FIFO or a device
                try:
                    with open(self.path, "rb") as fh:
                        head = fh.read(SNIFF_BYTES)
                except OSError as err:
                    raise self.error(f"cannot read the file ({err.strerror or err})") from None
                # A UTF-16 or CR-only file is sniffed as the UTF-8 / LF text it will be read as.
                cr_only = b"\r" in head and b"\n" not in head
                self._head = self.data[:SNIFF_BYTES] if _utf16_bom(head) or cr_only else head
            else:
                self._head = self.data[:SNIFF_BYTES]
        return self._head

    @property
    def complete_in_head(self) -> bool:
        return self._data is not None or len(self.head) < SNIFF_BYTES

    def is_binary(self) -> bool:
        """NUL bytes or many control characters in the first block: not a text log."""
        head = self.head[:8192]
        if not head:
            return False
        if b"\x00" in head:
            return True
        # ESC (27) starts the ANSI colour codes of coloured terminal logs (detectron2's config dump);
        # backspace (8) is how Keras redraws its progress bar when stdout is captured to a file
        control = sum(1 for b in head if b < 32 and b not in (8, 9, 10, 12, 13, 27))
        return control > len(head) * 0.05

    def utf8(self) -> bytes:
        """The content as UTF-8 bytes without BOM (latin-1 input is transcoded)."""
        if self._utf8 is None:
            data = self.data[len(BOM):] if self.data.startswith(BOM) else self.data
            if self.data.startswith(BOM):
                self.notes.append("UTF-8 byte-order mark removed")
            self._ascii = data.isascii()
            if not self._ascii:
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError:
                    gbk = decode_gbk(data)
                    mixed = None if gbk is not None else decode_mixed_gbk(data)
                    if gbk is not None:
                        data = gbk.encode("utf-8")
                        self.notes.append("file is not valid UTF-8; decoded as GBK (Chinese)")
                    elif mixed is not None:
                        data = mixed.encode("utf-8")
                        self.notes.append("file mixes UTF-8 lines and GBK (Chinese) lines; each line decoded as its own")
                    else:
                        data = data.decode("latin-1").encode("utf-8")
                        self.notes.append("file is not valid UTF-8; decoded as latin-1")
            self._utf8 = data
        return self._utf8

    def mapped_ascii(self, *, scan: bool = True):
        """The file as a read-only memory map when it is a big plain-ASCII file on disk (no
        carriage returns) not read yet, else None. A 100 MB console log is then parsed in place:
        copying it into Python costs as much as parsing its numbers. (Like the mapped CSV path,
        this trusts the file not to be truncated while it is read.) ``scan=False``: a big file on
        disk as a map whose bytes are not looked at yet - the caller checks them with
        :func:`plain_ascii` before it trusts anything read from it (the text reader does so on a
        thread of its own while it parses)."""
        if self.path is None or self._data is not None:
            return None
        import mmap

        try:
            with open(self.path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if size < MAP_MIN_BYTES or size > self.max_bytes:
                    return None
                mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            return None
        if len(mapped) > self.max_bytes or mapped[:3] == BOM or _utf16_bom(mapped[:4]):
            return None
        if scan and not plain_ascii(mapped):
            return None  # not ASCII, or CR line ends: the careful path decodes (and maybe transcodes) it
        return mapped

    def head_lines(self, count: int) -> list[str] | None:
        """The first ``count`` items of ``self.text().split("\n")`` (fewer when the file has fewer
        lines), read from the 64 KB head without reading the whole file - when the head settles them:
        a file on disk not read yet whose head is plain ASCII and holds those lines whole (or is the
        whole file). ASCII bytes read the same under every decoding :meth:`utf8` may choose (UTF-8,
        GBK, latin-1; a BOM or UTF-16 is not ASCII) and a file with a newline is not transcoded as
        CR-only, so these are the lines of the decoded text. None when only the whole file can tell:
        the caller then reads it. (A big table on disk that is never read into memory stays on the
        zero-copy path of ``delimited.read_table``.)"""
        if self.path is None or self._data is not None:
            return None
        head = self.head  # (a UTF-16 or CR-only file is read whole here: loaded, then None below)
        if self._data is not None or not head.isascii():
            return None
        if len(head) < SNIFF_BYTES:  # the whole file
            return head.decode("ascii").split("\n")[:count]
        if head.count(b"\n") < count:
            return None
        return head.decode("ascii").split("\n", count)[:count]

    def utf8_is_ascii(self) -> bool:
        """The UTF-8 content is plain ASCII (known from :meth:`utf8`: a 100 MB log is scanned once)."""
        self.utf8()
        return self._ascii

    def text(self) -> str:
        if self._text is None:
            self._text = self.utf8().decode("utf-8")
        return self._text

    def head_text(self, limit: int = SNIFF_BYTES) -> str:
        """Decoded beginning of the file (for sniffing; a cut multi-byte char is dropped)."""
        data = self.head[:limit] if limit <= SNIFF_BYTES else self.data[:limit]
        if data.startswith(BOM):
            data = data[len(BOM):]
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            if err.start >= len(data) - 4:
                return data[: err.start].decode("utf-8", errors="replace")
            gbk = decode_gbk(data, cut_end=not self.complete_in_head or limit < len(self.head))
            if gbk is None:
                cut = data.rfind(b"\n") if not self.complete_in_head or limit < len(self.head) else len(data)
                gbk = decode_mixed_gbk(data[: cut if cut > 0 else len(data)])
            return gbk if gbk is not None else data.decode("latin-1")

    def sibling(self, name: str) -> Path | None:
        """A file beside this one on disk (hparams.yaml, sidecars); None for uploads."""
        if self.path is None:
            return None
        p = self.path.with_name(name)
        return p if p.is_file() else None


def read_file(path: Path, max_bytes: int) -> Source:
    """A Source for a file on disk: only regular files, refused over the size limit before reading
    (and again while reading, for files whose size was not what ``stat`` said)."""
    check_size(str(path), regular_size(path), max_bytes)
    return Source(name=path.name, path=path, max_bytes=max_bytes)


__all__ = ["BOM", "SNIFF_BYTES", "Source", "check_size", "read_file"]
