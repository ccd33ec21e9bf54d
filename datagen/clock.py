"""Event times: integer epoch milliseconds inside, ISO-8601 with an offset on the wire."""

from __future__ import annotations

import datetime as dt

_EPOCH = dt.datetime(1970, 1, 1)


def iso(ms: int, offset_minutes: int = 0) -> str:
    """`2026-11-01T10:15:30.123Z`, or with `-05:00` etc. when an offset is given."""
    local = _EPOCH + dt.timedelta(milliseconds=ms + offset_minutes * 60_000)
    text = local.isoformat(timespec="milliseconds")
    if offset_minutes == 0:
        return text + "Z"
    sign = "+" if offset_minutes > 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def parse(text: str) -> dt.datetime:
    """An ISO-8601 timestamp with an offset (a trailing Z is accepted)."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
