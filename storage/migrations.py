"""The archive's schema, as the migrations that build it: each runs once, in order, with
sqlite-utils' built-in Migrations, so an archive written by an older release is upgraded
in place by the first command that writes it. Each schema change bumps the release and
commits an archive made by the release before it (tests/fixtures, tests/test_upgrade.py).
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from storage import rebuild
from storage.schema import MIGRATION_SET

migrations = Migrations(MIGRATION_SET)


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


@migrations()
def m003_walk_items(db: Database) -> None:
    """Long walks keep what they did: the reports a walk has listed and no poll has stored yet
    (with whether the baseline listed them), and the polls left 'running' by a crash."""
    db.execute(
        """
        CREATE TABLE walk_items (
            url TEXT PRIMARY KEY,
            title TEXT,
            date TEXT,
            listed_at TEXT NOT NULL,
            baseline INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try_at TEXT NOT NULL,
            last_error TEXT
        )"""
    )
    db.execute("CREATE INDEX reports_listed ON reports (status, last_listed_at)")


@migrations()
def m004_restored_and_confirmed(db: Database) -> None:
    """A removed report that comes back is 'restored' (the events table is rebuilt for its
    CHECK); a removal carries how it was confirmed; a report remembers a not-found verdict
    waiting for its confirmation, and the lines of its page that change on every request;
    a poll counts restores and the fetches that confirmed a change."""
    db.execute(
        """
        CREATE TABLE events_new (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('new', 'changed', 'removed', 'restored')),
            url TEXT NOT NULL REFERENCES reports (url),
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
        "INSERT INTO events_new (id, kind, url, version, baseline, changes, occurred_at, poll_id, payload)"
        " SELECT id, kind, url, version, baseline, changes, occurred_at, poll_id, payload FROM events"
    )
    db.execute("DROP TABLE events")
    db.execute("ALTER TABLE events_new RENAME TO events")
    db.execute("CREATE INDEX events_url ON events (url)")
    for column in ("gone_since TEXT", "gone_kind TEXT", "gone_detail TEXT", "noise TEXT"):
        db.execute(f"ALTER TABLE reports ADD COLUMN {column}")
    db.execute("CREATE INDEX reports_gone ON reports (gone_since) WHERE gone_since IS NOT NULL")
    for column in ("restored INTEGER NOT NULL DEFAULT 0", "confirms INTEGER NOT NULL DEFAULT 0"):
        db.execute(f"ALTER TABLE polls ADD COLUMN {column}")


# Report columns kept as they are by the watches migration (everything but the url, now beside a watch).
_REPORT_COLUMNS = (
    "status", "version", "content_hash", "first_seen", "updated_at", "last_fetched_at", "recheck_due_at",
    "last_listed_at", "list_title", "list_date", "etag", "last_modified", "failures", "last_error", "gone_since",
    "gone_kind", "gone_detail", "noise",
)  # fmt: skip


@migrations()
def m005_watches(db: Database) -> None:
    """Watches: every row that belongs to a watch names it, and a report's identity is its watch
    and its URL, with a stable integer id. Rows already there belong to the watch "default"
    (renamed to the config's one watch when it opens: jobs/watchers.py); report ids are the
    rows' old rowids, event ids are kept."""
    columns = ", ".join(_REPORT_COLUMNS)
    db.execute(
        """
        CREATE TABLE reports_new (
            id INTEGER PRIMARY KEY,
            watch TEXT NOT NULL,
            url TEXT NOT NULL,
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
            last_error TEXT,
            gone_since TEXT,
            gone_kind TEXT,
            gone_detail TEXT,
            noise TEXT,
            UNIQUE (watch, url)
        )"""
    )
    db.execute(
        f"INSERT INTO reports_new (id, watch, url, {columns}) SELECT rowid, 'default', url, {columns} FROM reports"
    )
    rebuild.versions_by_report(db)
    rebuild.events_by_report(db)
    db.execute("DROP TABLE reports")
    db.execute("ALTER TABLE reports_new RENAME TO reports")
    for index in (
        "reports_recheck ON reports (watch, status, recheck_due_at)",
        "reports_first_seen ON reports (watch, first_seen)",
        "reports_listed ON reports (watch, status, last_listed_at)",
        "reports_gone ON reports (watch, gone_since) WHERE gone_since IS NOT NULL",
        "reports_url ON reports (url)",
    ):
        db.execute(f"CREATE INDEX {index}")
    rebuild.walk_items_by_watch(db)
    rebuild.state_by_watch(db)
    db.execute("ALTER TABLE polls ADD COLUMN watch TEXT NOT NULL DEFAULT 'default'")
    db.execute("CREATE INDEX polls_watch ON polls (watch, id)")
    db.execute("ALTER TABLE alerts ADD COLUMN watch TEXT")
    db.execute("UPDATE alerts SET watch = 'default'")


