"""Poll, store and detect change: a series of polls of the fixture site through the
real CLI, as a user runs it, on every layout. Each step asserts what the user sees:
the summary line, the events recorded for the watchers, and the export."""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from storage.archive import Archive
from storage.db import open_db
from tests.conftest import ROOT

SECTION = "监督工作"


@pytest.fixture
def site_server(layout: str) -> Iterator[FixtureServer]:
    # No validators: every page is answered in full, with fresh noise, on every poll.
    with FixtureServer(FixtureSite(layout, validators=False)) as server:
        yield server


def config_for(server: FixtureServer, tmp_path: Path, **crawl: str) -> str:
    settings = {"delay": "0s", "retry_backoff": "10ms", "timeout": "2s", "recheck": "0s", **crawl}
    lines = "".join(f'{k} = "{v}"\n' for k, v in settings.items())
    return f'[site]\nurl = "{server.base_url}/"\n[crawl]\n{lines}[storage]\ndb = "{tmp_path / "watch.db"}"\n'


def summary(stdout: str) -> dict[str, str]:
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("poll: "), last
    return dict(re.findall(r"(\w+)=(\S+)", last)) | {"status": last.split()[1]}


def counts(stdout: str) -> tuple[int, int, int, int]:
    s = summary(stdout)
    return int(s["new"]), int(s["changed"]), int(s["removed"]), int(s["failed"])


def events(tmp_path: Path) -> list[dict]:
    return Archive(open_db(tmp_path / "watch.db")).queries.events()


def export(run_cli, config: str) -> list[dict]:
    result = run_cli("export", "--format", "jsonl", config=config)
    assert result.code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_the_scenario_series_records_exactly_the_expected_events(
    site_server: FixtureServer, tmp_path: Path, run_cli
) -> None:
    site, url = site_server.site, site_server.url
    config = config_for(site_server, tmp_path)
    reports = site.sections[SECTION]

    # 1. Baseline: every report is version 1, its event flagged baseline.
    first = run_cli("poll", config=config)
    assert first.code == 0, first.stderr
    assert counts(first.stdout) == (23, 0, 0, 0)
    assert summary(first.stdout)["status"] == "ok"
    assert all(e["kind"] == "new" and e["baseline"] for e in events(tmp_path))
    rows = export(run_cli, config)
    assert len(rows) == 23 and {r["version"] for r in rows} == {1} and {r["status"] for r in rows} == {"active"}

    # 2. Noise only (counters, today's date, tokens, markup differ on every request): nothing.
    again = run_cli("poll", config=config)
    assert again.code == 0 and counts(again.stdout) == (0, 0, 0, 0)
    assert len(events(tmp_path)) == 23

    # 3. Three new reports at the top push others to the next page.
    added = [site.add_report(site.new_report()) for _ in range(3)]
    result = run_cli("poll", config=config)
    assert counts(result.stdout) == (3, 0, 0, 0)
    new_events = events(tmp_path)[23:]
    assert [e["url"] for e in new_events] == [url(site.report_path(r.slug)) for r in added]
    assert not any(e["baseline"] for e in new_events)

    # 4. A sentence of a body edited.
    edited = reports[5]
    paragraphs = list(edited.paragraphs)
    paragraphs[1] = paragraphs[1] + "经复核，相关数据已更正。"
    site.edit_report(edited.slug, paragraphs=paragraphs)
    result = run_cli("poll", config=config)
    assert counts(result.stdout) == (0, 1, 0, 0)
    change = events(tmp_path)[-1]
    assert change["kind"] == "changed" and change["url"] == url(site.report_path(edited.slug))
    assert set(change["changes"]) == {"text"}
    assert "+" in change["changes"]["text"]["diff"] and "经复核，相关数据已更正。" in change["changes"]["text"]["diff"]
    shown = run_cli("diff", url(site.report_path(edited.slug)), config=config)
    assert shown.code == 0 and "经复核，相关数据已更正。" in shown.stdout

    # 5. A title edited.
    retitled = reports[7]
    old_title = retitled.title
    site.edit_report(retitled.slug, title=old_title + "（修订稿）")
    result = run_cli("poll", config=config)
    assert counts(result.stdout) == (0, 1, 0, 0)
    change = events(tmp_path)[-1]
    assert change["changes"] == {
        "title": {"old": old_title, "new": old_title + "（修订稿）", "inline": [["=", old_title], ["+", "（修订稿）"]]}
    }
    history = run_cli("history", url(site.report_path(retitled.slug)), config=config)
    assert history.code == 0 and "version 2" in history.stdout and "changed: title" in history.stdout

    # 6. A report removed (unlisted and 404): seen on two polls, then an event, status removed, still exported.
    gone = reports[-1]
    site.remove_report(gone.slug)
    result = run_cli("poll", config=config)
    assert counts(result.stdout) == (0, 0, 0, 0)
    result = run_cli("poll", config=config)
    assert counts(result.stdout) == (0, 0, 1, 0)
    assert events(tmp_path)[-1]["kind"] == "removed"
    row = next(r for r in export(run_cli, config) if r["url"] == url(site.report_path(gone.slug)))
    assert row["status"] == "removed" and row["version"] == 1

    # 7. Unlisted but still answering 200: stays active, no event.
    hidden = reports[-2]
    site.unlist_report(hidden.slug)
    before = len(events(tmp_path))
    result = run_cli("poll", config=config)
    assert counts(result.stdout) == (0, 0, 0, 0) and len(events(tmp_path)) == before

    # 8. The removed report is listed again, unchanged: restored, its version as it was.
    site.add_report(gone)
    result = run_cli("poll", config=config)
    assert counts(result.stdout) == (0, 0, 0, 0) and summary(result.stdout)["restored"] == "1"
    back = events(tmp_path)[-1]
    assert back["kind"] == "restored" and back["version"] == 1 and back["changes"] == {}

    # Nothing above ever made a version or event out of noise: one version per real change.
    rows = export(run_cli, config)
    assert len(rows) == 26
    versions = {r["url"]: r["version"] for r in rows}
    assert versions[url(site.report_path(edited.slug))] == 2
    assert versions[url(site.report_path(retitled.slug))] == 2
    assert sum(v for v in versions.values()) == 26 + 2


