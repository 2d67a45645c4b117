"""Console logs written in Chinese: full-width punctuation, '第N轮' epoch markers, records with no line breaks.

* ``训练损失：0.77，验证损失：0.81`` - the full-width colon, comma and semicolon are the ASCII ones (one
  character for one, so positions within a line do not move);
* ``第3轮`` ("round 3") is how a Chinese log numbers its epochs: read as ``epoch 3``;
* ``第1轮：训练损失：0.777, ... 耗时6.7秒第2轮：训练损失：0.710, ...`` - a program that wrote its epoch
  records with no newline leaves one long line; when a file's text is one line holding at least
  ``MIN_GLUED_RECORDS`` epoch markers whose numbers count up (and start again for an appended run), each marker starts a line of its own
  (:func:`split_glued_records`).
"""

from __future__ import annotations

import re

_FULL_WIDTH = str.maketrans({"：": ":", "，": ",", "；": ";"})
_ROUND = re.compile(r"第\s*(\d+)\s*轮")
# An epoch marker that may start a glued record: '第3轮' or 'Epoch 3' / 'epoch [3'.
_MARKER = re.compile(r"第\s*(\d+)\s*轮|(?<![A-Za-z])(?:Epoch|epoch|EPOCH)\s*\[?\s*(\d+)")
MIN_GLUED_RECORDS = 3
MIN_GLUED_LENGTH = 300  # characters on the one line


def normalise_cjk(text: str) -> str:
    """Full-width punctuation as ASCII, '第N轮' as 'epoch N' (see the module doc)."""
    text = text.translate(_FULL_WIDTH)
    return _ROUND.sub(r"epoch \1", text) if "轮" in text else text


def split_glued_records(text: str) -> str | None:
    """``text`` with a line break before each epoch marker when it is one line of glued epoch records (see
    the module doc), else None."""
    body = text.strip()
    if "\n" in body or len(body) < MIN_GLUED_LENGTH:
        return None
    marks = list(_MARKER.finditer(body))
    if len(marks) < MIN_GLUED_RECORDS:
        return None
    numbers = [int(m.group(1) or m.group(2)) for m in marks]
    steps = [b - a for a, b in zip(numbers, numbers[1:])]
    if 0 in steps or sum(d > 0 for d in steps) < 0.8 * len(steps):
        return None  # 'Epoch 3/10 ... epoch 3': the markers must count records (restarting for appended runs)
    cuts = [m.start() for m in marks if m.start() > 0]
    parts = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)])]
    return "\n".join(p.strip() for p in parts) + "\n"