@migrations()
def m006_extractor_version(db: Database) -> None:
    """Each version names the extractor that produced it (everything stored so far: extractor 1),
    and a version stored because a newer extractor read the page differently is marked
    re-extracted: it was never announced. A poll counts those."""
    db.execute("ALTER TABLE report_versions ADD COLUMN extractor_version INTEGER NOT NULL DEFAULT 1")
    db.execute("ALTER TABLE report_versions ADD COLUMN reextracted INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE reports ADD COLUMN extractor_version INTEGER NOT NULL DEFAULT 1")
    db.execute("ALTER TABLE polls ADD COLUMN reextracted INTEGER NOT NULL DEFAULT 0")


@migrations()
def m007_search(db: Database) -> None:
    """Full-text search over the latest version of every report (removed ones too): FTS5 with
    the trigram tokenizer, which finds any Chinese substring of 3 or more characters; the
    report id is the rowid. An existing archive is indexed here, with a progress line when
    it is large."""
    from storage.search import INDEX_SQL, index_existing

    db.execute(INDEX_SQL)
    index_existing(db)


@migrations()
def m008_evidence(db: Database) -> None:
    """Raw responses (blobs, content-addressed and compressed; responses with their request)
    and each watch's chain of links. The versions, removals and restores stored before start
    the chain in (stored_at, id) order, with no raw response (raw_sha256 null)."""
    from domain.evidence import GENESIS, link, record

    db.execute("CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, codec TEXT NOT NULL,"
               " data BLOB NOT NULL)")  # fmt: skip
    db.execute(
        "CREATE TABLE responses (id INTEGER PRIMARY KEY, watch TEXT NOT NULL, url TEXT NOT NULL, method TEXT NOT NULL,"
        " requested_at TEXT NOT NULL, request_headers TEXT NOT NULL, status INTEGER NOT NULL, headers TEXT NOT NULL,"
        " raw_sha256 TEXT NOT NULL REFERENCES blobs (sha256))"
    )
    db.execute(
        "CREATE TABLE chain (id INTEGER PRIMARY KEY, watch TEXT NOT NULL, kind TEXT NOT NULL, url TEXT NOT NULL,"
        " version INTEGER NOT NULL, at TEXT NOT NULL, content_hash TEXT NOT NULL, raw_sha256 TEXT,"
        " response_id INTEGER REFERENCES responses (id), prev TEXT NOT NULL, link TEXT NOT NULL UNIQUE)"
    )
    db.execute("CREATE INDEX chain_watch ON chain (watch, id)")
    db.execute("CREATE INDEX chain_url ON chain (watch, url, id)")
    db.execute("ALTER TABLE report_versions ADD COLUMN response_id INTEGER REFERENCES responses (id)")
    hashes = {(w, u, v): h for w, u, v, h in db.execute(
        "SELECT watch, url, version, content_hash FROM report_versions").fetchall()}  # fmt: skip
    entries = [
        (watch, at, 0, vid, "reextraction" if reextracted else "version", url, version)
        for vid, watch, url, version, at, reextracted in db.execute(
            "SELECT id, watch, url, version, stored_at, reextracted FROM report_versions"
        ).fetchall()
    ] + [
        (watch, at, 1, eid, "removal" if kind == "removed" else "restore", url, version)
        for eid, watch, url, version, at, kind in db.execute(
            "SELECT id, watch, url, version, occurred_at, kind FROM events WHERE kind IN ('removed', 'restored')"
        ).fetchall()
    ]
    heads: dict[str, str] = {}
    for watch, at, _, _, kind, url, version in sorted(entries):
        prev = heads.get(watch, GENESIS)
        digest = hashes.get((watch, url, version), "")
        value = link(prev, record(kind, watch, url, version, at, digest, None))
        db.execute(
            "INSERT INTO chain (watch, kind, url, version, at, content_hash, raw_sha256, response_id, prev, link)"
            " VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)",
            [watch, kind, url, version, at, digest, prev, value],
        )
        heads[watch] = value


@migrations()
def m009_signatures(db: Database) -> None:
    """Chain heads signed with the operator's Ed25519 key ([evidence] signing_key_env): the head,
    its position in its watch's chain, the signature and the public key that checks it."""
    db.execute(
        "CREATE TABLE signatures (id INTEGER PRIMARY KEY, watch TEXT NOT NULL, idx INTEGER NOT NULL,"
        " head TEXT NOT NULL, signature TEXT NOT NULL, public_key TEXT NOT NULL, signed_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX signatures_watch ON signatures (watch, idx)")


