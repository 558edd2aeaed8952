"""Opening the archive: the one writer (lock, migrations, watchers registered) or a reader.

Every command that polls or delivers opens it through ``open_writer``, which takes the
writer lock before anything else touches the file, so creating and migrating an
archive happen once, by one process. Read-only commands use ``open_reader``: they
never create, migrate or write, and so can never make a writer fail.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

from domain.events import Subscription
from domain.watch import DEFAULT
from jobs.config import Config
from notify.base import Watcher
from storage.archive import Archive
from storage.db import connect, open_db, open_readonly, quick_check
from storage.errors import describe, folder_problem
from storage.lock import WriterLock

log = logging.getLogger("ayrdw")


def all_watchers(config: Config) -> tuple[Watcher, ...]:
    return (*config.watchers, *config.alerts)


def subscriptions(config: Config) -> list[Subscription]:
    """Report watchers with the events they want ([[alerts]] get only trouble messages)."""
    return [
        Subscription(
            w.id,
            frozenset(w.events or config.notify.events),
            config.notify.on_baseline,
            frozenset(w.watches) if w.watches is not None else None,
        )
        for w in config.watchers
    ]


def alert_subscriptions(config: Config) -> list[Subscription]:
    """Operators, with the watches whose trouble they hear of."""
    return [
        Subscription(w.id, frozenset(), watches=frozenset(w.watches) if w.watches is not None else None)
        for w in config.alerts
    ]


@dataclass
class Writer:
    """The archive opened for writing, with the lock that makes this process its only writer."""

    config: Config
    lock: WriterLock
    archive: Archive

    def another_connection(self) -> Archive:
        """The archive on a connection of its own, for another thread of this process (SQLite
        connections are not shared between threads that write)."""
        return Archive(connect(self.config.storage.db))

    def close(self) -> None:
        self.archive.close()
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
        raise folder_problem(path, exc) from None
    try:
        archive = Archive(open_db(path))
        quick_check(archive.db, path)
        archive.outbox.register_watchers(((w.id, w.kind, w.role, w.label) for w in all_watchers(config)), now)
        archive.polls.close_interrupted(now)
        archive.shared.set("integrity_checked_at", now, now)
        _name_the_default_watch(archive, config)
    except sqlite3.Error as exc:
        lock.release()
        raise describe(exc, path) from None
    except BaseException:
        lock.release()
        raise
    return Writer(config, lock, archive)


def _name_the_default_watch(archive: Archive, config: Config) -> None:
    """An archive from before watches holds one section's rows, named "default". A config with
    exactly one watch of another name takes them over, once, with everything they hold."""
    if len(config.watches) != 1 or config.watches[0].name == DEFAULT:
        return
    if archive.queries.archived_watches() != [DEFAULT]:
        return
    name = config.watches[0].name
    with archive.transaction():
        for table in ("reports", "report_versions", "events", "walk_items", "site_state", "polls", "alerts"):
            archive.db.execute(f"UPDATE {table} SET watch = ? WHERE watch = ?", [name, DEFAULT])
    log.info("the archive's rows of the watch %r are now the watch %r's", DEFAULT, name)


def open_reader(config: Config) -> Archive:
    """The archive for reading (storage.errors.ArchiveError when it is missing or older)."""
    return Archive(open_readonly(config.storage.db))


def open_archive(config: Config, now: str) -> Archive:
    """The archive opened for writing without the lock: tests and benchmarks in one process."""
    archive = Archive(open_db(config.storage.db))
    archive.outbox.register_watchers(((w.id, w.kind, w.role, w.label) for w in all_watchers(config)), now)
    return archive