def test_a_503_or_a_timeout_mid_poll_loses_and_removes_nothing(
    site_server: FixtureServer, tmp_path: Path, run_cli
) -> None:
    site = site_server.site
    config = config_for(site_server, tmp_path, timeout="1s")
    assert run_cli("poll", config=config).code == 0
    baseline_events = len(events(tmp_path))

    # A report page answers 503 through every retry: counted as failed, the poll is still ok.
    victim = site.sections[SECTION][3]
    site.fail(site.report_path(victim.slug), 503, times=3)
    result = run_cli("poll", config=config)
    assert result.code == 0 and counts(result.stdout) == (0, 0, 0, 1)

    # List page 2 answers 503 (then times out): the walk is partial, the poll fails, nothing is removed.
    site.remove_report(site.sections[SECTION][-1].slug)
    site.fail(site.list_path(2), 503, times=3)
    result = run_cli("poll", config=config)
    assert result.code == 1 and summary(result.stdout)["status"] == "failed"
    assert "error: poll failed" in result.stderr and "503" in result.stderr
    site.fail(site.list_path(2), "timeout", times=3)
    result = run_cli("poll", config=config)
    assert result.code == 1 and "timed out" in result.stderr
    assert len(events(tmp_path)) == baseline_events
    assert {r["status"] for r in export(run_cli, config)} == {"active"}

    # The site recovers: the removal is seen now, and confirmed by the next poll, once.
    result = run_cli("poll", config=config)
    assert result.code == 0 and counts(result.stdout) == (0, 0, 0, 0)
    result = run_cli("poll", config=config)
    assert result.code == 0 and counts(result.stdout) == (0, 0, 1, 0)


@pytest.mark.parametrize("layout", ["modern"])
def test_a_challenge_page_fails_the_poll_loudly_and_changes_nothing(
    site_server: FixtureServer, tmp_path: Path, run_cli
) -> None:
    config = config_for(site_server, tmp_path)
    assert run_cli("poll", config=config).code == 0
    site_server.site.challenge = "jiasule"
    result = run_cli("poll", config=config)
    assert result.code == 1
    assert "challenge page (加速乐" in result.stderr
    assert len(events(tmp_path)) == 23
    site_server.site.challenge = None
    assert counts(run_cli("poll", config=config).stdout) == (0, 0, 0, 0)


@pytest.mark.parametrize("layout", ["trs"])
def test_most_report_pages_failing_fails_the_poll_and_stores_nothing(
    site_server: FixtureServer, tmp_path: Path, run_cli
) -> None:
    site = site_server.site
    config = config_for(site_server, tmp_path)
    assert run_cli("poll", config=config).code == 0
    for report in site.sections[SECTION][:12]:
        site.fail(site.report_path(report.slug), 503, times=3)
        site.edit_report(report.slug, title=report.title + "（修订）")
    site.edit_report(site.sections[SECTION][20].slug, title="一个读得到的修改")
    result = run_cli("poll", config=config)
    assert result.code == 1
    assert "report pages failed" in result.stderr
    assert len(events(tmp_path)) == 23, "the one readable edit waits for a poll that can be trusted"