@migrations()
def m010_attachments(db: Database) -> None:
    """What the archive knows of each report's attachment files: the last kept download's hash,
    size and type, its validators for conditional re-fetches, and why a file has no hash yet
    (failing, too large, off-site) with when to try again. Polls count their downloads. Reports
    get their re-check tier (domain.schedule: 0 = first week ... 3 = older than a year), so a poll
    re-checks the youngest due reports first; reports stored before start in tier 0."""
    db.execute(
        "CREATE TABLE attachment_files (id INTEGER PRIMARY KEY, watch TEXT NOT NULL, report_url TEXT NOT NULL,"
        " url TEXT NOT NULL, name TEXT, sha256 TEXT, size INTEGER, content_type TEXT, etag TEXT, last_modified TEXT,"
        " response_id INTEGER REFERENCES responses (id), fetched_at TEXT, checked_at TEXT,"
        " failures INTEGER NOT NULL DEFAULT 0, error TEXT, retry_at TEXT, UNIQUE (watch, report_url, url))"
    )
    db.execute("CREATE INDEX attachment_files_retry ON attachment_files (watch, retry_at) WHERE retry_at IS NOT NULL")
    db.execute("CREATE INDEX attachment_files_url ON attachment_files (watch, url)")
    db.execute("ALTER TABLE polls ADD COLUMN attachments INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE reports ADD COLUMN recheck_tier INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE INDEX reports_tier ON reports (watch, status, recheck_tier, recheck_due_at)")


@migrations()
def m011_list_pages(db: Database) -> None:
    """Each list page a walk read from a server that sends validators (ETag / Last-Modified):
    the next walk asks for it conditionally, and a 304 gives back the items (and the list pages
    it queued) kept here, without reading the page again."""
    db.execute(
        "CREATE TABLE list_pages (watch TEXT NOT NULL, url TEXT NOT NULL, etag TEXT, last_modified TEXT,"
        " items TEXT NOT NULL, added TEXT NOT NULL, total_pages INTEGER, read_at TEXT NOT NULL,"
        " PRIMARY KEY (watch, url))"
    )


@migrations()
def m012_counts(db: Database) -> None:
    """Reports by watch and status, and versions by watch, kept by triggers as rows come and go:
    `status` of a thousand watches reads a thousand rows instead of scanning every report (1.7 s
    on a cold page cache at 270,000 reports). A later migration that rebuilds reports or
    report_versions must create these triggers again."""
    db.execute(
        "CREATE TABLE report_counts (watch TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL,"
        " PRIMARY KEY (watch, status)) WITHOUT ROWID"
    )
    db.execute("CREATE TABLE version_counts (watch TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
    db.execute("INSERT INTO report_counts SELECT watch, status, count(*) FROM reports GROUP BY watch, status")
    db.execute("INSERT INTO version_counts SELECT watch, count(*) FROM report_versions GROUP BY watch")
    _count_triggers(db, "reports", "report_counts", ("watch", "status"))
    _count_triggers(db, "report_versions", "version_counts", ("watch",))


def _count_triggers(db: Database, table: str, counts: str, keys: tuple[str, ...]) -> None:
    """Triggers that keep ``counts`` (``keys``, n) equal to the rows of ``table`` by those keys: a
    row added counts in, a row deleted counts out, a row whose keys change moves."""
    columns = ", ".join(keys)
    new = ", ".join(f"NEW.{key}" for key in keys)
    old = " AND ".join(f"{key} = OLD.{key}" for key in keys)
    count_in = f"INSERT INTO {counts} ({columns}, n) VALUES ({new}, 1) ON CONFLICT ({columns}) DO UPDATE SET n = n + 1;"
    count_out = f"UPDATE {counts} SET n = n - 1 WHERE {old}; DELETE FROM {counts} WHERE {old} AND n <= 0;"
    moved = " OR ".join(f"OLD.{key} IS NOT NEW.{key}" for key in keys)
    db.execute(f"CREATE TRIGGER {counts}_insert AFTER INSERT ON {table} BEGIN {count_in} END")
    db.execute(f"CREATE TRIGGER {counts}_delete AFTER DELETE ON {table} BEGIN {count_out} END")
    db.execute(
        f"CREATE TRIGGER {counts}_update AFTER UPDATE OF {columns} ON {table} WHEN {moved}"
        f" BEGIN {count_out} {count_in} END"
    )
