"""How the archive writes times: ISO 8601 in UTC with the offset, to the second for what
people read, to the microsecond where times are compared within seconds."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def precise(moment: dt.datetime) -> str:
    """For times compared with one another within seconds (a walk's start, a listing)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")
