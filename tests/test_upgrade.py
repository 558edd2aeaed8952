"""Archives written by earlier releases open with this one, with nothing lost.

Each ``tests/fixtures/archive-<version>.db`` was made by that release's own command line
(tests/fixtures/make_archive.py) from the fixture site served at a fixed loopback
address: a baseline announced to a webhook that never answered (every delivery still
pending), an edit and its revert, a new report and its removal. The site it ended on is
the unchanged fixture site, so polling that site again must find nothing to announce:
the content hash of this release is byte-identical to the one that wrote the archive.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from fixturesite.server import FixtureServer
from storage.migrations import migrations
from storage.schema import MIGRATIONS
from tests.fixtures.make_archive import HOOK, HOST, PORT
from tests.procs import WebhookReceiver, cli

FIXTURES = Path(__file__).parent / "fixtures"
ARCHIVES = sorted(FIXTURES.glob("archive-*.db"), key=lambda p: tuple(int(n) for n in p.stem.split("-")[1].split(".")))
KEPT = {
    "reports": "SELECT url, status, version, content_hash, first_seen FROM reports ORDER BY url",
    "report_versions": "SELECT url, version, title, published, source, text, attachments, credits, content_hash,"
    " stored_at FROM report_versions ORDER BY url, version",
    "events": "SELECT id, kind, url, version, baseline, changes, occurred_at, payload FROM events ORDER BY id",
    "deliveries": "SELECT id, watcher_id, event_id, status FROM deliveries ORDER BY id",
}


def page_words(attachments: str) -> list[dict[str, str]]:
    """An attachments column without the facts the archive adds when it downloads the files."""
    return [{k: a[k] for k in ("name", "url") if k in a} for a in json.loads(attachments)]


def snapshot(db: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in KEPT.items()}


def test_there_is_an_archive_of_every_schema_since_0_1_0() -> None:
    assert [p.name for p in ARCHIVES][:2] == ["archive-0.1.0.db", "archive-0.2.0.db"]
    assert ARCHIVES[-1].name == "archive-0.10.0.db"


def test_readers_know_every_migration_by_name() -> None:
    """Readers check an archive against storage/schema.py without loading the migrations."""
    assert [m.name for m in migrations._migrations] == list(MIGRATIONS)


def write_config(tmp_path: Path, db: Path, watch: str | None) -> Path:
    """The config the archive was made with: [site], or one [[watch]] of that name."""
    where = (
        f'[[watch]]\nname = "{watch}"\nurl = "http://{HOST}:{PORT}/"\nsection = "监督工作"\n'
        if watch
        else f'[site]\nurl = "http://{HOST}:{PORT}/"\n'
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[crawl]\ndelay = "0s"\nrecheck = "0s"\n[storage]\ndb = "{db}"\n[notify]\non_baseline = true\n'
        f'[[watchers]]\nkind = "webhook"\nurl = "{HOOK}"\nsecret = "fixture-secret"\n{where}',
        encoding="utf-8",
    )
    return config


@pytest.mark.parametrize("watch", [None, "anyue-jdgz"], ids=["site", "one-named-watch"])
@pytest.mark.parametrize("archive", ARCHIVES, ids=lambda p: p.stem)
def test_an_archive_of_an_earlier_release_upgrades_with_nothing_lost_and_nothing_to_announce(
    archive: Path, watch: str | None, tmp_path: Path, archive_site: FixtureServer
) -> None:
    db = tmp_path / "archive.db"
    shutil.copyfile(archive, db)
    before = snapshot(db)
    config = write_config(tmp_path, db, watch)
    if migrations.pending(Database(sqlite3.connect(db))):
        old = cli(config, "status")
        assert old.returncode == 1 and "needs upgrading: run ayrdw-watch poll (or run) once" in old.stderr
    polled = cli(config, "-v", "poll")
    assert polled.returncode == 0, polled.stderr
    renamed = [line for line in polled.stderr.splitlines() if "are now the watch" in line]
    assert len(renamed) == (1 if watch else 0), polled.stderr
    summary = polled.stdout.strip().splitlines()[-1]
    assert " new=0 changed=0 " in summary and " removed=0 " in summary, summary
    after = snapshot(db)
    for table in ("reports", "events"):
        assert after[table] == before[table], f"{table} kept as it was"

    def bare(versions: list[tuple]) -> list[tuple]:
        return [(*v[:6], page_words(v[6]), *v[7:]) for v in versions]

    assert bare(after["report_versions"]) == bare(before["report_versions"]), "versions kept, but for files' facts"
    with sqlite3.connect(db) as conn:
        kept_counts = conn.execute("SELECT watch, status, n FROM report_counts ORDER BY 1, 2").fetchall()
        counted = conn.execute("SELECT watch, status, count(*) FROM reports GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
        kept_versions = conn.execute("SELECT watch, n FROM version_counts ORDER BY 1").fetchall()
        versions = conn.execute("SELECT watch, count(*) FROM report_versions GROUP BY 1 ORDER BY 1").fetchall()
        triggers = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    kinds = ("insert", "delete", "update")
    assert {f"{t}_{k}" for t in ("report_counts", "version_counts") for k in kinds} <= triggers, "a rebuild keeps them"
    assert kept_counts == counted and kept_versions == versions, "the counts the archive keeps are its rows'"
    with sqlite3.connect(db) as conn:
        files = dict(conn.execute("SELECT url, sha256 FROM attachment_files WHERE sha256 IS NOT NULL"))
    filled = {a["url"]: a["sha256"] for v in after["report_versions"] for a in json.loads(v[6]) if "sha256" in a}
    assert files and filled == files, "each file's hash, downloaded late, is filled into the current version"
    kept = {(d[0], d[1], d[2]) for d in after["deliveries"]}
    assert {(d[0], d[1], d[2]) for d in before["deliveries"]} <= kept, "every delivery kept"
    assert len(before["deliveries"]) == len(before["events"]) >= 27, "one pending delivery per event"
    exported = cli(config, "export")
    assert exported.returncode == 0 and len(exported.stdout.splitlines()) == 24
    assert {json.loads(line)["watch"] for line in exported.stdout.splitlines()} == {watch or "default"}
    assert cli(config, "status").returncode == 0


def test_pending_deliveries_of_an_earlier_release_are_sent_as_they_were_stored(
    tmp_path: Path, archive_site: FixtureServer
) -> None:
    db = tmp_path / "archive.db"
    shutil.copyfile(ARCHIVES[0], db)
    with sqlite3.connect(db) as conn:
        stored = {pid: payload for pid, payload in conn.execute(
            "SELECT d.id, e.payload FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.status = 'pending'"
        )}  # fmt: skip
    config = write_config(tmp_path, db, "anyue-jdgz")
    host, port = HOOK.split("//")[1].split("/")[0].split(":")
    with WebhookReceiver(host=host, port=int(port)) as hook:
        done = cli(config, "deliver")
        assert done.returncode == 0, done.stderr
    got = {r.delivery: r.body for r in hook.received}
    assert set(got) == set(stored) and len(got) == 27
    assert all(got[d] == json.loads(stored[d]) for d in got), "byte for byte the payload stored then"
    assert all("watch" not in body for body in got.values()), "an older payload has no watch: it is sent so"


def test_a_message_renders_from_a_payload_of_any_release() -> None:
    from domain.events import Notice
    from notify import render

    old = {"event": "report.new", "report": {"url": "http://a.gov.cn/1.html", "title": "关于某事的报告"},
           "changes": {}, "occurred_at": "2026-11-25T08:00:00+00:00"}  # fmt: skip
    for data in (old, {**old, "event": "report.removed"}, {"event": "alert.trouble", "occurred_at": "x"}):
        notice = Notice.from_payload(data)
        for text in (render.subject(notice, "[p]"), render.text_body(notice), render.html_body(notice)):
            assert isinstance(text, str) and text
