"""Read models for `serve`: reports by id and page, one report's whole record, the latest
events for the feeds, search hits, and the counts /metrics reports. Reading only; rows come
out as plain data with the export's field names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storage import search
from storage.queries import EXTRA_EXPORT, Queries
from storage.reports import fields_of

if TYPE_CHECKING:
    from sqlite_utils import Database

_REPORT_SQL = (
    "SELECT v.*, r.url, r.watch, r.id, r.status, r.version, r.first_seen, r.updated_at FROM reports r"
    " JOIN report_versions v ON v.report_id = r.id AND v.version = r.version"
)


@dataclass(frozen=True)
class Filters:
    watch: str | None = None
    status: str | None = None  # active | removed
    since: str | None = None  # updated at or after (ISO 8601)
    limit: int = 50
    offset: int = 0
    changed: bool = False  # only reports edited since first seen (more than one version)


def _row(row: dict[str, Any]) -> dict[str, Any]:
    return {"url": row["url"], **fields_of(row), **{k: row[k] for k in EXTRA_EXPORT}}


class Browse:
    def __init__(self, db: Database) -> None:
        self.db = db

    def reports(self, filters: Filters) -> list[dict[str, Any]]:
        """Reports newest first (by when their current version or status was stored)."""
        where, args = self._where(filters)
        sql = f"{_REPORT_SQL}{where} ORDER BY r.updated_at DESC, r.id DESC LIMIT ? OFFSET ?"
        return [_row(row) for row in self.db.query(sql, [*args, filters.limit, filters.offset])]

    def _where(self, filters: Filters) -> tuple[str, list[Any]]:
        clauses, args = [], []
        for column, value in (("r.watch = ?", filters.watch), ("r.status = ?", filters.status),
                              ("r.updated_at >= ?", filters.since)):  # fmt: skip
            if value:
                clauses.append(column)
                args.append(value)
        if filters.changed:
            clauses.append("r.version > 1")
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def by_ids(self, ids: list[int]) -> list[dict[str, Any]]:
        """Reports in the order of ``ids`` (search hits)."""
        if not ids:
            return []
        rows = self.db.query(f"{_REPORT_SQL} WHERE r.id IN ({','.join('?' * len(ids))})", ids)
        found = {row["id"]: _row(row) for row in rows}
        return [found[i] for i in ids if i in found]

    def search(self, query: search.Query) -> list[tuple[dict[str, Any], str]]:
        """(report, snippet) for each hit, best first."""
        found = self.by_ids(search.ranked(self.db, query))
        terms = query.terms
        return [(r, search.snippet(terms, r["text"] or "", r["title"] or "", r["source"] or "")) for r in found]

    def report(self, report_id: int) -> dict[str, Any] | None:
        """One report with every version and every event."""
        found = self.by_ids([report_id])
        if not found:
            return None
        report = found[0]
        queries = Queries(self.db)
        report["versions"] = queries.versions(report["url"], report["watch"])
        report["events"] = [
            {k: e[k] for k in ("id", "kind", "version", "occurred_at", "changes", "removal", "baseline")}
            for e in queries.events(report["url"], report["watch"])
        ]
        return report

    def latest_events(self, watch: str | None = None, limit: int = 100, baseline: bool = True) -> list[dict[str, Any]]:
        """The newest events, newest first, each with the payload it was announced with
        (``baseline=False``: without what the first poll found)."""
        clauses, args = [], []
        if watch:
            clauses.append("e.watch = ?")
            args.append(watch)
        if not baseline:
            clauses.append("e.baseline = 0")
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = (
            "SELECT e.id, e.kind, e.watch, e.url, e.version, e.occurred_at, e.payload, e.changes, e.removal,"
            f" e.report_id, e.baseline FROM events e{where} ORDER BY e.occurred_at DESC, e.id DESC LIMIT ?"
        )
        events = list(self.db.query(sql, [*args, limit]))
        missing = [e["report_id"] for e in events if not e["payload"]]
        reports = {r["id"]: r for r in self.by_ids(missing)}
        for e in events:
            if e["payload"]:
                e["payload"] = json.loads(e["payload"])
            else:  # written before payloads were stored: the report as it is now
                e["payload"] = {
                    "event": f"report.{e['kind']}",
                    "report": reports.get(e["report_id"], {"url": e["url"]}),
                    "changes": json.loads(e["changes"] or "{}"),
                    "occurred_at": e["occurred_at"],
                    "removal": json.loads(e["removal"]) if e["removal"] else None,
                }
        return events

    def baselines(self) -> dict[str, tuple[int, str]]:
        """Per watch: how many reports its first poll found, and when."""
        sql = "SELECT watch, count(*), min(occurred_at) FROM events WHERE baseline = 1 GROUP BY watch"
        return {watch: (count, at) for watch, count, at in self.db.execute(sql).fetchall()}

    def watches(self) -> list[str]:
        return Queries(self.db).archived_watches()

    # -- /metrics ---------------------------------------------------------------------------------
    def metric_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """The counts /metrics reports, straight from the archive."""
        q = self.db.execute
        polls = "SELECT watch, status, count(*), sum(requests), sum(bytes) FROM polls GROUP BY watch, status"
        last = "SELECT watch, max(finished_at) FROM polls WHERE status = 'ok' GROUP BY watch"
        return {
            "polls": q(polls).fetchall(),
            "events": q("SELECT watch, kind, count(*) FROM events GROUP BY watch, kind").fetchall(),
            "deliveries": q("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall(),
            "reports": q("SELECT watch, status, count(*) FROM reports GROUP BY watch, status").fetchall(),
            "last_success": q(last).fetchall(),
        }
