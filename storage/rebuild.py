"""The table rebuilds of the watches migration (m005): SQLite cannot change a table's key or
CHECK in place, so each table is copied into a new one with every row kept."""

from __future__ import annotations

from sqlite_utils import Database

_PROCESS_STATE = "key LIKE 'robots%' OR key = 'integrity_checked_at'"  # shared by every watch


def versions_by_report(db: Database) -> None:
    """report_versions keyed by the report's id; its field columns (a declared field adds one)
    are carried over as they are."""
    fixed = {"id", "url", "version", "content_hash", "changed_fields", "stored_at", "poll_id"}
    fields = [c.name for c in db["report_versions"].columns if c.name not in fixed]
    field_sql = "".join(f"[{name}] TEXT, " for name in fields if name not in ("text", "attachments", "credits"))
    db.execute(
        f"""
        CREATE TABLE report_versions_new (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports (id),
            watch TEXT NOT NULL,
            url TEXT NOT NULL,
            version INTEGER NOT NULL,
            {field_sql}text TEXT NOT NULL,
            attachments TEXT NOT NULL,
            credits TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            changed_fields TEXT NOT NULL,
            stored_at TEXT NOT NULL,
            poll_id INTEGER,
            UNIQUE (report_id, version)
        )"""
    )
    names = ", ".join(f"[{name}]" for name in fields)
    db.execute(
        f"INSERT INTO report_versions_new (id, report_id, watch, url, version, {names}, content_hash,"
        f" changed_fields, stored_at, poll_id) SELECT v.id, r.id, r.watch, v.url, v.version,"
        f" {', '.join(f'v.[{name}]' for name in fields)}, v.content_hash, v.changed_fields, v.stored_at, v.poll_id"
        " FROM report_versions v JOIN reports_new r ON r.url = v.url"
    )
    db.execute("DROP TABLE report_versions")
    db.execute("ALTER TABLE report_versions_new RENAME TO report_versions")
    db.execute("CREATE INDEX report_versions_watch ON report_versions (watch, url)")


def events_by_report(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE events_new (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('new', 'changed', 'removed', 'restored')),
            report_id INTEGER NOT NULL REFERENCES reports (id),
            watch TEXT NOT NULL,
            url TEXT NOT NULL,
            version INTEGER NOT NULL,
            baseline INTEGER NOT NULL DEFAULT 0,
            changes TEXT NOT NULL,
            occurred_at TEXT NOT NULL,
            poll_id INTEGER,
            payload TEXT,
            removal TEXT
        )"""
    )
    db.execute(
        "INSERT INTO events_new (id, kind, report_id, watch, url, version, baseline, changes, occurred_at, poll_id,"
        " payload, removal) SELECT e.id, e.kind, r.id, r.watch, e.url, e.version, e.baseline, e.changes,"
        " e.occurred_at, e.poll_id, e.payload, e.removal FROM events e JOIN reports_new r ON r.url = e.url"
    )
    db.execute("DROP TABLE events")
    db.execute("ALTER TABLE events_new RENAME TO events")
    db.execute("CREATE INDEX events_report ON events (report_id)")
    db.execute("CREATE INDEX events_watch ON events (watch, id)")


def walk_items_by_watch(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE walk_items_new (
            watch TEXT NOT NULL,
            url TEXT NOT NULL,
            title TEXT,
            date TEXT,
            listed_at TEXT NOT NULL,
            baseline INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try_at TEXT NOT NULL,
            last_error TEXT,
            PRIMARY KEY (watch, url)
        )"""
    )
    db.execute(
        "INSERT INTO walk_items_new SELECT 'default', url, title, date, listed_at, baseline, attempts, next_try_at,"
        " last_error FROM walk_items ORDER BY rowid"
    )
    db.execute("DROP TABLE walk_items")
    db.execute("ALTER TABLE walk_items_new RENAME TO walk_items")


def state_by_watch(db: Database) -> None:
    """site_state keyed by watch; robots.txt (per host) and the integrity check stay the
    process's (watch '')."""
    db.execute(
        """
        CREATE TABLE site_state_new (
            watch TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (watch, key)
        )"""
    )
    db.execute(
        f"INSERT INTO site_state_new SELECT CASE WHEN {_PROCESS_STATE} THEN '' ELSE 'default' END, key, value,"
        " updated_at FROM site_state"
    )
    db.execute("DROP TABLE site_state")
    db.execute("ALTER TABLE site_state_new RENAME TO site_state")
