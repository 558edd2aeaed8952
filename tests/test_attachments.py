"""Attachments kept and watched: a report's files are downloaded with the version that lists
them, hashed into its `attachments` entries, kept in the archive, re-fetched conditionally,
and a file changed in place is a change -- by the real CLI on the fixture site, a webhook
receiver and real SQLite files."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.events import Notice
from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from notify import render
from tests.conftest import ROOT, site_config
from tests.procs import WebhookReceiver, cli

FULL_TEXT = "/uploads/2026/report-full.pdf"
PDF = b"%PDF-1.4\n" + "安岳县审计工作报告全文（第一稿）".encode() * 200


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def rows(db: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def blob(db: Path, digest: str) -> bytes:
    codec, data = rows(db, "SELECT codec, data FROM blobs WHERE sha256 = ?", digest)[0]
    return zlib.decompress(data) if codec == "zlib" else data


def exported(config: Path, title: str) -> dict[str, Any]:
    done = cli(config, "export")
    assert done.returncode == 0, done.stderr
    return next(r for r in map(json.loads, done.stdout.splitlines()) if r["title"] == title)


class Watched:
    """A fixture site with a report that lists a PDF, a webhook watcher, and the CLI."""

    def __init__(self, tmp_path: Path, server: FixtureServer, hook: WebhookReceiver, extra: str = "") -> None:
        self.server, self.site, self.hook = server, server.site, hook
        self.db = tmp_path / "a.db"
        self.config = tmp_path / "c.toml"
        self.config.write_text(
            site_config(server, recheck="0s") + '[schedule]\ninterval = "1s"\n[storage]\ndb = "a.db"\n'
            f'[[watchers]]\nkind = "webhook"\nurl = "{hook.url}"\nsecret = "s3cret"\n{extra}',
            encoding="utf-8",
        )

    def poll(self) -> str:
        done = cli(self.config, "poll")
        assert done.returncode == 0, done.stdout + done.stderr
        assert cli(self.config, "deliver").returncode == 0
        return done.stdout.strip().splitlines()[-1]

    def add(self, title: str, files: list[tuple[str, str]]) -> None:
        self.site.add_report(self.site.new_report(title=title, attachments=files))

    def payloads(self, event: str) -> list[dict[str, Any]]:
        return [r.body for r in self.hook.received if r.body.get("event") == event]

    def requests_for(self, path: str) -> list[Any]:
        return [r for r in self.site.requests if r.path == path]


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Watched]:
    with FixtureServer(FixtureSite("modern")) as server, WebhookReceiver() as hook:
        yield Watched(tmp_path, server, hook)


def test_a_new_report_s_file_is_kept_hashed_and_announced_with_it(watched: Watched) -> None:
    assert watched.poll().startswith("poll: ok")  # the baseline
    watched.site.set_file(FULL_TEXT, PDF)
    watched.add("关于2026年度审计工作情况的报告", [("审计工作报告全文.pdf", FULL_TEXT)])
    line = watched.poll()
    assert " new=1 " in line and " attachments=1" in line, line
    entry = exported(watched.config, "关于2026年度审计工作情况的报告")["attachments"][0]
    assert entry["name"] == "审计工作报告全文.pdf" and entry["url"].endswith(FULL_TEXT)
    assert (entry["sha256"], entry["size"], entry["content_type"]) == (sha(PDF), len(PDF), "application/pdf")
    assert blob(watched.db, sha(PDF)) == PDF, "the file's bytes are in the archive"
    link = rows(watched.db, "SELECT url, content_hash, raw_sha256 FROM chain WHERE kind = 'attachment'"
                " ORDER BY id DESC LIMIT 1")[0]  # fmt: skip
    assert link == (entry["url"], sha(PDF), sha(PDF))
    [new] = [p for p in watched.payloads("report.new") if p["report"]["title"] == "关于2026年度审计工作情况的报告"]
    assert new["report"]["attachments"][0]["sha256"] == sha(PDF), "the watcher gets the hash with the report"
    proof = cli(watched.config, "evidence", new["report"]["url"])
    assert proof.returncode == 0 and sha(PDF) in proof.stdout and FULL_TEXT in proof.stdout, proof.stdout
    assert cli(watched.config, "verify").returncode == 0


def test_a_file_changed_in_place_is_confirmed_and_announced_with_its_old_and_new_hash(watched: Watched) -> None:
    watched.site.set_file(FULL_TEXT, PDF)
    watched.add("关于2026年度审计工作情况的报告", [("审计工作报告全文.pdf", FULL_TEXT)])
    watched.poll()
    edited = PDF.replace("第一稿".encode(), "第二稿".encode())
    watched.site.set_file(FULL_TEXT, edited)
    watched.site.reset_log()
    line = watched.poll()
    assert " changed=1 " in line and " confirms=1 " in line, line
    assert len(watched.requests_for(FULL_TEXT)) == 2, "the new hash was confirmed by a second download"
    [changed] = watched.payloads("report.changed")
    files = changed["changes"]["attachments"]["files"]
    assert [(f["old_sha256"], f["new_sha256"]) for f in files] == [(sha(PDF), sha(edited))]
    assert list(changed["changes"]) == ["attachments"], "the page itself did not change"
    text = render.text_body(Notice.from_payload(changed))
    assert f"[-{sha(PDF)[:12]}-]{{+{sha(edited)[:12]}+}}" in text, text
    hashes = rows(watched.db, "SELECT content_hash FROM report_versions WHERE title = ? ORDER BY version",
                  "关于2026年度审计工作情况的报告")  # fmt: skip
    assert len(hashes) == 2 and hashes[0] != hashes[1], "the file's new hash is part of the new version's hash"
    assert blob(watched.db, sha(edited)) == edited and blob(watched.db, sha(PDF)) == PDF, "both files kept"
    watched.site.reset_log()
    idle = watched.poll()
    assert " changed=0 " in idle and " new=0 " in idle, "nothing is announced twice"
    [asked] = watched.requests_for(FULL_TEXT)
    assert asked.status == 304 and asked.headers.get("if-none-match"), "re-checked conditionally"
    assert cli(watched.config, "verify").returncode == 0


def test_a_file_that_differs_on_every_download_is_never_a_change(watched: Watched) -> None:
    watched.add("关于2026年度审计工作情况的报告", [("审计工作报告全文.pdf", FULL_TEXT)])
    watched.site.set_file(FULL_TEXT, PDF)
    watched.poll()
    watched.site.set_file(FULL_TEXT, lambda: PDF + os.urandom(8))  # a server stamping each copy
    for _ in range(2):
        line = watched.poll()
        assert " changed=0 " in line and " confirms=1 " in line, line
    assert watched.payloads("report.changed") == []
    state = rows(watched.db, "SELECT sha256, error FROM attachment_files WHERE url LIKE ?", f"%{FULL_TEXT}")
    assert state == [(sha(PDF), "a different file on every download: no change believed")]


def test_a_failed_download_never_holds_the_version_and_comes_later_as_its_own_link(watched: Watched) -> None:
    watched.poll()
    watched.site.set_file(FULL_TEXT, PDF)
    watched.site.fail(FULL_TEXT, 503, times=3)  # every attempt of this poll
    watched.add("关于2026年度审计工作情况的报告", [("审计工作报告全文.pdf", FULL_TEXT)])
    assert " new=1 " in watched.poll()
    entry = exported(watched.config, "关于2026年度审计工作情况的报告")["attachments"][0]
    assert entry["sha256"] is None and "HTTP 503" in entry["not_kept"]
    [new] = watched.payloads("report.new")
    version = rows(watched.db, "SELECT content_hash FROM report_versions WHERE title = ?", new["report"]["title"])
    time.sleep(1.2)  # the retry is due after one interval ([schedule] interval = "1s")
    line = watched.poll()
    assert " new=0 " in line and " changed=0 " in line and " attachments=1" in line, line
    entry = exported(watched.config, "关于2026年度审计工作情况的报告")["attachments"][0]
    assert entry["sha256"] == sha(PDF) and "not_kept" not in entry
    assert rows(watched.db, "SELECT content_hash FROM report_versions WHERE title = ?", new["report"]["title"]) == (
        version
    ), "a hash that arrives late never re-hashes the version"
    assert rows(watched.db, "SELECT kind FROM chain ORDER BY id DESC LIMIT 1") == [("attachment",)]
    assert watched.payloads("report.changed") == [], "null to a hash is never a change"
    assert cli(watched.config, "verify").returncode == 0


def test_an_oversized_file_is_not_kept_and_its_entry_says_why(tmp_path: Path) -> None:
    with FixtureServer(FixtureSite("modern")) as server, WebhookReceiver() as hook:
        watched = Watched(tmp_path, server, hook, '[evidence]\nmax_attachment = "10KB"\n')
        watched.site.set_file(FULL_TEXT, PDF * 4)  # about 38 KB
        watched.add("关于2026年度审计工作情况的报告", [("审计工作报告全文.pdf", FULL_TEXT)])
        line = watched.poll()
        assert line.startswith("poll: ok") and " failed=0 " in line, line
        entry = exported(watched.config, "关于2026年度审计工作情况的报告")["attachments"][0]
    assert entry["sha256"] is None and entry["not_kept"] == "larger than max_attachment (10000 bytes): not kept"
    assert rows(watched.db, "SELECT count(*) FROM blobs WHERE sha256 = ?", sha(PDF * 4)) == [(0,)]
    assert rows(watched.db, "SELECT count(*) FROM chain WHERE url LIKE ?", f"%{FULL_TEXT}") == [(0,)]


def test_an_off_site_file_is_fetched_only_from_hosts_the_config_allows(tmp_path: Path) -> None:
    elsewhere = FixtureSite("modern")
    elsewhere.set_file("/uploads/full.pdf", PDF)
    with FixtureServer(elsewhere, host="127.0.0.2") as other, FixtureServer(FixtureSite("modern")) as server:
        off_site = f"{other.base_url}/uploads/full.pdf"
        with WebhookReceiver() as hook:
            watched = Watched(tmp_path, server, hook)
            watched.add("关于2026年度审计工作情况的报告", [("审计工作报告全文.pdf", off_site)])
            watched.poll()
            entry = exported(watched.config, "关于2026年度审计工作情况的报告")["attachments"][0]
            assert entry["sha256"] is None and "attachment_hosts" in entry["not_kept"]
            assert elsewhere.requests == [], "a host that is neither the site's nor allowed is never asked"
            text = watched.config.read_text(encoding="utf-8")
            watched.config.write_text(text + '[evidence]\nattachment_hosts = ["127.0.0.2"]\n', encoding="utf-8")
            line = watched.poll()  # the report's re-check asks again, now allowed
            assert " attachments=1" in line, line
        entry = exported(watched.config, "关于2026年度审计工作情况的报告")["attachments"][0]
    assert entry["sha256"] == sha(PDF) and [r.path for r in elsewhere.requests] == ["/robots.txt", "/uploads/full.pdf"]


def test_a_bad_attachment_setting_is_a_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    for bad in ('max_attachment = "lots"', 'attachment_hosts = "files.example.gov.cn"'):
        config.write_text(f"[evidence]\n{bad}\n", encoding="utf-8")
        done = cli(config, "poll")
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "evidence." in done.stderr


MEASURE = """
import atexit, re, runpy, sys
def peak():  # VmHWM: this process's own high-water mark (ru_maxrss keeps the forking parent's)
    found = re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read())
    print("maxrss_kb", found.group(1), file=sys.stderr)
