"""Read models: what the command line (and later the web view) shows of the archive. Reading
only; every row comes out as plain data with the export's field names."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from domain.report import FIELDS
from storage.reports import fields_of

if TYPE_CHECKING:  # sqlite-utils is the writer's: a reader starts without it
    from sqlite_utils import Database

EXTRA_EXPORT = ("status", "version", "first_seen", "updated_at", "watch", "id")


def export_fields() -> list[str]:
    """The export's columns, in order: the report's URL, its declared fields, the archive's facts
    (its watch and stable id last: columns added later go at the end, so scripts keep working)."""
    return ["url", *(f.name for f in FIELDS), *EXTRA_EXPORT]


def _of_watch(watch: str | None, column: str = "watch") -> tuple[str, list[str]]:
    return (f" AND {column} = ?", [watch]) if watch else ("", [])


NO_REPORTS = {"active": 0, "removed": 0, "versions": 0, "waiting": 0}  # a watch with no report yet


class Queries:
    def __init__(self, db: Database) -> None:
        self.db = db

    def export_rows(self, watches: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
        """Every report (removed ones too) of these watches (default: all), latest version, in the
        order they were first seen."""
        marks = ",".join("?" for _ in watches)
        where = f" WHERE r.watch IN ({marks})" if watches else ""
        sql = (
            "SELECT v.*, r.url, r.watch, r.id, r.status, r.version, r.first_seen, r.updated_at FROM reports r"
            f" JOIN report_versions v ON v.report_id = r.id AND v.version = r.version{where}"
            " ORDER BY r.first_seen, r.id"
        )
        for row in self.db.query(sql, list(watches)):
            yield {"url": row["url"], **fields_of(row), **{k: row[k] for k in EXTRA_EXPORT}}

    def versions(self, url: str, watch: str | None = None) -> list[dict[str, Any]]:
        where, args = _of_watch(watch)
        rows = self.db.query(f"SELECT * FROM report_versions WHERE url = ?{where} ORDER BY version", [url, *args])
        return [
            {
                "version": row["version"],
                "stored_at": row["stored_at"],
                "changed_fields": json.loads(row["changed_fields"]),
                "extractor_version": row.get("extractor_version", 1),
                "reextracted": bool(row.get("reextracted")),
                **fields_of(row),
            }
            for row in rows
        ]

    def report_status(self, url: str, watch: str | None = None) -> dict[str, Any] | None:
        where, args = _of_watch(watch)
        rows = list(self.db.query(f"SELECT * FROM reports WHERE url = ?{where}", [url, *args]))
        return rows[0] if rows else None

    def watches_of(self, url: str) -> list[str]:
        """The watches that hold a report at this URL."""
        rows = self.db.execute("SELECT watch FROM reports WHERE url = ? ORDER BY watch", [url]).fetchall()
        return [watch for (watch,) in rows]

    def archived_watches(self) -> list[str]:
        """Every watch the archive has rows of (configured or not any more)."""
        sql = "SELECT watch FROM reports UNION SELECT watch FROM polls ORDER BY watch"
        return [watch for (watch,) in self.db.execute(sql).fetchall()]

    def events(self, url: str | None = None, watch: str | None = None) -> list[dict[str, Any]]:
        clauses, args = [], []
        if url:
            clauses.append("url = ?")
            args.append(url)
        if watch:
            clauses.append("watch = ?")
            args.append(watch)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return [
            {
                **row,
                "changes": json.loads(row["changes"]),
                "baseline": bool(row["baseline"]),
                "removal": json.loads(row["removal"]) if row.get("removal") else None,
            }
            for row in self.db.query(f"SELECT * FROM events {where} ORDER BY id", args)
        ]

    def history(self, url: str, watch: str | None = None) -> list[dict[str, Any]]:
        """Versions, removals and restores in the order they happened: the events' order (times are
        kept to the second), a version where the event that brought it stands, and a version no
        event brought (one re-extracted by a newer extractor) where its time puts it."""
        versions = {v["version"]: v for v in self.versions(url, watch)}

        def version_entry(number: int) -> dict[str, Any]:
            v = versions[number]
            kind = "re-extracted" if v["reextracted"] else "version"
            return {"kind": kind, "at": v["stored_at"], "version": number, "changed_fields": v["changed_fields"]}

        entries: list[dict[str, Any]] = []
        shown: set[int] = set()
        for e in self.events(url, watch):
            if e["kind"] != "removed" and e["version"] not in shown and e["version"] in versions:
                entries.append(version_entry(e["version"]))
                shown.add(e["version"])
            if e["kind"] in ("removed", "restored"):
                entry = {"kind": e["kind"], "at": e["occurred_at"], "version": e["version"]}
                entry["changed_fields"] = sorted(e["changes"])
                if e.get("removal"):
                    entry["removal"] = e["removal"]
                entries.append(entry)
        for number in sorted(set(versions) - shown):
            entry = version_entry(number)
            at = next((i for i, other in enumerate(entries) if other["at"] > entry["at"]), len(entries))
            entries.insert(at, entry)
        return entries

    def report_counts_by_watch(self) -> dict[str, dict[str, int]]:
        """Each watch's reports by status, stored versions, and reports listed but not stored yet,
        from the counts the archive's triggers keep (storage/migrations.py m012): a thousand
        watches' status reads a few thousand rows."""
        out: dict[str, dict[str, int]] = {}
        for watch, status, n in self.db.execute("SELECT watch, status, n FROM report_counts"):
            if status in ("active", "removed"):
                out.setdefault(watch, dict(NO_REPORTS))[status] = n
        for watch, n in self.db.execute("SELECT watch, n FROM version_counts"):
            out.setdefault(watch, dict(NO_REPORTS))["versions"] = n
        for watch, n in self.db.execute("SELECT watch, count(*) FROM walk_items GROUP BY watch"):
            out.setdefault(watch, dict(NO_REPORTS))["waiting"] = n
        return out
