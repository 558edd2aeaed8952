"""Opening the archive: the one writer (lock, migrations, watchers registered) or a reader.

Every command that polls or delivers opens it through ``open_writer``, which takes the
writer lock before anything else touches the file, so creating and migrating an
archive happen once, by one process. Read-only commands use ``open_reader``: they
never create, migrate or write, and so can never make a writer fail.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from jobs.config import Config, WatcherConfig
from storage.db import connect, open_db, open_readonly, quick_check
from storage.errors import ArchiveUnreachable, describe
from storage.lock import WriterLock
from storage.outbox import Outbox
from storage.reports import Store, Subscriber


def all_watchers(config: Config) -> tuple[WatcherConfig, ...]:
    return (*config.watchers, *config.alerts)


def subscribers(config: Config) -> list[Subscriber]:
    """Report watchers with the events they want ([[alerts]] get only trouble messages)."""
    return [
        Subscriber(w.id, frozenset(w.events or config.notify.events), config.notify.on_baseline)
        for w in config.watchers
    ]


@dataclass
class Writer:
    """The archive opened for writing, with the lock that makes this process its only writer."""

    config: Config
    lock: WriterLock
    store: Store

    def another_connection(self) -> Store:
        """A Store on a connection of its own, for another thread of this process (SQLite
        connections are not shared between threads that write)."""
        return Store(connect(self.config.storage.db), self.store.subscribers)

    def close(self) -> None:
        self.store.db.conn.close()
        self.lock.release()


def open_writer(config: Config, command: str, now: str) -> Writer:
    """Take the writer lock (storage.lock.ArchiveBusy when another process has it), then open,
    migrate and check the archive (storage.errors.ArchiveError, one line, when it cannot be
    used), register the configured watchers (a new one as of ``now``, so it receives only
    events created after it was added) and close polls a crash left running."""
    path = config.storage.db
    try:
        lock = WriterLock(path, command).acquire()
    except OSError as exc:
        raise ArchiveUnreachable(f"cannot create the archive's folder {path.parent} ({exc.strerror})") from None
    try:
        db = open_db(path)
        quick_check(db, path)
        Outbox(db).register_watchers(((w.id, w.kind, w.role, w.label) for w in all_watchers(config)), now)
        store = Store(db, subscribers(config))
        store.close_interrupted_polls(now)
        store.set_state("integrity_checked_at", now, now)
    except sqlite3.Error as exc:
        lock.release()
        raise describe(exc, path) from None
    except BaseException:
        lock.release()
        raise
    return Writer(config, lock, store)


def open_reader(config: Config) -> Store:
    """The archive for reading (storage.db.ArchiveError when it is missing or older)."""
    return Store(open_readonly(config.storage.db))


def open_store(config: Config, now: str) -> Store:
    """The archive opened for writing without the lock: tests and benchmarks in one process."""
    db = open_db(config.storage.db)
    Outbox(db).register_watchers(((w.id, w.kind, w.role, w.label) for w in all_watchers(config)), now)
    return Store(db, subscribers(config))
