"""Small named queries over the archive. The only module (with db.py) that speaks SQL.

Writes that must happen together (a version, the report's new state and its
event) run in one transaction: a crash leaves the old state or the new one.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from crawler.fetch import FetchRecord
from storage.db import transaction

REPORT_FIELDS = ("title", "published", "source", "text", "attachments", "credits")
EXPORT_FIELDS = (
    "url", "title", "published", "source", "text", "attachments", "credits",
    "status", "version", "first_seen", "updated_at",
)  # fmt: skip


@dataclass(frozen=True)
class KnownReport:
    """What a poll needs to know about a stored report."""

    url: str
    status: str
    version: int
    content_hash: str
    last_fetched_at: str  # the last time its page answered as a live report
    recheck_due_at: str
    etag: str | None
    last_modified: str | None
    last_listed_at: str | None = None
    gone_since: str | None = None  # a not-found verdict waiting for its confirmation
    gone_kind: str | None = None
    gone_detail: str | None = None
    noise: frozenset[str] = frozenset()  # shapes of its lines that change on every request

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> KnownReport:
        *head, noise = row
        return cls(*head, noise=frozenset(json.loads(noise)) if noise else frozenset())


@dataclass(frozen=True)
class WalkItem:
    """A report a walk listed that no poll has stored yet (its page not read, or failing)."""

    url: str
    title: str | None
    date: str | None
    listed_at: str  # ISO, to the microsecond: compared with a walk's start
    baseline: bool
    attempts: int


def _export_row(row: dict[str, Any]) -> dict[str, Any]:
    fields = _fields_from_row(row)
    return {name: (fields[name] if name in fields else row[name]) for name in EXPORT_FIELDS}


def _fields_from_row(row: dict[str, Any]) -> dict[str, Any]:
    fields = {name: row[name] for name in REPORT_FIELDS}
    fields["attachments"] = json.loads(row["attachments"])
    fields["credits"] = json.loads(row["credits"])
    return fields


@dataclass(frozen=True)
class Subscriber:
    """A watcher as the outbox sees it: which events it gets."""

    watcher_id: str
    kinds: frozenset[str]
    on_baseline: bool = False

    def wants(self, kind: str, baseline: bool) -> bool:
        return kind in self.kinds and (self.on_baseline or not baseline)


class Store:
    """The archive. ``subscribers`` get a delivery row for each event they want, written
    in the event's own transaction (the outbox), so no stored change is ever unannounced."""

    def __init__(self, db: Database, subscribers: Sequence[Subscriber] = ()) -> None:
        self.db = db
        self.subscribers = tuple(subscribers)

    def transaction(self) -> contextlib.AbstractContextManager[Database]:
        """Several writes that stand or fall together (see storage.db.transaction)."""
        return transaction(self.db)

    # -- site_state ------------------------------------------------------------------------------
    def state(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM site_state WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_state(self, key: str, value: str | None, now: str) -> None:
        self.db.execute(
            "INSERT INTO site_state (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            [key, value, now],
        )

    def states(self, prefix: str) -> dict[str, str]:
        rows = self.db.execute("SELECT key, value FROM site_state WHERE key LIKE ?", [prefix + "%"]).fetchall()
        return {key[len(prefix) :]: value for key, value in rows if value is not None}

    # -- polls and the fetch log -----------------------------------------------------------------
    def start_poll(self, now: str) -> int:
        cursor = self.db.execute("INSERT INTO polls (started_at, status) VALUES (?, 'running')", [now])
        return int(cursor.lastrowid)

    def finish_poll(self, poll_id: int, counts: dict[str, Any], now: str) -> None:
        """``counts``: the polls table's columns (status, mode, pages, found, new, ... error)."""
        self.db["polls"].update(poll_id, {**counts, "finished_at": now})

    def log_fetches(self, poll_id: int | None, records: Iterable[FetchRecord], now: str) -> None:
        rows = [
            {
                "poll_id": poll_id,
                "url": r.url,
                "status": r.status,
                "bytes": r.nbytes,
                "seconds": r.seconds,
                "error": r.error,
                "fetched_at": now,
            }
            for r in records
        ]
        if rows:
            self.db["fetches"].insert_all(rows)

    def close_interrupted_polls(self, now: str) -> int:
        """Polls left 'running' by a crash (kill -9, power loss): the writer calls this at start."""
        cursor = self.db.execute(
            "UPDATE polls SET status = 'interrupted', finished_at = ?,"
            " error = COALESCE(error, 'the process ended during the poll') WHERE status = 'running'",
            [now],
        )
        return cursor.rowcount

    def failed_polls_in_a_row(self) -> int:
        rows = self.db.execute(
            "SELECT status FROM polls WHERE status NOT IN ('running', 'interrupted', 'stopped')"
            " ORDER BY id DESC LIMIT 100"
        )
        count = 0
        for (status,) in rows:
            if status != "failed":
                break
            count += 1
        return count

    def last_poll(self, status: str | None = None) -> dict[str, Any] | None:
        where = "WHERE status = ?" if status else "WHERE status != 'running'"
        rows = list(self.db.query(f"SELECT * FROM polls {where} ORDER BY id DESC LIMIT 1", [status] if status else []))
        return rows[0] if rows else None

    # -- reports ---------------------------------------------------------------------------------
    _KNOWN_SQL = (
        "SELECT url, status, version, content_hash, last_fetched_at, recheck_due_at, etag, last_modified,"
        " last_listed_at, gone_since, gone_kind, gone_detail, noise FROM reports"
    )

    def known(self) -> dict[str, KnownReport]:
        """Every stored report (tests and tools; a poll asks only for what it saw)."""
        return {row[0]: KnownReport.from_row(row) for row in self.db.execute(self._KNOWN_SQL).fetchall()}

    def known_for(self, urls: Sequence[str]) -> dict[str, KnownReport]:
        found: dict[str, KnownReport] = {}
        for start in range(0, len(urls), 500):
            chunk = urls[start : start + 500]
            marks = ",".join("?" for _ in chunk)
            for row in self.db.execute(f"{self._KNOWN_SQL} WHERE url IN ({marks})", chunk).fetchall():
                found[row[0]] = KnownReport.from_row(row)
        return found

    def is_known(self, url: str) -> bool:
        return self.db.execute("SELECT 1 FROM reports WHERE url = ?", [url]).fetchone() is not None

    # -- walk items: listed, not stored yet ------------------------------------------------------
    def add_walk_items(self, entries: Iterable[tuple[str, str, str | None]], baseline: bool, now: str) -> None:
        """(url, title, date) of listed reports to fetch; one already waiting keeps its history
        (and its baseline flag: a report the baseline listed stays baseline)."""
        self.db.conn.executemany(
            "INSERT INTO walk_items (url, title, date, listed_at, baseline, next_try_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (url) DO UPDATE SET title = excluded.title, date = excluded.date,"
            " listed_at = excluded.listed_at",
            [(url, title, date, now, int(baseline), now) for url, title, date in entries],
        )

    def walk_items_due(self, now: str) -> list[WalkItem]:
        """Oldest listed first (lists run newest first), so new events come out in publication order."""
        rows = self.db.execute(
            "SELECT url, title, date, listed_at, baseline, attempts FROM walk_items WHERE next_try_at <= ?"
            " ORDER BY rowid DESC",
            [now],
        ).fetchall()
        return [WalkItem(url, title, date, at, bool(flag), tries) for url, title, date, at, flag, tries in rows]

    def is_waiting(self, url: str) -> bool:
        return self.db.execute("SELECT 1 FROM walk_items WHERE url = ?", [url]).fetchone() is not None

    def walk_item_failed(self, url: str, error: str, retry_at: str) -> None:
        self.db.execute(
            "UPDATE walk_items SET attempts = attempts + 1, last_error = ?, next_try_at = ? WHERE url = ?",
            [error[:500], retry_at, url],
        )

    def drop_walk_item(self, url: str) -> None:
        self.db.execute("DELETE FROM walk_items WHERE url = ?", [url])

    def count_walk_items(self) -> int:
        return self.db.execute("SELECT count(*) FROM walk_items").fetchone()[0]

    def unlisted_since(self, walk_started_at: str) -> list[KnownReport]:
        """Active reports a complete walk that started then did not list (by index, not by loading
        every row). Listing times are kept to the microsecond for this comparison."""
        rows = self.db.execute(
            f"{self._KNOWN_SQL} WHERE status = 'active' AND (last_listed_at IS NULL OR last_listed_at < ?)",
            [walk_started_at],
        ).fetchall()
        return [KnownReport.from_row(row) for row in rows]

    def any_due(self, now: str) -> bool:
        return (
            self.db.execute(
                "SELECT 1 FROM reports WHERE status = 'active' AND recheck_due_at <= ? LIMIT 1", [now]
            ).fetchone()
            is not None
        )

    def current_fields(self, url: str) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                "SELECT v.* FROM reports r JOIN report_versions v ON v.url = r.url AND v.version = r.version"
                " WHERE r.url = ?",
                [url],
            )
        )
        return _fields_from_row(rows[0]) if rows else None

    def store_version(
        self,
        *,
        url: str,
        fields: dict[str, Any],
        content_hash: str,
        kind: str,
        changes: dict[str, Any],
        now: str,
        recheck_due_at: str,
        etag: str | None,
        last_modified: str | None,
        listed: tuple[str | None, str | None, str] | None,
        baseline: bool,
        poll_id: int | None,
    ) -> int:
        """A new version of a report (first sight, an edit, or back after removal) with its
        event, in one transaction. ``listed``: (title, date, when) a list showed it. Returns
        the version number."""
        with transaction(self.db):
            row = self.db.execute("SELECT version, first_seen FROM reports WHERE url = ?", [url]).fetchone()
            version = (row[0] + 1) if row else 1
            report = {
                "url": url,
                "status": "active",
                "version": version,
                "content_hash": content_hash,
                "first_seen": row[1] if row else now,
                "updated_at": now,
                "last_fetched_at": now,
                "recheck_due_at": recheck_due_at,
                "etag": etag,
                "last_modified": last_modified,
                "failures": 0,
                "last_error": None,
                "gone_since": None,
                "gone_kind": None,
                "gone_detail": None,
            }
            if listed is not None:
                report.update(list_title=listed[0], list_date=listed[1], last_listed_at=listed[2])
            self.db["reports"].upsert(report, pk="url")
            self.db.execute("DELETE FROM walk_items WHERE url = ?", [url])
            self.db["report_versions"].insert(
                {
                    "url": url,
                    "version": version,
                    "title": fields["title"],
                    "published": fields["published"],
                    "source": fields["source"],
                    "text": fields["text"],
                    "attachments": json.dumps(fields["attachments"], ensure_ascii=False),
                    "credits": json.dumps(fields["credits"], ensure_ascii=False),
                    "content_hash": content_hash,
                    "changed_fields": json.dumps(sorted(changes), ensure_ascii=False),
                    "stored_at": now,
                    "poll_id": poll_id,
                }
            )
            self._event(kind, url, version, changes, now, baseline, poll_id)
        return version

    def mark_removed(
        self, url: str, now: str, poll_id: int | None, removal: dict[str, Any], baseline: bool = False
    ) -> None:
        """A confirmed removal; ``removal`` says how it was confirmed (goes with the event)."""
        with transaction(self.db):
            version = self.db.execute("SELECT version FROM reports WHERE url = ?", [url]).fetchone()[0]
            self.db.execute(
                "UPDATE reports SET status = 'removed', updated_at = ?, gone_since = NULL, gone_kind = NULL,"
                " gone_detail = NULL WHERE url = ?",
                [now, url],
            )
            self._event("removed", url, version, {}, now, baseline, poll_id, removal=removal)

    def restore(
        self,
        url: str,
        now: str,
        recheck_due_at: str,
        listed: tuple[str | None, str | None, str] | None,
        poll_id: int | None,
    ) -> int:
        """A removed report back as it was (its fields unchanged): no new version, an event."""
        with transaction(self.db):
            version = self.db.execute("SELECT version FROM reports WHERE url = ?", [url]).fetchone()[0]
            self.db.execute(
                "UPDATE reports SET status = 'active', updated_at = ?, last_fetched_at = ?, recheck_due_at = ?,"
                " failures = 0, last_error = NULL WHERE url = ?",
                [now, now, recheck_due_at, url],
            )
            if listed is not None:
                self.db.execute(
                    "UPDATE reports SET list_title = ?, list_date = ?, last_listed_at = ? WHERE url = ?",
                    [*listed, url],
                )
            self.db.execute("DELETE FROM walk_items WHERE url = ?", [url])
            self._event("restored", url, version, {}, now, False, poll_id)
        return version

    def suspect_gone(self, url: str, kind: str, detail: str, now: str) -> None:
        """A first not-found verdict: nothing is announced until the next poll confirms it."""
        self.db.execute(
            "UPDATE reports SET gone_since = COALESCE(gone_since, ?), gone_kind = ?, gone_detail = ? WHERE url = ?",
            [now, kind, detail, url],
        )

    def clear_gone(self, url: str) -> None:
        self.db.execute(
            "UPDATE reports SET gone_since = NULL, gone_kind = NULL, gone_detail = NULL WHERE url = ?", [url]
        )

    def suspected_gone(self) -> list[KnownReport]:
        """Active reports with a not-found verdict to confirm (a partial index keeps this cheap)."""
        rows = self.db.execute(f"{self._KNOWN_SQL} WHERE gone_since IS NOT NULL AND status = 'active'").fetchall()
        return [KnownReport.from_row(row) for row in rows]

    def set_noise(self, url: str, shapes: frozenset[str]) -> None:
        self.db.execute(
            "UPDATE reports SET noise = ? WHERE url = ?", [json.dumps(sorted(shapes), ensure_ascii=False), url]
        )

    def touch(
        self, url: str, now: str, recheck_due_at: str, etag: str | None = None, last_modified: str | None = None
    ) -> None:
        """Fetched again, nothing changed: only the schedule and validators move."""
        self.db.execute(
            "UPDATE reports SET last_fetched_at = ?, recheck_due_at = ?, etag = COALESCE(?, etag),"
            " last_modified = COALESCE(?, last_modified), failures = 0, last_error = NULL, gone_since = NULL,"
            " gone_kind = NULL, gone_detail = NULL WHERE url = ?",
            [now, recheck_due_at, etag, last_modified, url],
        )

    def record_failure(self, url: str, error: str, now: str, retry_at: str) -> None:
        self.db.execute(
            "UPDATE reports SET failures = failures + 1, last_error = ?, recheck_due_at = ? WHERE url = ?",
            [error, retry_at, url],
        )

    def mark_listed(self, entries: Iterable[tuple[str, str, str | None]], now: str) -> None:
        """Remember when (and as what) each known report was last seen on a list page."""
        self.db.conn.executemany(
            "UPDATE reports SET last_listed_at = ?, list_title = ?, list_date = ? WHERE url = ?",
            [(now, title, date, url) for url, title, date in entries],
        )

    def due_for_recheck(self, now: str, limit: int) -> list[KnownReport]:
        rows = self.db.execute(
            f"{self._KNOWN_SQL} WHERE status = 'active' AND recheck_due_at <= ? ORDER BY recheck_due_at LIMIT ?",
            [now, limit],
        ).fetchall()
        return [KnownReport.from_row(row) for row in rows]

    def count_active(self) -> int:
        return self.db.execute("SELECT count(*) FROM reports WHERE status = 'active'").fetchone()[0]

    # -- reading the archive ---------------------------------------------------------------------
    _EXPORT_SQL = (
        "SELECT r.url, r.status, r.version, r.first_seen, r.updated_at, v.title, v.published, v.source,"
        " v.text, v.attachments, v.credits FROM reports r"
        " JOIN report_versions v ON v.url = r.url AND v.version = r.version"
    )

    def export_rows(self) -> Iterator[dict[str, Any]]:
        """Every report (removed ones too), latest version, ordered by first_seen."""
        for row in self.db.query(self._EXPORT_SQL + " ORDER BY r.first_seen, r.rowid"):
            yield _export_row(row)

    def export_row(self, url: str) -> dict[str, Any] | None:
        rows = list(self.db.query(self._EXPORT_SQL + " WHERE r.url = ?", [url]))
        return _export_row(rows[0]) if rows else None

    def versions(self, url: str) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT * FROM report_versions WHERE url = ? ORDER BY version", [url])
        return [
            {
                "version": row["version"],
                "stored_at": row["stored_at"],
                "changed_fields": json.loads(row["changed_fields"]),
                **_fields_from_row(row),
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

    def _event(
        self,
        kind: str,
        url: str,
        version: int,
        changes: dict[str, Any],
        now: str,
        baseline: bool,
        poll_id: int | None,
        removal: dict[str, Any] | None = None,
    ) -> None:
        """The event, its webhook body (serialised once: every retry sends these bytes and
        shows the report as it was now) and a delivery row per subscriber that wants it."""
        payload = {"event": f"report.{kind}", "report": self.export_row(url), "changes": changes, "occurred_at": now}
        if removal is not None:
            payload["removal"] = removal
        event_id = (
            self.db["events"]
            .insert(
                {
                    "kind": kind,
                    "url": url,
                    "version": version,
                    "baseline": int(baseline),
                    "changes": json.dumps(changes, ensure_ascii=False),
                    "occurred_at": now,
                    "poll_id": poll_id,
                    "payload": json.dumps(payload, ensure_ascii=False),
                    "removal": json.dumps(removal, ensure_ascii=False) if removal is not None else None,
                }
            )
            .last_pk
        )
        rows = [
            {
                "id": uuid.uuid4().hex,
                "watcher_id": s.watcher_id,
                "event_id": event_id,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for s in self.subscribers
            if s.wants(kind, baseline)
        ]
        if rows:
            self.db["deliveries"].insert_all(rows)
