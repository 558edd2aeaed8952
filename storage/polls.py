"""One row per poll, and one per HTTP request it made (the fetch log)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from domain.fetchlog import FetchRecord

if TYPE_CHECKING:  # sqlite-utils is the writer's: a reader starts without it
    from sqlite_utils import Database


class Polls:
    """One watch's polls (``watch`` "": every watch's, for reading)."""

    def __init__(self, db: Database, watch: str = "") -> None:
        self.db = db
        self.watch = watch
        self._where = "watch = ?" if watch else "? = ''"  # an empty watch matches every row

    def start(self, now: str) -> int:
        cursor = self.db.execute(
            "INSERT INTO polls (started_at, status, watch) VALUES (?, 'running', ?)", [now, self.watch]
        )
        return int(cursor.lastrowid)

    def finish(self, poll_id: int, counts: dict[str, Any], now: str) -> None:
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

    def close_interrupted(self, now: str) -> int:
        """Polls left 'running' by a crash (kill -9, power loss): the writer calls this at start."""
        cursor = self.db.execute(
            "UPDATE polls SET status = 'interrupted', finished_at = ?,"
            " error = COALESCE(error, 'the process ended during the poll') WHERE status = 'running'",
            [now],
        )
        return cursor.rowcount

    def failed_in_a_row(self) -> int:
        rows = self.db.execute(
            f"SELECT status FROM polls WHERE {self._where} AND status NOT IN ('running', 'interrupted', 'stopped')"
            " ORDER BY id DESC LIMIT 100",
            [self.watch],
        )
        count = 0
        for (status,) in rows:
            if status != "failed":
                break
            count += 1
        return count

    def last(self, status: str | None = None) -> dict[str, Any] | None:
        """The last finished poll (of that status)."""
        where = "status = ?" if status else "status != 'running'"
        args = [self.watch, status] if status else [self.watch]
        rows = list(
            self.db.query(f"SELECT * FROM polls WHERE {self._where} AND {where} ORDER BY id DESC LIMIT 1", args)
        )
        return rows[0] if rows else None

    def running(self) -> int | None:
        """The id of a poll marked running (whether its process lives, the writer lock tells)."""
        row = self.db.execute(
            f"SELECT id FROM polls WHERE {self._where} AND status = 'running' ORDER BY id DESC LIMIT 1", [self.watch]
        ).fetchone()
        return row[0] if row else None
