"""Big numpy arrays taken from Arrow's memory pool instead of malloc.

Why: numpy takes an array of a megabyte or more from malloc, which gives it back to the system
when it is freed; the next one is then faulted in again page by page. In the VM the dashboard is
run and measured in, a page fault costs about 2 us: allocating and filling two 1.5 MB arrays took
1.6 ms through malloc and 0.07 ms from Arrow's pool (mimalloc keeps freed pages for reuse). Reading
a million-line log makes dozens of such arrays (a chunk's merged steps, each key's column), so the
text reader takes them from here. They are ordinary writable numpy arrays whose memory belongs to
an Arrow buffer (freed with the last array that uses it).
"""

from __future__ import annotations

import numpy as np

MIN_BYTES = 64 * 1024  # smaller arrays come from numpy's own small-block cache


def empty(n: int, dtype=np.float64) -> np.ndarray:
    """An uninitialised array of ``n`` items (``np.empty``)."""
    dtype = np.dtype(dtype)
    size = int(n) * dtype.itemsize
    if size < MIN_BYTES:
        return np.empty(n, dtype=dtype)
    import pyarrow as pa

    return np.frombuffer(pa.allocate_buffer(size), dtype=dtype, count=n)


def full(n: int, value, dtype=np.float64) -> np.ndarray:
    """``np.full``."""
    out = empty(n, dtype)
    out.fill(value)
    return out


def concatenate(parts: list, dtype=np.float64) -> np.ndarray:
    """``np.concatenate`` of 1-d arrays into one array of ``dtype``."""
    out = empty(sum(len(p) for p in parts), dtype)
    if len(parts):
        np.concatenate(parts, out=out, casting="unsafe")
    return out
