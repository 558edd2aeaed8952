"""Read models: what the command line (and later the web view) shows of the archive. Reading
only; every row comes out as plain data with the export's field names."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from domain.report import FIELDS
from storage.reports import fields_of

EXTRA_EXPORT = ("status", "version", "first_seen", "updated_at")


def export_fields() -> list[str]:
    """The export's columns, in order: the report's URL, its declared fields, the archive's facts."""
    return ["url", *(f.name for f in FIELDS), *EXTRA_EXPORT]


class Queries:
    def __init__(self, db: Database) -> None:
        self.db = db

    def export_rows(self) -> Iterator[dict[str, Any]]:
        """Every report (removed ones too), latest version, ordered by first_seen."""
        sql = (
            "SELECT r.url, r.status, r.version, r.first_seen, r.updated_at, v.* FROM reports r"
            " JOIN report_versions v ON v.url = r.url AND v.version = r.version ORDER BY r.first_seen, r.rowid"
        )
        for row in self.db.query(sql):
            yield {"url": row["url"], **fields_of(row), **{k: row[k] for k in EXTRA_EXPORT}}

    def versions(self, url: str) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT * FROM report_versions WHERE url = ? ORDER BY version", [url])
        return [
            {
                "version": row["version"],
                "stored_at": row["stored_at"],
                "changed_fields": json.loads(row["changed_fields"]),
                **fields_of(row),
            }
            for row in rows
        ]

    def report_status(self, url: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM reports WHERE url = ?", [url]))
        return rows[0] if rows else None

    def events(self, url: str | None = None) -> list[dict[str, Any]]:
        where, args = ("WHERE url = ?", [url]) if url else ("", [])
        return [
            {
                **row,
                "changes": json.loads(row["changes"]),
                "baseline": bool(row["baseline"]),
                "removal": json.loads(row["removal"]) if row.get("removal") else None,
            }
            for row in self.db.query(f"SELECT * FROM events {where} ORDER BY id", args)
        ]

    def history(self, url: str) -> list[dict[str, Any]]:
        """Versions, removals and restores in the order they happened: the events' order (times are
        kept to the second), a version where the event that brought it stands, and a version no
        event brought where its time puts it."""
        versions = {v["version"]: v for v in self.versions(url)}

        def version_entry(number: int) -> dict[str, Any]:
            v = versions[number]
            return {"kind": "version", "at": v["stored_at"], "version": number, "changed_fields": v["changed_fields"]}

        entries: list[dict[str, Any]] = []
        shown: set[int] = set()
        for e in self.events(url):
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

    def report_counts(self) -> dict[str, int]:
        """Reports by status, stored versions, and reports listed but not stored yet."""
        counts = dict(self.db.execute("SELECT status, count(*) FROM reports GROUP BY status").fetchall())
        return {
            "active": counts.get("active", 0),
            "removed": counts.get("removed", 0),
            "versions": self.db.execute("SELECT count(*) FROM report_versions").fetchone()[0],
            "waiting": self.db.execute("SELECT count(*) FROM walk_items").fetchone()[0],
        }
