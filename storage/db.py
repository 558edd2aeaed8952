"""Open the SQLite archive: WAL, foreign keys, and the schema migrations.

Tables (one job each):

    reports          the latest state of each report: status, current version, validators, schedule
    report_versions  every distinct version of a report's fields (text stored once per version)
    events           new / changed / removed / restored, pointing at the version they announce,
                     with the webhook body serialised once when the event is stored (and, for a
                     removal, how it was confirmed)
    watchers         every watcher ever configured, and when it was added
    deliveries       the outbox: one row per event (or alert) and watcher, with attempts and backoff
    alerts           trouble started / cleared messages for operators
    fetches          one row per HTTP request a poll made
    polls            one row per poll: counts, requests, result
    site_state       small facts kept between polls: the list URL, robots.txt, list validators,
                     the walk cursor, the progress of the poll in flight
    walk_items       reports a walk has listed that no poll has stored yet

The schema is created and migrated on open with sqlite-utils' built-in Migrations,
so a database written by an older release is upgraded in place.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.report import FIELDS
from storage.errors import (
    ArchiveDamaged,
    ArchiveError,
    ArchiveMissing,
    ArchiveNeedsUpgrade,
    ArchiveUnreachable,
    describe,
    folder_problem,
)
from storage.schema import MIGRATION_SET, MIGRATIONS

if TYPE_CHECKING:
    from sqlite_utils import Database

SQLITE_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


@contextlib.contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock when it begins (BEGIN IMMEDIATE).

    The service writes from two threads, each on its own connection. A deferred
    transaction that reads and then writes can fail at once with SQLITE_BUSY when the
    other connection committed in between; an immediate one waits its turn (the busy
    timeout) instead. Nested use is a savepoint."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    else:
        try:
            db.conn.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise


def _connect(target: str, uri: bool = False) -> Database:
    from sqlite_utils import Database  # the writer's library: readers start without it

    conn = sqlite3.connect(target, timeout=30, isolation_level=None, check_same_thread=False, uri=uri)
    return Database(conn)


class ReadDb:
    """What readers ask of an archive (``execute``, ``query``), over plain sqlite3: the
    read-only commands (status, export, history) start without loading sqlite-utils."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Any = None) -> sqlite3.Cursor:
        return self.conn.execute(sql, parameters or [])

    def query(self, sql: str, params: Any = None) -> Iterator[dict[str, Any]]:
        cursor = self.conn.execute(sql, params or [])
        keys = [d[0] for d in cursor.description or ()]
        for row in cursor:
            yield dict(zip(keys, row, strict=True))

    def close(self) -> None:
        self.conn.close()


def open_db(path: str | Path) -> Database:
    """Open (creating if needed) and migrate the archive: the writer's door.

    Call it only while holding the writer lock (storage.lock): creating and migrating
    happen once, by one process. A reader that has the new file open for a moment can
    hold off the switch to WAL; that is waited out, never reported."""
    path = Path(path)
    memory = str(path) == ":memory:"
    if not memory:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise folder_problem(path, exc) from None
        if path.is_dir():
            raise ArchiveUnreachable(f"the archive's path {path} is a folder, not a file")
    db = _connect(str(path))
    for attempt in range(20):
        try:
            if not memory:
                db.enable_wal()
            db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses at most the last commit
            from storage.migrations import migrations

            migrations.apply(db)  # before foreign keys are on: a table rebuild drops and renames
            _add_field_columns(db)
            db.execute("PRAGMA foreign_keys = ON")
            return db
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in SQLITE_BUSY_CODES or attempt == 19:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


def connect(path: str | Path) -> Database:
    """One more connection to an archive the writer has opened (another thread's own)."""
    db = _connect(str(path))
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")
    return db


def open_readonly(path: str | Path) -> ReadDb:
    """Open an existing archive for reading: never creates, never migrates, never writes.

    A file in a folder we cannot write (a read-only mount, someone else's backup) is
    opened ``immutable``: SQLite then needs no -shm file beside it."""
    path = Path(path)
    if path.is_dir():
        raise ArchiveError(f"no archive at {path} (it is a folder)")
    if not path.is_file():
        raise ArchiveMissing(f"no archive at {path}")
    writable = os.access(path.parent, os.W_OK) and os.access(path, os.W_OK)
    mode = "mode=ro" if writable else "mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", timeout=30, isolation_level=None, uri=True)
        db = ReadDb(conn)
        pending = _pending_migrations(db)
        missing = _missing_field_columns(db)
    except sqlite3.Error as exc:
        raise describe(exc, path) from None
    if pending or missing:
        raise ArchiveNeedsUpgrade(f"archive at {path} needs upgrading: run ayrdw-watch poll (or run) once")
    return db


def _pending_migrations(db: ReadDb) -> list[str]:
    """The schema's migrations this archive has not had (sqlite-utils records them in
    _sqlite_migrations), read with plain SQL."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = '_sqlite_migrations'").fetchone() is None:
        return list(MIGRATIONS)
    sql = "SELECT name FROM _sqlite_migrations WHERE migration_set = ?"
    applied = {name for (name,) in db.execute(sql, [MIGRATION_SET]).fetchall()}
    return [name for name in MIGRATIONS if name not in applied]


def _missing_field_columns(db: Database | ReadDb) -> list[str]:
    have = {row[1] for row in db.execute("PRAGMA table_info(report_versions)").fetchall()}
    return [f.name for f in FIELDS if f.name not in have]


def _add_field_columns(db: Database) -> None:
    """A column for every declared field (domain.report.FIELDS): a field declared after the
    archive was made gets its column when a writer opens it (older versions hold NULL there)."""
    for name in _missing_field_columns(db):
        db.execute(f"ALTER TABLE report_versions ADD COLUMN [{name}] TEXT")


def quick_check(db: Database | ReadDb, path: str | Path) -> None:
    """SQLite's quick integrity check: ArchiveDamaged when it fails. A writer runs it when it
    starts (and the service once a day), so a damaged archive is refused, not written to."""
    try:
        rows = [row[0] for row in db.execute("PRAGMA quick_check(5)").fetchall()]
    except sqlite3.Error as exc:
        raise describe(exc, path) from None
    if rows != ["ok"]:
        raise ArchiveDamaged(f"the archive at {path} is damaged ({'; '.join(rows)}); restore it from a backup")
