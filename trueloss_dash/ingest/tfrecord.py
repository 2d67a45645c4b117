"""TFRecord framing, read defensively (TensorBoard event files are a sequence of these).

A record is ``<u64 length><u32 masked crc32c(length)><payload><u32 masked crc32c(payload)>``.
TensorBoard's own loader stops at the first bad record and says nothing, so a file damaged in the
middle silently loses everything after it. Here every problem is reported with its byte offset
and reading goes on wherever the framing allows:

- a payload that fails its checksum is skipped (its length was trustworthy, so the next record
  starts right after it);
- a length that fails its checksum means the framing is lost: the next offset whose 12-byte
  header checks out is searched for (within :data:`RESYNC_WINDOW` bytes);
- a record cut short at the end is reported as truncation - unless the caller says the file may
  still be growing (``final=False``), in which case reading stops before it and resumes there.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

_HEADER = struct.Struct("<QI")
_CRC = struct.Struct("<I")
_MASK_DELTA = 0xA282EAD8
MAX_RECORD_BYTES = 64 * 1024 * 1024  # an event is a few hundred bytes; a bigger length is damage
RESYNC_WINDOW = 1024 * 1024


def _crc32c_function():
    try:
        import google_crc32c

        if google_crc32c.implementation == "c":
            return google_crc32c.value
    except ImportError:
        pass
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import crc32c  # pure Python, slow

    return crc32c


_crc32c = _crc32c_function()


def masked_crc(data) -> int:
    crc = _crc32c(bytes(data))
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


@dataclass
class Records:
    """What one pass over the bytes found: payloads with their offsets, where reading stopped,
    and one sentence per problem."""

    payloads: list[tuple[int, bytes]] = field(default_factory=list)
    end: int = 0
    problems: list[str] = field(default_factory=list)


def _header_ok(data, pos: int) -> bool:
    if len(data) - pos < 12:
        return False
    length, crc = _HEADER.unpack_from(data, pos)
    return length <= MAX_RECORD_BYTES and masked_crc(data[pos:pos + 8]) == crc


def _resync(data, start: int) -> int | None:
    stop = min(len(data) - 12, start + RESYNC_WINDOW)
    for pos in range(start, stop + 1):
        if _header_ok(data, pos):
            return pos
    return None


def read_records(data: bytes, start: int = 0, *, final: bool = True, base: int = 0) -> Records:
    """Every intact record from ``start``. ``final=False``: a cut-off last record is not damage,
    just not written yet; ``Records.end`` is where to resume. ``base`` is the file offset of
    ``data[0]`` (a tail read from the middle of a file), used only in the problem sentences."""
    out = Records(end=start)
    problems: list[str] = []
    view = memoryview(data)
    n = len(data)
    pos = start
    while pos < n:
        if n - pos < 12:
            if final:
                problems.append(f"file ends inside a record header at byte {pos} (truncated)")
            break
        length, len_crc = _HEADER.unpack_from(view, pos)
        if length > MAX_RECORD_BYTES or masked_crc(view[pos:pos + 8]) != len_crc:
            nxt = _resync(view, pos + 1)
            if nxt is None:
                problems.append(f"damaged record header at byte {pos}; nothing after it could be read")
                pos = n
                break
            problems.append(f"damaged record header at byte {pos}; resumed at byte {nxt}")
            pos = nxt
            continue
        end = pos + 12 + length + 4
        if end > n:
            if final:
                problems.append(
                    f"record at byte {pos} is cut off ({n - pos - 12} of {length + 4} bytes; the file is truncated)"
                )
            break
        payload = view[pos + 12:pos + 12 + length]
        (crc,) = _CRC.unpack_from(view, pos + 12 + length)
        if masked_crc(payload) != crc:
            problems.append(f"record at byte {pos} fails its checksum; skipped")
        else:
            out.payloads.append((pos, bytes(payload)))
        pos = end
    out.end = pos
    if base:
        import re

        problems = [re.sub(r"byte (\d+)", lambda m: f"byte {int(m.group(1)) + base}", p) for p in problems]
    out.problems = problems
    return out


def frame(payload: bytes) -> bytes:
    """One record in TFRecord framing (for writers and tests)."""
    header = struct.pack("<Q", len(payload))
    return header + _CRC.pack(masked_crc(header)) + payload + _CRC.pack(masked_crc(payload))