@pytest.mark.parametrize("layout", ["trs"])
def test_a_failing_baseline_keeps_what_it_read_and_the_rest_stays_silent(
    site_server: FixtureServer, tmp_path: Path, run_cli
) -> None:
    site = site_server.site
    config = config_for(site_server, tmp_path) + '[schedule]\ninterval = "1s"\n'
    for report in site.sections[SECTION][:12]:
        site.fail(site.report_path(report.slug), 503, times=3)
    result = run_cli("poll", config=config)
    assert result.code == 1 and "report pages failed" in result.stderr
    assert len(events(tmp_path)) == 11 and all(e["baseline"] for e in events(tmp_path))
    time.sleep(1.1)  # the failed pages are tried again after an interval
    result = run_cli("poll", config=config)
    assert result.code == 0, result.stderr
    assert counts(result.stdout) == (12, 0, 0, 0)
    assert len(events(tmp_path)) == 23 and all(e["baseline"] for e in events(tmp_path))


@pytest.mark.parametrize("layout", ["table-gbk"])
def test_soft_not_found_and_redirect_home_count_as_removed(site_server: FixtureServer, tmp_path: Path, run_cli) -> None:
    site = site_server.site
    config = config_for(site_server, tmp_path)
    assert run_cli("poll", config=config).code == 0
    site.remove_report(site.sections[SECTION][-1].slug, how="soft")
    site.remove_report(site.sections[SECTION][-1].slug, how="home")
    assert counts(run_cli("poll", config=config).stdout) == (0, 0, 0, 0)
    result = run_cli("poll", config=config)
    assert counts(result.stdout) == (0, 0, 2, 0)
    removals = [e["removal"] for e in events(tmp_path) if e["kind"] == "removed"]
    assert sorted(r["confirmed_by"] for r in removals) == ["not_found_page", "redirect"]


@pytest.mark.parametrize("layout", ["modern"])
def test_a_crash_mid_poll_then_a_clean_poll_without_duplicates(
    site_server: FixtureServer, tmp_path: Path, run_cli
) -> None:
    site = site_server.site
    config = config_for(site_server, tmp_path, timeout="20s")
    assert run_cli("poll", config=config).code == 0
    for _ in range(3):
        site.add_report(site.new_report())
    site.timeout_sleep = 10.0
    site.fail(site.report_path(site.sections[SECTION][0].slug), "timeout", times=1)
    cfg = tmp_path / "crash.toml"
    cfg.write_text(config, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "schedule.py"), "--config", str(cfg), "poll"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 30
    slow_path = site.report_path(site.sections[SECTION][0].slug)
    while slow_path not in site.stalled and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # kill -9 mid-poll
    proc.wait(timeout=10)
    result = run_cli("poll", config=config)
    assert result.code == 0, result.stderr
    assert counts(result.stdout) == (3, 0, 0, 0)
    store = Archive(open_db(tmp_path / "watch.db"))
    dupes = store.db.execute(
        "SELECT url, version, count(*) FROM report_versions GROUP BY url, version HAVING count(*) > 1"
    )
    assert dupes.fetchall() == []
    assert len(store.queries.events()) == 26
    check = store.db.execute("PRAGMA integrity_check").fetchone()[0]
    assert check == "ok"


def test_csv_export_is_utf8_with_json_cells(site_server: FixtureServer, tmp_path: Path, run_cli) -> None:
    config = config_for(site_server, tmp_path)
    assert run_cli("poll", config=config).code == 0
    out = tmp_path / "reports.csv"
    result = run_cli("export", "--format", "csv", "-o", str(out), config=config)
    assert result.code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 23
    assert list(rows[0]) == [
        "url", "title", "published", "source", "text", "attachments", "credits",
        "status", "version", "first_seen", "updated_at", "watch", "id",
    ]  # fmt: skip
    seed = next(r for r in rows if r["title"] == "关于开展扫黑除恶“打伞破网”工作情况的报告")
    assert json.loads(seed["credits"])["reviewer"] == "鲁超"
    assert json.loads(seed["attachments"]) == []
    assert seed["first_seen"].endswith("+00:00")
    no_source = [r for r in rows if r["source"] == ""]
    assert no_source, "a missing source is an empty cell"


def test_unknown_url_in_history_and_diff_exits_1(site_server: FixtureServer, tmp_path: Path, run_cli) -> None:
    config = config_for(site_server, tmp_path)
    assert run_cli("poll", config=config).code == 0
    for command in ("history", "diff"):
        result = run_cli(command, "http://127.0.0.1/nope.html", config=config)
        assert result.code == 1 and "no such report" in result.stderr


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path, run_cli) -> None:
    result = run_cli("poll", config='[crawl]\nrecheck = "daily"\n')
    assert result.code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "crawl.recheck" in result.stderr
