"""`status` and `watches`: what the service is doing and whether it is healthy (the Docker
health check), for the archive and for each watch.

Read-only. A watch is unhealthy when no poll of it has run yet, when its last poll failed,
or when a poll was due and did not run (overdue): with a service running, its next poll is
more than a minute (or one interval, if shorter) late; with none, no poll started for two
intervals. The archive is unhealthy when it fails its integrity check or any configured
watch is. "next poll" is shown only while a service holds the archive.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from domain.watch import Watch
from jobs.config import Config
from storage.archive import Archive
from storage.db import quick_check
from storage.errors import ArchiveError, not_writable
from storage.lock import Holder
from storage.queries import NO_REPORTS

LATE = dt.timedelta(seconds=60)  # a service's poll this late was missed, not merely slow to start (or an interval)
CHECK_MAX_AGE = dt.timedelta(hours=24)  # a writer checks the archive at start and daily; older: check here


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def _progress(running: int | None, writer: Holder | None, saved: str | None) -> dict[str, Any] | None:
    """How far the watch's poll in flight (``running``: its id) is (``saved``: its progress fact),
    or None when none runs (a crashed one's last figures are not a poll running: the writer lock
    tells)."""
    if writer is None or saved is None or running is None:
        return None
    data = json.loads(saved)
    if data.get("poll_id") != running:
        return None
    return {"done": data["done"], "total": data["total"], "eta_seconds": data["eta_seconds"], "phase": data["phase"]}


def _walk(saved: str | None, pages: str | None) -> dict[str, Any] | None:
    """A complete walk under way (a long list's is spread over polls): where it stands."""
    if not saved:
        return None
    cursor = json.loads(saved)
    return {"kind": cursor["kind"], "pages": cursor["pages"], "started_at": cursor["started_at"],
            "of_about": int(pages) if pages else cursor.get("total_pages")}  # fmt: skip


FACTS = ("next_poll_at", "trouble", "trouble_since", "progress", "walk_cursor", "list_pages")


def watch_status(
    config: Config,
    archive: Archive,
    name: str,
    now: dt.datetime,
    writer: Holder | None,
    counts: dict[str, dict[str, int]],
) -> dict[str, Any]:
    """One watch (configured or only archived) as status and watches show it (``counts``: every
    watch's report counts, Queries.report_counts_by_watch)."""
    watch: Watch | None = config.watch(name)
    scoped = archive.scoped(name)
    interval = dt.timedelta(seconds=config.interval(watch) if watch else config.schedule.interval)
    last, last_ok = scoped.polls.last(), scoped.polls.last("ok")
    running_id = scoped.polls.running()
    running = running_id is not None and writer is not None
    service = writer is not None and writer.command in ("run", "demo") and watch is not None
    facts = scoped.state.many(FACTS)
    next_poll = facts["next_poll_at"] if service else None
    problems = []
    if last is None and not running:
        problems.append("no poll has run yet")
    if last is not None and last["status"] == "failed":
        problems.append(f"the last poll failed: {last['error']}")
    if not running and watch is not None:
        late = min(LATE, max(dt.timedelta(seconds=2), interval))
        if service and next_poll and now > dt.datetime.fromisoformat(next_poll) + late:
            problems.append(f"overdue: the poll due at {next_poll} did not run")
        elif not service and last is not None and now > dt.datetime.fromisoformat(last["started_at"]) + 2 * interval:
            problems.append(f"overdue: no poll since {last['started_at']} and no service running (ayrdw-watch run)")
    trouble, since = facts["trouble"], facts["trouble_since"]
    if last is not None and last["status"] == "failed":
        trouble, since = f"{trouble or 'the last poll failed'}: {last['error']}", since or last["started_at"]
    return {
        "name": name,
        "url": watch.url if watch else None,
        "section": watch.section if watch else None,
        "configured": watch is not None,
        "last_poll": last,
        "last_success": last_ok["finished_at"] if last_ok else None,
        "next_poll": next_poll,
        "progress": _progress(running_id, writer, facts["progress"]),
        "walk": _walk(facts["walk_cursor"], facts["list_pages"]),
        "reports": counts.get(name, dict(NO_REPORTS)),
        "chain": scoped.evidence.head(name),  # the watch's chain head (evidence): quote it to pin the archive
        "trouble": trouble,
        "trouble_since": since,
        "problems": problems,
        "healthy": not problems,
    }


def status(
    config: Config, archive: Archive, now: dt.datetime, writer: Holder | None = None, only: str | None = None
) -> dict[str, Any]:
    """The archive-wide view and one entry per watch (``only``: that one watch). ``writer``: the
    process holding the archive's writer lock (storage.lock.holder), if any."""
    names = [only] if only else [w.name for w in config.watches]
    counts = archive.queries.report_counts_by_watch()
    watches = [watch_status(config, archive, name, now, writer, counts) for name in names]
    several = len(config.watches) > 1 and not only
    problems = [f"{w['name']}: {p}" if several else p for w in watches if w["configured"] for p in w["problems"]]
    damaged = _integrity(archive, config, now, writer)
    if damaged:
        problems.insert(0, damaged)
    lasts = [w["last_poll"] for w in watches if w["last_poll"]]
    successes = [w["last_success"] for w in watches if w["last_success"]]
    nexts = [w["next_poll"] for w in watches if w["next_poll"]]
    troubled = next((w for w in watches if w["trouble"]), None)
    db_path = Path(config.storage.db)
    return {
        "last_poll": max(lasts, key=lambda p: p["id"]) if lasts else None,
        "last_success": max(successes) if successes else None,
        "next_poll": min(nexts) if nexts else None,
        "reports": counts.get(only, dict(NO_REPORTS)) if only else _total(counts),
        "deliveries": archive.outbox.counts(),
        "writer": {"pid": writer.pid, "command": writer.command} if writer else None,
        "progress": next((w["progress"] for w in watches if w["progress"]), None),
        "trouble": (f"{troubled['name']}: " if several else "") + troubled["trouble"] if troubled else None,
        "trouble_since": troubled["trouble_since"] if troubled else None,
        "database": {"path": str(db_path.resolve()), "bytes": _size(db_path)},
        "watches": [_listed(w) for w in watches],
        "problems": problems,
        "healthy": not problems,
    }


def _total(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    """The archive's report counts: every watch's (configured or only archived) added up."""
    return {key: sum(c[key] for c in counts.values()) for key in NO_REPORTS}


def _listed(w: dict[str, Any]) -> dict[str, Any]:
    """A watch in status --json: {name, url, section, last_poll, next_poll, healthy, trouble, reports}."""
    keys = (
        "name",
        "url",
        "section",
        "last_poll",
        "next_poll",
        "healthy",
        "trouble",
        "problems",
        "progress",
        "chain",
        "walk",
    )
    return {
        **{k: w[k] for k in keys},
        "reports": {key: w["reports"][key] for key in NO_REPORTS},
    }


def without_archive(config: Config, why: str) -> dict[str, Any]:
    """The status before anything has polled (no archive file yet): unhealthy, "no poll has run
    yet", which is what a health check in a container's start period should hear."""
    empty_watch = {"last_poll": None, "last_success": None, "next_poll": None, "progress": None, "walk": None,
                   "reports": dict(NO_REPORTS), "chain": None,
                   "trouble": None, "trouble_since": None, "configured": True}  # fmt: skip
    folder = Path(config.storage.db).resolve().parent
    problem = f"no poll has run yet ({why})"
    if folder.is_dir() and not_writable(folder):
        problem = f"no poll can run: {not_writable(folder)}"
    watches = [{**empty_watch, "name": w.name, "url": w.url, "section": w.section, "problems": [problem],
                "healthy": False} for w in config.watches]  # fmt: skip
    return {
        "last_poll": None, "last_success": None, "next_poll": None,
        "reports": dict(NO_REPORTS),
        "deliveries": {"pending": 0, "failed": 0, "delivered": 0}, "writer": None, "progress": None,
        "trouble": None, "trouble_since": None,
        "database": {"path": str(Path(config.storage.db).resolve()), "bytes": 0},
        "watches": [_listed(w) for w in watches], "problems": [problem], "healthy": False,
    }  # fmt: skip


def watch_names(config: Config, archive: Archive) -> list[str]:
    """The configured watches, then the archived ones no longer configured."""
    names = [w.name for w in config.watches]
    return names + [n for n in archive.queries.archived_watches() if n not in names]


def watches_overview(
    config: Config, archive: Archive, now: dt.datetime, writer: Holder | None, names: list[str] | None = None
) -> list[dict[str, Any]]:
    """`watches` (``names``: those only, e.g. one page of the web view's)."""
    names = names or watch_names(config, archive)
    counts = archive.queries.report_counts_by_watch()
    return [watch_status(config, archive, name, now, writer, counts) for name in names]


def _integrity(archive: Archive, config: Config, now: dt.datetime, writer: Holder | None) -> str | None:
    """A damaged archive is unhealthy. A running service checks it daily (and a poll that meets
    damage fails, which status shows); with no service, status checks it itself, read-only."""
    checked = archive.shared.get("integrity_checked_at")
    if writer is not None and checked and now - dt.datetime.fromisoformat(checked) < CHECK_MAX_AGE:
        return None
    try:
        quick_check(archive.db, config.storage.db)
    except ArchiveError as exc:
        return str(exc)
    return None


def _poll_line(last: dict[str, Any] | None) -> str:
    if not last:
        return "none yet"
    counts = " ".join(f"{k}={last[k]}" for k in ("pages", "found", "new", "changed", "removed", "failed"))
    error = f" error: {last['error']}" if last["error"] else ""
    return f"{last['started_at']} {last['status']} ({counts}, {last['seconds'] or 0:.1f}s){error}"


WALKS_SHOWN = 5  # walks and chain heads listed; with a thousand watches status stays a screen


def format_status(s: dict[str, Any]) -> list[str]:
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
    walking = [w for w in s["watches"] if w.get("walk")]
    for w in walking[:WALKS_SHOWN]:
        if w.get("walk"):
            k = w["walk"]
            about = f" of about {k['of_about']}" if k["of_about"] else ""
            name = f" ({w['name']})" if len(s["watches"]) > 1 else ""
            lines.append(
                f"list walk:    {k['kind']}, {k['pages']}{about} list pages read since {k['started_at']}{name}"
            )
    chained = [w for w in s["watches"] if w.get("chain")]
    if len(walking) > WALKS_SHOWN:
        lines.append(f"list walks:   {len(walking) - WALKS_SHOWN} more watches are walking their lists")
    return [
        *lines,
        f"last poll:    {_poll_line(s['last_poll'])}",
        f"last success: {s['last_success'] or 'never'}",
        f"next poll:    {s['next_poll'] or ('when this poll ends' if s['writer'] else 'no service running')}",
        f"reports:      {r['active']} active, {r['removed']} removed ({r['versions']} versions)"
        + (f", {r['waiting']} listed and not stored yet" if r["waiting"] else ""),
        f"deliveries:   {d['pending']} pending, {d['failed']} failed, {d['delivered']} delivered",
        f"trouble:      {trouble}",
        f"database:     {db['path']} ({db['bytes'] / 1e6:.1f} MB)",
        f"writer:       {writer}",
        *([f"watches:      {len(s['watches'])}"] if len(s["watches"]) > 1 else []),
        *[
            f"chain head:   {w['chain']}" + (f" ({w['name']})" if len(s["watches"]) > 1 else "")
            for w in chained[:WALKS_SHOWN]
        ],
        *([f"chain heads:  {len(chained) - WALKS_SHOWN} more (status --watch NAME)"] * (len(chained) > WALKS_SHOWN)),
        f"health:       {health}",
    ]


def format_watches(watches: list[dict[str, Any]]) -> list[str]:
    """One line a watch: name, health, section and site, last and next poll, report counts."""
    lines = []
    for w in watches:
        health = "ok" if w["healthy"] else "; ".join(w["problems"])
        where = f"{w['section']} @ {w['url']}" if w["configured"] else "(no longer configured)"
        last = w["last_poll"]
        polled = f"last poll {last['started_at']} {last['status']}" if last else "never polled"
        counts = f"{w['reports']['active']} active, {w['reports']['removed']} removed"
        upcoming = f", next {w['next_poll']}" if w["next_poll"] else ""
        chain = f"  chain {w['chain'][:16]}" if w.get("chain") else ""
        lines.append(f"{w['name']:<20} {where}  {polled}{upcoming}  {counts}{chain}  health: {health}")
    return lines
