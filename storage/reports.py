"""Reports and their versions: the latest state of each report (``reports``) and every
distinct version of its fields (``report_versions``, a column per declared field).

SQL only: the poll decides what to store, and the caller's transaction holds a version
together with its event and deliveries (jobs/record.py), so a crash leaves the old
state or the new one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.events import StoredReport
from domain.report import FIELDS, loaded_value, stored_value
from storage import search

if TYPE_CHECKING:  # sqlite-utils is the writer's: a reader starts without it
    from sqlite_utils import Database


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
    extractor_version: int = 1  # the extractor that produced its current version
    published: str | None = None  # its current version's date (its age counts from it)
    first_seen: str | None = None
    updated_at: str | None = None  # when its current version (or status) was stored

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> KnownReport:
        *head, noise, extractor, published, first_seen, updated_at = row
        return cls(
            *head, noise=frozenset(json.loads(noise)) if noise else frozenset(), extractor_version=extractor,
            published=published, first_seen=first_seen, updated_at=updated_at,
        )  # fmt: skip

    @property
    def changed_at(self) -> str | None:
        """When it last changed (None: never, since it was first seen)."""
        return self.updated_at if self.version > 1 else None


def fields_of(row: dict[str, Any]) -> dict[str, Any]:
    """The declared fields of a report_versions row, as plain data."""
    return {f.name: loaded_value(f, row.get(f.name)) for f in FIELDS}


Listed = tuple[str | None, str | None, str]  # (title, date, when) a list showed a report


class Reports:
    """One watch's reports: every query and write names the watch."""

    _KNOWN_SQL = (
        "SELECT url, status, version, content_hash, last_fetched_at, recheck_due_at, etag, last_modified,"
        " last_listed_at, gone_since, gone_kind, gone_detail, noise, extractor_version, (SELECT published FROM"
        " report_versions v WHERE v.report_id = reports.id AND v.version = reports.version), first_seen, updated_at"
        " FROM reports WHERE watch = ?"
    )

    def __init__(self, db: Database, watch: str) -> None:
        self.db = db
        self.watch = watch

    # -- what a poll asks ------------------------------------------------------------------------
    def known(self) -> dict[str, KnownReport]:
        """Every stored report (tests and tools; a poll asks only for what it saw)."""
        rows = self.db.execute(self._KNOWN_SQL, [self.watch]).fetchall()
        return {row[0]: KnownReport.from_row(row) for row in rows}

    def known_for(self, urls: Sequence[str]) -> dict[str, KnownReport]:
        found: dict[str, KnownReport] = {}
        for start in range(0, len(urls), 500):
            chunk = urls[start : start + 500]
            marks = ",".join("?" for _ in chunk)
            for row in self.db.execute(f"{self._KNOWN_SQL} AND url IN ({marks})", [self.watch, *chunk]).fetchall():
                found[row[0]] = KnownReport.from_row(row)
        return found

    def statuses(self, urls: Sequence[str]) -> dict[str, str]:
        """url -> status of the known ones among ``urls`` (a list page's items): one statement."""
        sql = "SELECT url, status FROM reports WHERE watch = ? AND url IN (SELECT value FROM json_each(?))"
        return dict(self.db.execute(sql, [self.watch, json.dumps(list(urls), ensure_ascii=False)]).fetchall())

    def is_known(self, url: str) -> bool:
        sql = "SELECT 1 FROM reports WHERE watch = ? AND url = ?"
        return self.db.execute(sql, [self.watch, url]).fetchone() is not None

    def unlisted_since(self, walk_started_at: str) -> list[KnownReport]:
        """Active reports a complete walk that started then did not list (by index, not by loading
        every row). Listing times are kept to the microsecond for this comparison."""
        rows = self.db.execute(
            f"{self._KNOWN_SQL} AND status = 'active' AND (last_listed_at IS NULL OR last_listed_at < ?)",
            [self.watch, walk_started_at],
        ).fetchall()
        return [KnownReport.from_row(row) for row in rows]

    def any_due(self, now: str) -> bool:
        sql = "SELECT 1 FROM reports WHERE watch = ? AND status = 'active' AND recheck_due_at <= ? LIMIT 1"
        return self.db.execute(sql, [self.watch, now]).fetchone() is not None

    def due_by_tier(self, now: str, limit: int, tiers: int = 4) -> list[KnownReport]:
        """Due reports, youngest tier first, oldest due first within a tier (an index per tier)."""
        found: list[KnownReport] = []
        for level in range(tiers):
            if len(found) >= limit:
                break
            rows = self.db.execute(
                f"{self._KNOWN_SQL} AND status = 'active' AND recheck_tier = ? AND recheck_due_at <= ?"
                " ORDER BY recheck_due_at LIMIT ?",
                [self.watch, level, now, limit - len(found)],
            ).fetchall()
            found += [KnownReport.from_row(row) for row in rows]
        return found

    def set_tier(self, url: str, level: int) -> None:
        self.db.execute("UPDATE reports SET recheck_tier = ? WHERE watch = ? AND url = ?", [level, self.watch, url])

    def due_for_recheck(self, now: str, limit: int) -> list[KnownReport]:
        rows = self.db.execute(
            f"{self._KNOWN_SQL} AND status = 'active' AND recheck_due_at <= ? ORDER BY recheck_due_at LIMIT ?",
            [self.watch, now, limit],
        ).fetchall()
        return [KnownReport.from_row(row) for row in rows]

    def suspected_gone(self) -> list[KnownReport]:
        """Active reports with a not-found verdict to confirm (a partial index keeps this cheap)."""
        rows = self.db.execute(
            f"{self._KNOWN_SQL} AND gone_since IS NOT NULL AND status = 'active'", [self.watch]
        ).fetchall()
        return [KnownReport.from_row(row) for row in rows]

    def count_active(self) -> int:
        sql = "SELECT count(*) FROM reports WHERE watch = ? AND status = 'active'"
        return self.db.execute(sql, [self.watch]).fetchone()[0]

    def current_fields(self, url: str) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                "SELECT v.* FROM reports r JOIN report_versions v ON v.report_id = r.id AND v.version = r.version"
                " WHERE r.watch = ? AND r.url = ?",
                [self.watch, url],
            )
        )
        return fields_of(rows[0]) if rows else None

    def stored(self, url: str) -> StoredReport:
        """The report as it is now stored: what an event shows."""
        row = next(
            self.db.query(
                "SELECT v.*, r.id AS report_id, r.status, r.version, r.first_seen, r.updated_at FROM reports r"
                " JOIN report_versions v ON v.report_id = r.id AND v.version = r.version"
                " WHERE r.watch = ? AND r.url = ?",
                [self.watch, url],
            )
        )
        return StoredReport(
            url, fields_of(row), row["status"], row["version"], row["first_seen"], row["updated_at"], self.watch,
            row["report_id"],
        )  # fmt: skip

    # -- what a poll stores ----------------------------------------------------------------------
    def save_version(
        self,
        *,
        url: str,
        fields: dict[str, Any],
        content_hash: str,
        changed: Iterable[str],
        now: str,
        recheck_due_at: str,
        etag: str | None,
        last_modified: str | None,
        listed: Listed | None,
        poll_id: int | None,
        extractor_version: int,
        reextracted: bool = False,
        response_id: int | None = None,
    ) -> StoredReport:
        """A new version of a report (first sight, an edit, back after removal, or read anew by a
        newer extractor). Run it in the caller's transaction, with the event that announces it."""
        row = self.db.execute(
            "SELECT id, version, first_seen FROM reports WHERE watch = ? AND url = ?", [self.watch, url]
        ).fetchone()
        version = (row[1] + 1) if row else 1
        report = {
            "watch": self.watch, "url": url, "status": "active", "version": version, "content_hash": content_hash,
            "first_seen": row[2] if row else now, "updated_at": now, "last_fetched_at": now,
            "recheck_due_at": recheck_due_at, "etag": etag, "last_modified": last_modified, "failures": 0,
            "last_error": None, "gone_since": None, "gone_kind": None, "gone_detail": None,
            "extractor_version": extractor_version,
        }  # fmt: skip
        if listed is not None:
            report.update(list_title=listed[0], list_date=listed[1], last_listed_at=listed[2])
        if row:
            report_id = row[0]
            self.db["reports"].update(report_id, report)
        else:
            report_id = int(self.db["reports"].insert(report).last_pk)
        self.db.execute("DELETE FROM walk_items WHERE watch = ? AND url = ?", [self.watch, url])
        self.db["report_versions"].insert(
            {
                "report_id": report_id,
                "watch": self.watch,
                "url": url,
                "version": version,
                **{f.name: stored_value(f, fields.get(f.name, f.empty)) for f in FIELDS},
                "content_hash": content_hash,
                "changed_fields": json.dumps(sorted(changed), ensure_ascii=False),
                "stored_at": now,
                "poll_id": poll_id,
                "extractor_version": extractor_version,
                "reextracted": int(reextracted),
                "response_id": response_id,
            }
        )
        search.index(self.db, report_id, fields)  # the search index follows the latest version
        return StoredReport(url, fields, "active", version, report["first_seen"], now, self.watch, report_id)

    def version_of(self, url: str) -> int:
        row = self.db.execute("SELECT version FROM reports WHERE watch = ? AND url = ?", [self.watch, url]).fetchone()
        return row[0] if row else 0

    def set_attachments(self, url: str, attachments: list[dict[str, Any]]) -> None:
        """Attachment facts learnt after the current version was stored (a late download): they
        are not part of its content hash, so the version keeps its hash and its chain link."""
        self.db.execute(
            "UPDATE report_versions SET attachments = ? WHERE watch = ? AND url = ?"
            " AND version = (SELECT version FROM reports WHERE watch = ? AND url = ?)",
            [json.dumps(attachments, ensure_ascii=False), self.watch, url, self.watch, url],
        )

    def content_hash_of(self, url: str) -> str:
        sql = "SELECT content_hash FROM reports WHERE watch = ? AND url = ?"
        row = self.db.execute(sql, [self.watch, url]).fetchone()
        return row[0] if row else ""

    def mark_removed(self, url: str, now: str) -> StoredReport:
        """A confirmed removal (in the caller's transaction, with its event)."""
        self.db.execute(
            "UPDATE reports SET status = 'removed', updated_at = ?, gone_since = NULL, gone_kind = NULL,"
            " gone_detail = NULL WHERE watch = ? AND url = ?",
            [now, self.watch, url],
        )
        return self.stored(url)

    def restore(self, url: str, now: str, recheck_due_at: str, listed: Listed | None) -> StoredReport:
        """A removed report back as it was (its fields unchanged): no new version."""
        self.db.execute(
            "UPDATE reports SET status = 'active', updated_at = ?, last_fetched_at = ?, recheck_due_at = ?,"
            " failures = 0, last_error = NULL WHERE watch = ? AND url = ?",
            [now, now, recheck_due_at, self.watch, url],
        )
        if listed is not None:
            self.db.execute(
                "UPDATE reports SET list_title = ?, list_date = ?, last_listed_at = ? WHERE watch = ? AND url = ?",
                [*listed, self.watch, url],
            )
        self.db.execute("DELETE FROM walk_items WHERE watch = ? AND url = ?", [self.watch, url])
        return self.stored(url)

    def touch(
        self,
        url: str,
        now: str,
        recheck_due_at: str,
        etag: str | None = None,
        last_modified: str | None = None,
        extractor_version: int | None = None,
    ) -> None:
        """Fetched again, nothing changed: only the schedule and validators move (and the
        extractor, when a newer one read the page the same)."""
        self.db.execute(
            "UPDATE reports SET last_fetched_at = ?, recheck_due_at = ?, etag = COALESCE(?, etag),"
            " last_modified = COALESCE(?, last_modified), failures = 0, last_error = NULL, gone_since = NULL,"
            " gone_kind = NULL, gone_detail = NULL, extractor_version = COALESCE(?, extractor_version)"
            " WHERE watch = ? AND url = ?",
            [now, recheck_due_at, etag, last_modified, extractor_version, self.watch, url],
        )

    def record_failure(self, url: str, error: str, now: str, retry_at: str) -> None:
        self.db.execute(
            "UPDATE reports SET failures = failures + 1, last_error = ?, recheck_due_at = ?"
            " WHERE watch = ? AND url = ?",
            [error, retry_at, self.watch, url],
        )

    def mark_listed(self, entries: Iterable[tuple[str, str, str | None]], now: str, due: str) -> None:
        """Remember when (and as what) each known report was last seen on a list page; one whose
        entry changed (its title or date on the list) is due for a re-check at ``due``."""
        entries = list(entries)
        self.db.conn.executemany(
            "UPDATE reports SET recheck_due_at = ?, recheck_tier = 0 WHERE watch = ? AND url = ? AND status = 'active'"
            " AND list_title IS NOT NULL AND (list_title IS NOT ? OR list_date IS NOT ?)",
            [(due, self.watch, url, title, date) for url, title, date in entries],
        )
        self.db.conn.executemany(
            "UPDATE reports SET last_listed_at = ?, list_title = ?, list_date = ? WHERE watch = ? AND url = ?",
            [(now, title, date, self.watch, url) for url, title, date in entries],
        )

    def listed_again(self, urls: Sequence[str], now: str, active_only: bool = False) -> int:
        """Known reports seen again on list pages that have not changed (304s): one statement.
        How many it marked (``active_only``: of the active ones)."""
        active = " AND +status = 'active'" if active_only else ""  # +: by URL, not by the status indexes
        return self.db.execute(
            "UPDATE reports SET last_listed_at = ? WHERE watch = ? AND url IN (SELECT value FROM json_each(?))"
            + active,
            [now, self.watch, json.dumps(list(urls), ensure_ascii=False)],
        ).rowcount

    def suspect_gone(self, url: str, kind: str, detail: str, now: str) -> None:
        """A first not-found verdict: nothing is announced until the next poll confirms it."""
        self.db.execute(
            "UPDATE reports SET gone_since = COALESCE(gone_since, ?), gone_kind = ?, gone_detail = ?"
            " WHERE watch = ? AND url = ?",
            [now, kind, detail, self.watch, url],
        )

    def clear_gone(self, url: str) -> None:
        self.db.execute(
            "UPDATE reports SET gone_since = NULL, gone_kind = NULL, gone_detail = NULL WHERE watch = ? AND url = ?",
            [self.watch, url],
        )

    def set_noise(self, url: str, shapes: frozenset[str]) -> None:
        self.db.execute(
            "UPDATE reports SET noise = ? WHERE watch = ? AND url = ?",
            [json.dumps(sorted(shapes), ensure_ascii=False), self.watch, url],
        )
