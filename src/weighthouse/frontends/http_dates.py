"""HTTP dates (RFC 9110's IMF-fixdate, ``Sun, 06 Nov 1994 08:49:37 GMT``), written for every
``Last-Modified`` of every download.

``email.utils.format_datetime`` builds the same text through ``time.struct_time`` and a
general time-zone path; on small downloads it was about 4 % of a one-process server's CPU
(py-spy, 4 KiB GETs).
"""

from __future__ import annotations

from datetime import UTC, datetime

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(at: datetime) -> str:
    """``at`` in GMT as an HTTP date, to the second; a naive time is taken as UTC."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return (
        f"{_DAYS[at.weekday()]}, {at.day:02d} {_MONTHS[at.month - 1]} {at.year:04d} "
        f"{at.hour:02d}:{at.minute:02d}:{at.second:02d} GMT"
    )
