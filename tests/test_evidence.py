"""Evidence: the responses changes came from are kept, every change is a link of a chain, and
`verify` finds any later alteration -- by the real CLI on the fixture site and real SQLite files."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from domain.change import content_hash
from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from tests.conftest import ROOT, site_config
from tests.procs import cli

SECTION = "监督工作"


@pytest.fixture
def story(tmp_path: Path) -> dict:
    """A baseline, an edit, a removal (confirmed) and its restore, polled by the real CLI."""
    with FixtureServer(FixtureSite("trs")) as server:
        config = tmp_path / "c.toml"
        config.write_text(site_config(server, recheck="0s") + '[storage]\ndb = "a.db"\n', encoding="utf-8")
        site = server.site
        assert cli(config, "poll").returncode == 0
        edited = site.sections[SECTION][2]
        site.edit_report(edited.slug, paragraphs=[*edited.paragraphs, "（本文已更正：数据有误。）"])
        assert cli(config, "poll").returncode == 0
        gone = site.sections[SECTION][4]
        site.remove_report(gone.slug)
        assert cli(config, "poll").returncode == 0 and cli(config, "poll").returncode == 0
        site.add_report(site.report(gone.slug))
        assert cli(config, "poll").returncode == 0
        db = tmp_path / "a.db"
        with sqlite3.connect(db) as conn:
            responses = conn.execute("SELECT count(*) FROM responses").fetchone()[0]
        assert cli(config, "poll").returncode == 0  # idle: keeps nothing
        return {"config": config, "db": db, "edited": server.url(site.report_path(edited.slug)),
                "gone": server.url(site.report_path(gone.slug)), "responses": responses}  # fmt: skip


def rows(db: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def test_an_edit_keeps_the_response_it_came_from(story: dict) -> None:
    config, url = story["config"], story["edited"]
    proof = cli(config, "evidence", url)
    assert proof.returncode == 0, proof.stderr
    assert "version:       2" in proof.stdout and "answer:        HTTP 200" in proof.stdout
    assert re.search(r"user-agent: ayrdw-watch/\S+", proof.stdout) and "content-type: text/html" in proof.stdout
    raw = subprocess.run([sys.executable, str(ROOT / "schedule.py"), "--config", str(config), "evidence", url, "--raw"],
                         capture_output=True, cwd=config.parent, timeout=60).stdout  # fmt: skip
    sha = hashlib.sha256(raw).hexdigest()
    assert f"raw response:  sha256 {sha}" in proof.stdout
    assert "（本文已更正：数据有误。）" in raw.decode("utf-8"), "the bytes the site sent, before charset decoding"
    first = cli(config, "evidence", url, "--version", "1")
    assert first.returncode == 0 and "version:       1" in first.stdout
    assert cli(config, "evidence", url, "--version", "9").returncode == 2
    assert rows(story["db"], "SELECT count(*) FROM responses")[0][0] == story["responses"], "an idle poll keeps none"
    (blobs,) = rows(story["db"], "SELECT count(*) FROM blobs")[0]
    assert blobs <= story["responses"], "a body is stored once however many responses carry it"


def test_a_removal_and_a_restore_are_links_with_their_answers(story: dict) -> None:
    links = rows(story["db"], "SELECT kind, version, raw_sha256, response_id FROM chain WHERE url = ? ORDER BY id",
                 story["gone"])  # fmt: skip
    assert [k for k, *_ in links] == ["version", "removal", "restore"]
    removal = links[1]
    (status,) = rows(story["db"], "SELECT status FROM responses WHERE id = ?", removal[3])[0]
    assert status == 404 and removal[2] is not None
    assert links[2][2] is not None and links[2][1] == links[0][1] == 1, "restored as it was: the same version"


def test_verify_passes_and_the_chain_head_is_shown_everywhere(story: dict) -> None:
    done = cli(story["config"], "verify")
    assert done.returncode == 0, done.stdout + done.stderr
    head = rows(story["db"], "SELECT link FROM chain ORDER BY id DESC LIMIT 1")[0][0]
    assert f"head {head}" in done.stdout and "verify: ok" in done.stdout
    assert f"chain head:   {head}" in cli(story["config"], "status").stdout
    assert json.loads(cli(story["config"], "status", "--json").stdout)["watches"][0]["chain"] == head
    assert head[:16] in cli(story["config"], "watches").stdout


def tamper(db: Path, sql: str, *args: object) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(sql, args)


def test_one_changed_character_of_a_stored_text_is_found(story: dict) -> None:
    (vid, text) = rows(story["db"], "SELECT id, text FROM report_versions ORDER BY id LIMIT 1")[0]
    tamper(story["db"], "UPDATE report_versions SET text = ? WHERE id = ?", text.replace("县", "市", 1), vid)
    done = cli(story["config"], "verify")
    assert done.returncode == 1 and "do not hash to its content hash" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_text_changed_with_its_content_hash_is_found_by_the_chain(story: dict) -> None:
    config, db = story["config"], story["db"]
    export = [json.loads(line) for line in cli(config, "export").stdout.splitlines()]
    victim = next(r for r in export if r["url"] == story["edited"])
    fields = {k: victim[k] for k in ("title", "published", "source", "text", "attachments", "credits")}
    fields["text"] = fields["text"].replace("（本文已更正：数据有误。）", "（本文无误。）")
    tamper(db, "UPDATE report_versions SET text = ?, content_hash = ? WHERE url = ? AND version = 2",
           fields["text"], content_hash(fields), story["edited"])  # fmt: skip
    done = cli(config, "verify")
    assert done.returncode == 1 and "not the one the chain holds" in done.stderr, done.stderr


def test_a_rewritten_link_breaks_the_chain(story: dict) -> None:
    tamper(story["db"], "UPDATE chain SET at = '2020-01-01T00:00:00+00:00' WHERE id = 3")
    done = cli(story["config"], "verify")
    assert done.returncode == 1 and "link 3 " in done.stderr and "chain is broken" in done.stderr


def test_one_changed_byte_of_a_blob_is_found(story: dict) -> None:
    sha, data = rows(story["db"], "SELECT sha256, data FROM blobs LIMIT 1")[0]
    body = bytearray(zlib.decompress(data))
    body[len(body) // 2] ^= 1
    tamper(story["db"], "UPDATE blobs SET data = ? WHERE sha256 = ?", zlib.compress(bytes(body)), sha)
    done = cli(story["config"], "verify")
    assert done.returncode == 1 and f"blob {sha}" in done.stderr


def test_the_readme_verifier_agrees_using_only_the_standard_library(story: dict, tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"<!-- verifier -->\n```python\n(.*?)```", readme, re.S).group(1)
    assert len(code.strip().splitlines()) <= 20
    assert not re.search(r"^\s*(from|import)\s+(?!json|hashlib|sqlite3|sys)", code, re.M), "standard library only"
    script = tmp_path / "verify_chain.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", str(script), str(story["db"])], capture_output=True, text=True)
    head = rows(story["db"], "SELECT link FROM chain ORDER BY id DESC LIMIT 1")[0][0]
    assert done.returncode == 0 and head in done.stdout, done.stdout + done.stderr
    tamper(story["db"], "UPDATE chain SET url = url || 'x' WHERE id = 2")
    broken = subprocess.run([sys.executable, "-I", str(script), str(story["db"])], capture_output=True, text=True)
    assert broken.returncode == 1


def test_keep_raw_false_keeps_no_bytes_but_still_links(tmp_path: Path) -> None:
    with FixtureServer(FixtureSite("trs")) as server:
        config = tmp_path / "c.toml"
        config.write_text(site_config(server) + '[storage]\ndb = "a.db"\n[evidence]\nkeep_raw = false\n')
        assert cli(config, "poll").returncode == 0
    db = tmp_path / "a.db"
    assert rows(db, "SELECT count(*) FROM blobs")[0][0] == 0 and rows(db, "SELECT count(*) FROM responses")[0][0] == 0
    assert rows(db, "SELECT count(*), count(raw_sha256) FROM chain WHERE kind = 'version'")[0] == (23, 0)
    files = rows(db, "SELECT count(*) FROM attachment_files WHERE sha256 IS NOT NULL")[0][0]
    assert files > 0, "the fixture site's reports have attachments: hashed, their bytes not kept"
    assert rows(db, "SELECT count(*), count(raw_sha256) FROM chain WHERE kind = 'attachment'")[0] == (files, 0)
    assert cli(config, "verify").returncode == 0


@pytest.mark.parametrize("archive", sorted((ROOT / "tests/fixtures").glob("archive-*.db")), ids=lambda p: p.stem)
def test_every_earlier_archive_upgrades_into_a_chain_that_verifies(
    archive: Path, tmp_path: Path, archive_site: FixtureServer
) -> None:
    db = tmp_path / "old.db"
    shutil.copy(archive, db)
    config = tmp_path / "c.toml"
    config.write_text(f'[site]\nurl = "{archive_site.base_url}/"\n[crawl]\ndelay = "0s"\n[storage]\ndb = "old.db"\n')
    assert cli(config, "poll").returncode == 0
    versions = rows(db, "SELECT count(*) FROM report_versions")[0][0]
    removals = rows(db, "SELECT count(*) FROM events WHERE kind IN ('removed', 'restored')")[0][0]
    assert rows(db, "SELECT count(*) FROM chain WHERE kind != 'attachment'")[0][0] == versions + removals
    files = rows(db, "SELECT count(*) FROM attachment_files WHERE sha256 IS NOT NULL")[0][0]
    assert rows(db, "SELECT count(*) FROM chain WHERE kind = 'attachment'")[0][0] == files, "a link per file kept"
    release = tuple(int(n) for n in archive.stem.split("-")[1].split("."))
    if release < (0, 7, 0):
        kept = rows(db, "SELECT count(raw_sha256) FROM chain WHERE kind != 'attachment'")[0][0]
        assert kept == 0, "nothing kept before: raw_sha256 null"
    assert cli(config, "verify").returncode == 0


def test_a_list_page_that_revealed_a_new_report_is_kept_and_one_that_did_not_is_not(tmp_path: Path) -> None:
    with FixtureServer(FixtureSite("trs", validators=False)) as server:
        config = tmp_path / "c.toml"
        config.write_text(site_config(server) + '[storage]\ndb = "a.db"\n', encoding="utf-8")
        assert cli(config, "poll").returncode == 0
        db = tmp_path / "a.db"
        list_url = server.url(server.site.list_path(1))
        kept = "SELECT count(*) FROM responses WHERE url = ?"
        assert rows(db, kept, list_url)[0][0] == 0, "the baseline's list pages reveal no news"
        assert cli(config, "poll").returncode == 0
        assert rows(db, kept, list_url)[0][0] == 0, "an unchanged list keeps nothing"
        server.site.add_report(server.site.new_report())
        assert cli(config, "poll").returncode == 0
        (sha,) = rows(db, "SELECT raw_sha256 FROM responses WHERE url = ?", list_url)[0]
        assert rows(db, "SELECT size FROM blobs WHERE sha256 = ?", sha)[0][0] > 1000