atexit.register(peak)
sys.argv = [sys.argv[1], *sys.argv[2:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def peak_rss_mb(config: Path) -> float:
    """The peak memory of one `ayrdw-watch poll`, in a process of its own."""
    env = {k: v for k, v in os.environ.items() if k != "AYRDW_CONFIG"}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(ROOT / "schedule.py"), "--config", str(config), "poll"],
        capture_output=True, text=True, timeout=300, cwd=config.parent, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return int(done.stderr.split("maxrss_kb")[-1].split()[0]) / 1024


def test_a_large_file_is_streamed_to_the_archive_never_whole_in_memory(tmp_path: Path) -> None:
    big = (PDF * 6700)[:64_000_000] + os.urandom(1000)  # 64 MB
    (tmp_path / "small").mkdir()
    (tmp_path / "big").mkdir()
    with FixtureServer(FixtureSite("modern")) as server:
        server.site.set_file(FULL_TEXT, big)
        peaks = {}
        for name in ("small", "big"):
            config = tmp_path / name / "c.toml"
            config.write_text(
                site_config(server) + '[storage]\ndb = "a.db"\n[evidence]\nmax_attachment = "100MB"\n', encoding="utf-8"
            )
            if name == "big":
                server.site.add_report(
                    server.site.new_report(title="附件很大的报告", attachments=[("全文", FULL_TEXT)])
                )
            peaks[name] = peak_rss_mb(config)
    db = tmp_path / "big" / "a.db"
    assert rows(db, "SELECT size FROM blobs WHERE sha256 = ?", sha(big)) == [(len(big),)]
    assert peaks["big"] - peaks["small"] < 30, f"peak memory {peaks}: a 64 MB file went through memory whole"
    assert cli(tmp_path / "big" / "c.toml", "verify").returncode == 0


def test_files_are_fetched_as_politely_as_pages_one_at_a_time_with_the_delay(tmp_path: Path) -> None:
    site = FixtureSite("modern")
    files = [("全文.pdf", FULL_TEXT), ("附表.pdf", "/uploads/2026/table.pdf")]
    for _, path in files:
        site.set_file(path, PDF)
    with FixtureServer(site) as server:
        config = tmp_path / "c.toml"
        config.write_text(f'[site]\nurl = "{server.url("/")}"\n[crawl]\ndelay = "0.3s"\n[storage]\ndb = "a.db"\n',
                          encoding="utf-8")  # fmt: skip
        site.add_report(site.new_report(title="关于2026年度审计工作情况的报告", attachments=files))
        site.reset_log()
        assert cli(config, "poll", timeout=120).returncode == 0
    asked = site.requests
    uploads = [i for i, r in enumerate(asked) if r.path.startswith("/uploads/2026/")]
    assert len(uploads) == 2 and site.max_in_flight == 1, "one request at a time to the host, files included"
    gaps = [asked[i].started - asked[i - 1].ended for i in uploads]
    assert min(gaps) >= 0.28, f"the delay before each file as before each page: {gaps}"


def test_only_http_links_are_files_and_nothing_else_is_ever_asked_for(tmp_path: Path) -> None:
    from crawler.download import FileSink
    from crawler.errors import OffSiteError
    from crawler.fetch import Fetcher
    from crawler.settings import FetchSettings

    with FixtureServer(FixtureSite("modern")) as server, WebhookReceiver() as hook:
        watched = Watched(tmp_path, server, hook)
        watched.site.set_file(FULL_TEXT, PDF)
        files = [("旧档.pdf", "ftp://127.0.0.1/old.pdf"), ("全文.pdf", FULL_TEXT)]
        watched.add("关于2026年度审计工作情况的报告", files)
        watched.poll()
        entries = exported(watched.config, "关于2026年度审计工作情况的报告")["attachments"]
    assert [e["name"] for e in entries] == ["全文.pdf"] and entries[0]["sha256"] == sha(PDF), "an ftp link is no file"
    with Fetcher(FetchSettings("t", delay=0), site_host="127.0.0.1") as fetcher:
        sink = FileSink(1000)
        with pytest.raises(OffSiteError, match="not http"):
            fetcher.download("ftp://127.0.0.1/old.pdf", sink)
        sink.close()
        assert fetcher.requests == 0
