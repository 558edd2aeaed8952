"""`status`: what the service is doing and whether it is healthy (the Docker health check).

Read-only. Unhealthy when the archive fails its integrity check, when no poll has run yet,
when the last poll failed, or when a poll was due and did not run (overdue): with a service
running, its next poll is more than a minute (or one interval, if shorter) late; with none,
no poll started for two intervals. "next poll" is shown only while a service holds the archive.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from jobs.config import Config
from storage.archive import Archive
from storage.db import quick_check
from storage.errors import ArchiveError
from storage.lock import Holder


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def _progress(archive: Archive, writer: Holder | None) -> dict[str, Any] | None:
    """How far the poll in flight is, or None when no poll runs (a crashed one's last figures
    are not a poll running: the writer lock tells)."""
    if writer is None:
        return None
    running = archive.polls.running()
    saved = archive.state.get("progress")
    if running is None or saved is None:
        return None
    data = json.loads(saved)
    if data.get("poll_id") != running:
        return None
    return {"done": data["done"], "total": data["total"], "eta_seconds": data["eta_seconds"], "phase": data["phase"]}


LATE = dt.timedelta(seconds=60)  # a service's poll this late was missed, not merely slow to start (or an interval)
CHECK_MAX_AGE = dt.timedelta(hours=24)  # a writer checks the archive at start and daily; older: check here


def status(config: Config, archive: Archive, now: dt.datetime, writer: Holder | None = None) -> dict[str, Any]:
    """``writer``: the process holding the archive's writer lock (storage.lock.holder), if any."""
    interval = dt.timedelta(seconds=config.schedule.interval)
    last = archive.polls.last()
    last_ok = archive.polls.last("ok")
    running = archive.polls.running() is not None and writer is not None
    service = writer is not None and writer.command in ("run", "demo")
    next_poll = archive.state.get("next_poll_at") if service else None
    problems = []
    damaged = _integrity(archive, config, now, writer)
    if damaged:
        problems.append(damaged)
    if last is None and not running:
        problems.append("no poll has run yet")
    if last is not None and last["status"] == "failed":
        problems.append(f"the last poll failed: {last['error']}")
    if not running:
        late = min(LATE, max(dt.timedelta(seconds=2), interval))
        if service and next_poll and now > dt.datetime.fromisoformat(next_poll) + late:
            problems.append(f"overdue: the poll due at {next_poll} did not run")
        elif not service and last is not None and now > dt.datetime.fromisoformat(last["started_at"]) + 2 * interval:
            problems.append(f"overdue: no poll since {last['started_at']} and no service running (ayrdw-watch run)")
    db_path = Path(config.storage.db)
    trouble, since = archive.state.get("trouble"), archive.state.get("trouble_since")
    if last is not None and last["status"] == "failed":
        trouble, since = f"{trouble or 'the last poll failed'}: {last['error']}", since or last["started_at"]
    return {
        "last_poll": last,
        "last_success": last_ok["finished_at"] if last_ok else None,
        "next_poll": next_poll,
        "reports": archive.queries.report_counts(),  # active, removed, versions, waiting (listed, not stored)
        "deliveries": archive.outbox.counts(),
        "writer": {"pid": writer.pid, "command": writer.command} if writer else None,
        "progress": _progress(archive, writer),
        "trouble": trouble,
        "trouble_since": since,
        "database": {"path": str(db_path.resolve()), "bytes": _size(db_path)},
        "problems": problems,
        "healthy": not problems,
    }


def _integrity(archive: Archive, config: Config, now: dt.datetime, writer: Holder | None) -> str | None:
    """A damaged archive is unhealthy. A running service checks it daily (and a poll that meets
    damage fails, which status shows); with no service, status checks it itself, read-only."""
    checked = archive.state.get("integrity_checked_at")
    if writer is not None and checked and now - dt.datetime.fromisoformat(checked) < CHECK_MAX_AGE:
        return None
    try:
        quick_check(archive.db, config.storage.db)
    except ArchiveError as exc:
        return str(exc)
    return None


def format_status(s: dict[str, Any]) -> list[str]:
    last = s["last_poll"]
    if last:
        counts = " ".join(f"{k}={last[k]}" for k in ("pages", "found", "new", "changed", "removed", "failed"))
        seconds = last["seconds"] or 0
        error = f" error: {last['error']}" if last["error"] else ""
        poll_line = f"{last['started_at']} {last['status']} ({counts}, {seconds:.1f}s){error}"
    else:
        poll_line = "none yet"
    r, d, db = s["reports"], s["deliveries"], s["database"]
    trouble = f"{s['trouble']} (since {s['trouble_since']})" if s["trouble"] else "none"
    health = "ok" if s["healthy"] else "; ".join(s["problems"])
    writer = f"pid {s['writer']['pid']} ({s['writer']['command']})" if s["writer"] else "none (no service running)"
    lines = []
    if s["progress"]:
        p = s["progress"]
        eta = f", about {round(p['eta_seconds'] / 60)} min left" if p["eta_seconds"] is not None else ""
        what = "list pages" if p["phase"] == "list" else "reports"
        lines.append(f"poll running: {p['done']}/{p['total'] or '?'} {what}{eta}")
    return [
        *lines,
        f"last poll:    {poll_line}",
        f"last success: {s['last_success'] or 'never'}",
        f"next poll:    {s['next_poll'] or ('when this poll ends' if s['writer'] else 'no service running')}",
        f"reports:      {r['active']} active, {r['removed']} removed ({r['versions']} versions)"
        + (f", {r['waiting']} listed and not stored yet" if r["waiting"] else ""),
        f"deliveries:   {d['pending']} pending, {d['failed']} failed, {d['delivered']} delivered",
        f"trouble:      {trouble}",
        f"database:     {db['path']} ({db['bytes'] / 1e6:.1f} MB)",
        f"writer:       {writer}",
        f"health:       {health}",
    ]
