"""`status`: what the service is doing and whether it is healthy (the Docker health check).

Unhealthy when no poll has run yet, when the last poll failed, or when the last
successful poll is older than two intervals (overdue).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from jobs.config import Config
from storage.lock import Holder
from storage.outbox import Outbox
from storage.reports import Store


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def _progress(store: Store, writer: Holder | None) -> dict[str, Any] | None:
    """How far the poll in flight is, or None when no poll runs (a crashed one's last figures
    are not a poll running: the writer lock tells)."""
    if writer is None:
        return None
    running = store.db.execute("SELECT id FROM polls WHERE status = 'running' ORDER BY id DESC LIMIT 1").fetchone()
    saved = store.state("progress")
    if running is None or saved is None:
        return None
    data = json.loads(saved)
    if data.get("poll_id") != running[0]:
        return None
    return {"done": data["done"], "total": data["total"], "eta_seconds": data["eta_seconds"], "phase": data["phase"]}


def status(config: Config, store: Store, now: dt.datetime, writer: Holder | None = None) -> dict[str, Any]:
    """``writer``: the process holding the archive's writer lock (storage.lock.holder), if any."""
    interval = config.schedule.interval
    last = store.last_poll()
    last_ok = store.last_poll("ok")
    counts = dict(store.db.execute("SELECT status, count(*) FROM reports GROUP BY status").fetchall())
    versions = store.db.execute("SELECT count(*) FROM report_versions").fetchone()[0]
    next_poll = store.state("next_poll_at")
    if next_poll is None and last is not None:
        next_poll = (dt.datetime.fromisoformat(last["started_at"]) + dt.timedelta(seconds=interval)).isoformat()
    problems = []
    if last is None:
        problems.append("no poll has run yet")
    else:
        since = dt.datetime.fromisoformat(last_ok["finished_at"]) if last_ok else None
        if since is None or (now - since).total_seconds() > 2 * interval:
            when = last_ok["finished_at"] if last_ok else "never"
            problems.append(f"overdue: no successful poll for more than two intervals (last success: {when})")
        if last["status"] == "failed":
            problems.append(f"the last poll failed: {last['error']}")
    db_path = Path(config.storage.db)
    return {
        "last_poll": last,
        "last_success": last_ok["finished_at"] if last_ok else None,
        "next_poll": next_poll,
        "reports": {
            "active": counts.get("active", 0),
            "removed": counts.get("removed", 0),
            "versions": versions,
            "waiting": store.count_walk_items(),  # listed, not stored yet
        },
        "deliveries": Outbox(store.db).counts(),
        "writer": {"pid": writer.pid, "command": writer.command} if writer else None,
        "progress": _progress(store, writer),
        "trouble": store.state("trouble"),
        "trouble_since": store.state("trouble_since"),
        "database": {"path": str(db_path.resolve()), "bytes": _size(db_path)},
        "problems": problems,
        "healthy": not problems,
    }


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
        f"next poll:    {s['next_poll'] or 'when the service starts'}",
        f"reports:      {r['active']} active, {r['removed']} removed ({r['versions']} versions)"
        + (f", {r['waiting']} listed and not stored yet" if r["waiting"] else ""),
        f"deliveries:   {d['pending']} pending, {d['failed']} failed, {d['delivered']} delivered",
        f"trouble:      {trouble}",
        f"database:     {db['path']} ({db['bytes'] / 1e6:.1f} MB)",
        f"writer:       {writer}",
        f"health:       {health}",
    ]
