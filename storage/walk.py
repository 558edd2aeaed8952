"""Reports a walk has listed and no poll has stored yet (walk_items): their page not read
yet, or failing. Kept with the walk's cursor, so a long walk resumes where it stopped, and
with whether the baseline listed them, so they stay silent whatever poll stores them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sqlite-utils is the writer's: a reader starts without it
    from sqlite_utils import Database


@dataclass(frozen=True)
class WalkItem:
    url: str
    title: str | None
    date: str | None
    listed_at: str  # ISO, to the microsecond: compared with a walk's start
    baseline: bool
    attempts: int


class WalkItems:
    def __init__(self, db: Database, watch: str) -> None:
        self.db = db
        self.watch = watch

    def add(self, entries: Iterable[tuple[str, str, str | None]], baseline: bool, now: str) -> None:
        """(url, title, date) of listed reports to fetch; one already waiting keeps its history
        (and its baseline flag: a report the baseline listed stays baseline)."""
        self.db.conn.executemany(
            "INSERT INTO walk_items (watch, url, title, date, listed_at, baseline, next_try_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (watch, url) DO UPDATE SET title = excluded.title,"
            " date = excluded.date, listed_at = excluded.listed_at",
            [(self.watch, url, title, date, now, int(baseline), now) for url, title, date in entries],
        )

    def due(self, now: str) -> list[WalkItem]:
        """Oldest listed first (lists run newest first), so new events come out in publication order."""
        rows = self.db.execute(
            "SELECT url, title, date, listed_at, baseline, attempts FROM walk_items"
            " WHERE watch = ? AND next_try_at <= ? ORDER BY rowid DESC",
            [self.watch, now],
        ).fetchall()
        return [WalkItem(url, title, date, at, bool(flag), tries) for url, title, date, at, flag, tries in rows]

    def is_waiting(self, url: str) -> bool:
        sql = "SELECT 1 FROM walk_items WHERE watch = ? AND url = ?"
        return self.db.execute(sql, [self.watch, url]).fetchone() is not None

    def failed(self, url: str, error: str, retry_at: str) -> None:
        self.db.execute(
            "UPDATE walk_items SET attempts = attempts + 1, last_error = ?, next_try_at = ?"
            " WHERE watch = ? AND url = ?",
            [error[:500], retry_at, self.watch, url],
        )

    def drop(self, url: str) -> None:
        self.db.execute("DELETE FROM walk_items WHERE watch = ? AND url = ?", [self.watch, url])
