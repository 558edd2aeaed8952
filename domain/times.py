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


def local_text(moment: str | None, zone: str) -> str:
    """An archive time as a reader reads it: in ``zone``, which is named, e.g.
    ``2026-11-29 16:05:03 (Asia/Shanghai, UTC+08:00)``. What does not parse is shown as is."""
    import zoneinfo

    if not moment:
        return ""
    try:
        when = dt.datetime.fromisoformat(moment)
    except ValueError:
        return moment
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    there = when.astimezone(zoneinfo.ZoneInfo(zone))
    offset = there.strftime("%z")
    return f"{there:%Y-%m-%d %H:%M:%S} ({zone}, UTC{offset[:3]}:{offset[3:]})"
