"""`status`: what the service is doing and whether it is healthy (the Docker health check).

Unhealthy when no poll has run yet, when the last poll failed, or when the last
successful poll is older than two intervals (overdue).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jobs.config import Config
from storage.outbox import Outbox
from storage.reports import Store


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def status(config: Config, store: Store, now: dt.datetime) -> dict[str, Any]:
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
        "reports": {"active": counts.get("active", 0), "removed": counts.get("removed", 0), "versions": versions},
        "deliveries": Outbox(store.db).counts(),
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
    return [
        f"last poll:    {poll_line}",
        f"last success: {s['last_success'] or 'never'}",
        f"next poll:    {s['next_poll'] or 'when the service starts'}",
        f"reports:      {r['active']} active, {r['removed']} removed ({r['versions']} versions)",
        f"deliveries:   {d['pending']} pending, {d['failed']} failed, {d['delivered']} delivered",
        f"trouble:      {trouble}",
        f"database:     {db['path']} ({db['bytes'] / 1e6:.1f} MB)",
        f"health:       {health}",
    ]
