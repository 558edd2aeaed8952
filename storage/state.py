"""Small facts kept between polls (site_state): the list URL, robots.txt, list validators, the
walk cursor, baseline and full-walk times, trouble, the progress of the poll in flight."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sqlite-utils is the writer's: a reader starts without it
    from sqlite_utils import Database


class State:
    """One watch's facts, or (``watch`` "") the process's: robots.txt per host, the integrity check."""

    def __init__(self, db: Database, watch: str = "") -> None:
        self.db = db
        self.watch = watch

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM site_state WHERE watch = ? AND key = ?", [self.watch, key]).fetchone()
        return row[0] if row else None

    def many(self, keys: tuple[str, ...]) -> dict[str, str | None]:
        """Several facts in one query (a thousand watches' status)."""
        marks = ",".join("?" for _ in keys)
        rows = self.db.execute(
            f"SELECT key, value FROM site_state WHERE watch = ? AND key IN ({marks})", [self.watch, *keys]
        ).fetchall()
        return {key: None for key in keys} | dict(rows)

    def set(self, key: str, value: str | None, now: str) -> None:
        self.db.execute(
            "INSERT INTO site_state (watch, key, value, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (watch, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            [self.watch, key, value, now],
        )

    def with_prefix(self, prefix: str) -> dict[str, str]:
        """Every set key that starts with ``prefix``, without it."""
        rows = self.db.execute(
            "SELECT key, value FROM site_state WHERE watch = ? AND key LIKE ?", [self.watch, prefix + "%"]
        ).fetchall()
        return {key[len(prefix) :]: value for key, value in rows if value is not None}
