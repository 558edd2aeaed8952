"""Each report's attachment files as the archive knows them (``attachment_files``): the last
kept download's facts, the validators for a conditional re-fetch, and, for a file with no
hash, why and when to try again. SQL only: jobs/attachments.py decides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database


@dataclass(frozen=True)
class FileState:
    """One attachment of one report, as last seen."""

    report_url: str
    url: str
    name: str | None = None
    sha256: str | None = None
    size: int | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    response_id: int | None = None
    fetched_at: str | None = None  # the last download that brought the file
    checked_at: str | None = None  # the last time the file was asked for
    failures: int = 0
    error: str | None = None  # why there is no (new) hash
    retry_at: str | None = None  # when a file with no hash is tried again (None: at the report's re-check)

    def facts(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size, "content_type": self.content_type}


COLUMNS = tuple(FileState.__dataclass_fields__)


class AttachmentFiles:
    def __init__(self, db: Database, watch: str) -> None:
        self.db = db
        self.watch = watch

    def _rows(self, where: str, args: Sequence[Any]) -> list[FileState]:
        sql = f"SELECT {', '.join(COLUMNS)} FROM attachment_files WHERE watch = ? AND {where}"
        return [FileState(*row) for row in self.db.execute(sql, [self.watch, *args]).fetchall()]

    def of(self, report_url: str) -> dict[str, FileState]:
        """A report's attachment files by URL."""
        return {f.url: f for f in self._rows("report_url = ?", [report_url])}

    def due(self, now: str, limit: int) -> list[FileState]:
        """Files with no hash whose retry is due, of active reports, oldest first."""
        return self._rows(
            "retry_at IS NOT NULL AND retry_at <= ? AND report_url IN (SELECT url FROM reports WHERE watch = ?"
            " AND status = 'active') ORDER BY retry_at LIMIT ?",
            [now, self.watch, limit],
        )

    def counts(self, report_urls: Sequence[str]) -> dict[str, int]:
        """How many attachment files each report has (a re-check costs one request more each)."""
        found: dict[str, int] = {}
        for start in range(0, len(report_urls), 500):
            chunk = list(report_urls[start : start + 500])
            marks = ",".join("?" for _ in chunk)
            sql = (f"SELECT report_url, count(*) FROM attachment_files WHERE watch = ? AND report_url IN ({marks})"
                   " GROUP BY report_url")  # fmt: skip
            found.update(dict(self.db.execute(sql, [self.watch, *chunk]).fetchall()))
        return found

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM attachment_files WHERE watch = ?", [self.watch]).fetchone()[0])

    def save(self, state: FileState) -> None:
        """Insert or replace what is known of one file (in the caller's transaction)."""
        values = {k: getattr(state, k) for k in COLUMNS}
        columns = ", ".join(["watch", *COLUMNS])
        marks = ", ".join("?" for _ in range(len(COLUMNS) + 1))
        updates = ", ".join(f"{k} = excluded.{k}" for k in COLUMNS if k not in ("report_url", "url"))
        self.db.execute(
            f"INSERT INTO attachment_files ({columns}) VALUES ({marks})"
            f" ON CONFLICT (watch, report_url, url) DO UPDATE SET {updates}",
            [self.watch, *values.values()],
        )

    def all(self, report_url: str | None = None) -> list[FileState]:
        if report_url is None:
            return self._rows("1 ORDER BY id", [])
        return self._rows("report_url = ? ORDER BY id", [report_url])
