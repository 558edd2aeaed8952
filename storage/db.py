"""Open the SQLite archive: WAL, foreign keys, and the schema migrations.

Tables (one job each):

    reports          the latest state of each report: status, current version, validators, schedule
    report_versions  every distinct version of a report's fields (text stored once per version)
    events           new / changed / removed, pointing at the version they announce, with the
                     webhook body serialised once when the event is stored
    watchers         every watcher ever configured, and when it was added
    deliveries       the outbox: one row per event (or alert) and watcher, with attempts and backoff
    alerts           trouble started / cleared messages for operators
    fetches          one row per HTTP request a poll made
    polls            one row per poll: counts, requests, result
    site_state       small facts kept between polls: the list URL, robots.txt, list validators

The schema is created and migrated on open with sqlite-utils' built-in Migrations,
so a database written by an older release is upgraded in place.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database, Migrations

migrations = Migrations("ayrdw-watch")


@migrations()
def m001_initial(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE reports (
            url TEXT PRIMARY KEY,
            status TEXT NOT NULL CHECK (status IN ('active', 'removed')),
            version INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_fetched_at TEXT NOT NULL,
            recheck_due_at TEXT NOT NULL,
            last_listed_at TEXT,
            list_title TEXT,
            list_date TEXT,
            etag TEXT,
            last_modified TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        )"""
    )
    db.execute("CREATE INDEX reports_recheck ON reports (status, recheck_due_at)")
    db.execute("CREATE INDEX reports_first_seen ON reports (first_seen)")
    db.execute(
        """
        CREATE TABLE report_versions (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL REFERENCES reports (url),
            version INTEGER NOT NULL,
            title TEXT,
            published TEXT,
            source TEXT,
            text TEXT NOT NULL,
            attachments TEXT NOT NULL,
            credits TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            changed_fields TEXT NOT NULL,
            stored_at TEXT NOT NULL,
            poll_id INTEGER,
            UNIQUE (url, version)
        )"""
    )
    db.execute(
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('new', 'changed', 'removed')),
            url TEXT NOT NULL REFERENCES reports (url),
            version INTEGER NOT NULL,
            baseline INTEGER NOT NULL DEFAULT 0,
            changes TEXT NOT NULL,
            occurred_at TEXT NOT NULL,
            poll_id INTEGER
        )"""
    )
    db.execute("CREATE INDEX events_url ON events (url)")
    db.execute(
        """
        CREATE TABLE fetches (
            id INTEGER PRIMARY KEY,
            poll_id INTEGER,
            url TEXT NOT NULL,
            status INTEGER,
            bytes INTEGER NOT NULL,
            seconds REAL NOT NULL,
            error TEXT,
            fetched_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX fetches_poll ON fetches (poll_id)")
    db.execute(
        """
        CREATE TABLE polls (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            mode TEXT,
            pages INTEGER NOT NULL DEFAULT 0,
            found INTEGER NOT NULL DEFAULT 0,
            new INTEGER NOT NULL DEFAULT 0,
            changed INTEGER NOT NULL DEFAULT 0,
            removed INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            requests INTEGER NOT NULL DEFAULT 0,
            bytes INTEGER NOT NULL DEFAULT 0,
            seconds REAL,
            error TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE site_state (
            key TEXT PRIMARY KEY,
            value TEXT,
            updated_at TEXT NOT NULL
        )"""
    )


@migrations()
def m002_outbox(db: Database) -> None:
    """Notifications: the serialised event body, the watchers, alerts, and one delivery row
    per event (or alert) and watcher."""
    db.execute("ALTER TABLE events ADD COLUMN payload TEXT")
    db.execute(
        """
        CREATE TABLE watchers (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            role TEXT NOT NULL,
            label TEXT NOT NULL,
            added_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('trouble', 'recovered')),
            category TEXT NOT NULL,
            message TEXT NOT NULL,
            payload TEXT NOT NULL,
            occurred_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """
        CREATE TABLE deliveries (
            id TEXT PRIMARY KEY,
            watcher_id TEXT NOT NULL REFERENCES watchers (id),
            event_id INTEGER REFERENCES events (id),
            alert_id INTEGER REFERENCES alerts (id),
            status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            delivered_at TEXT,
            created_at TEXT NOT NULL,
            CHECK ((event_id IS NULL) != (alert_id IS NULL))
        )"""
    )
    db.execute("CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at)")


def open_db(path: str | Path) -> Database:
    """Open (creating if needed) and migrate the archive."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    db = Database(conn)
    if str(path) != ":memory:":
        db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses at most the last commit
    migrations.apply(db)
    return db
