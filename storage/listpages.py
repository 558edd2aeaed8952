"""List pages a walk read from a server that sends validators (list_pages): the next walk
asks for each conditionally, and a 304 gives back its items without reading it again."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from domain.report import KnownListPage, ListingEntry

if TYPE_CHECKING:  # sqlite-utils is the writer's: a reader starts without it
    from sqlite_utils import Database


class ListPages:
    def __init__(self, db: Database, watch: str) -> None:
        self.db = db
        self.watch = watch

    def get(self, url: str) -> KnownListPage | None:
        row = self.db.execute(
            "SELECT etag, last_modified, items, added, total_pages FROM list_pages WHERE watch = ? AND url = ?",
            [self.watch, url],
        ).fetchone()
        if row is None:
            return None
        etag, last_modified, items, added, total = row
        entries = tuple(ListingEntry(title, item_url, date) for title, item_url, date in json.loads(items))
        return KnownListPage(url, etag, last_modified, entries, tuple(json.loads(added)), total)

    def keep(self, page: KnownListPage, now: str) -> None:
        items = json.dumps([[i.title, i.url, i.date] for i in page.items], ensure_ascii=False, separators=(",", ":"))
        self.db.execute(
            "INSERT INTO list_pages (watch, url, etag, last_modified, items, added, total_pages, read_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (watch, url) DO UPDATE SET etag = excluded.etag,"
            " last_modified = excluded.last_modified, items = excluded.items, added = excluded.added,"
            " total_pages = excluded.total_pages, read_at = excluded.read_at",
            [self.watch, page.url, page.etag, page.last_modified, items, json.dumps(list(page.added)),
             page.total_pages, now],
        )  # fmt: skip

    def touch(self, urls: Iterable[str], now: str) -> None:
        """Pages that answered 304: still part of the list."""
        sql = "UPDATE list_pages SET read_at = ? WHERE watch = ? AND url = ?"
        self.db.conn.executemany(sql, [(now, self.watch, url) for url in urls])

    def forget_before(self, started_at: str) -> None:
        """After a complete walk: pages it did not read are no longer part of the list."""
        self.db.execute("DELETE FROM list_pages WHERE watch = ? AND read_at < ?", [self.watch, started_at])
