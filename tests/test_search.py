"""Search: the fixture site polled by the real CLI, then `search` as a researcher would use it;
the index kept in step with each version, and built for an archive of an earlier release."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from tests.conftest import ROOT, site_config
from tests.procs import cli

RARE_2 = "琮璜"  # two characters, in one report's text only
RARE_4 = "琮璜之器"


@pytest.fixture
def served() -> Iterator[FixtureServer]:
    with FixtureServer(FixtureSite("trs")) as server:
        yield server


@pytest.fixture
def polled(tmp_path: Path, served: FixtureServer) -> Path:
    """An archive of the fixture site plus one report whose text alone holds the rare words."""
    config = tmp_path / "c.toml"
    config.write_text(site_config(served, recheck="0s") + '[storage]\ndb = "a.db"\n', encoding="utf-8")
    assert cli(config, "poll").returncode == 0
    site = served.site
    paragraphs = ["一、基本情况", f"县博物馆收藏的{RARE_4}共计三件，保存完好。", "二、下步打算"]
    site.add_report(site.new_report(title="关于文物保护工作情况的报告", paragraphs=paragraphs))
    assert cli(config, "poll").returncode == 0
    return config


def search(config: Path, *args: str) -> list[dict]:
    done = cli(config, "search", *args, "--json")
    assert done.returncode in (0, 1), done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def fts_finds(config: Path, term: str) -> int:
    with sqlite3.connect(config.parent / "a.db") as db:
        return db.execute("SELECT count(*) FROM report_search WHERE report_search MATCH ?", [f'"{term}"']).fetchone()[0]


def test_a_two_character_term_in_the_text_only_is_found_by_like(polled: Path) -> None:
    assert fts_finds(polled, RARE_2) == 0, "trigrams cannot find two characters: the LIKE path must"
    hits = search(polled, RARE_2)
    assert [h["title"] for h in hits] == ["关于文物保护工作情况的报告"]
    assert f"【{RARE_2}】" in hits[0]["snippet"] and RARE_2 not in hits[0]["title"]
    assert set(hits[0]) >= {"url", "title", "published", "source", "text", "status", "id", "watch", "snippet"}


def test_a_four_character_term_uses_the_index(polled: Path) -> None:
    assert fts_finds(polled, RARE_4) == 1
    hits = search(polled, RARE_4)
    assert [h["title"] for h in hits] == ["关于文物保护工作情况的报告"]
    assert hits[0]["snippet"].startswith("…") is False and f"【{RARE_4}】" in hits[0]["snippet"]


def test_results_are_ranked_title_first_and_every_word_must_match(polled: Path) -> None:
    hits = search(polled, "审议意见")
    assert hits and all("审议意见" in h["title"] + h["text"] for h in hits)
    titled = [("审议意见" in h["title"]) for h in hits]
    assert titled == sorted(titled, reverse=True), "reports with the words in the title come first"
    both = search(polled, "审议意见 2022")
    assert both and all("2022" in h["title"] + h["text"] + (h["source"] or "") for h in both)
    assert len(both) < len(hits)


def test_the_index_follows_edits_and_removals_stay_searchable(polled: Path, served: FixtureServer) -> None:
    site = served.site
    report = next(r for r in site.sections["监督工作"] if r.title == "关于文物保护工作情况的报告")
    paragraphs = ["一、基本情况", "县博物馆收藏的青铜器共计三件，保存完好。", "二、下步打算"]
    site.edit_report(report.slug, paragraphs=paragraphs)
    done = cli(polled, "poll")
    assert done.returncode == 0 and " changed=1 " in done.stdout, done.stdout
    assert search(polled, RARE_4) == [] and fts_finds(polled, RARE_4) == 0
    assert [h["title"] for h in search(polled, "青铜器")] == ["关于文物保护工作情况的报告"]
    site.remove_report(report.slug)
    assert cli(polled, "poll").returncode == 0 and cli(polled, "poll").returncode == 0
    assert [h["status"] for h in search(polled, "青铜器")] == ["removed"]
    assert search(polled, "青铜器", "--status", "active") == []
    assert len(search(polled, "青铜器", "--status", "removed")) == 1


def test_the_command_line_output_and_exit_codes(polled: Path) -> None:
    done = cli(polled, "search", RARE_4)
    assert done.returncode == 0 and "关于文物保护工作情况的报告" in done.stdout and f"【{RARE_4}】" in done.stdout
    none = cli(polled, "search", "没有这样的词语")
    assert none.returncode == 1 and none.stdout == "" and "no report matches" in none.stderr
    unknown = cli(polled, "search", RARE_4, "--watch", "nosuch")
    assert unknown.returncode == 2 and len(unknown.stderr.strip().splitlines()) == 1
    odd = cli(polled, "search", '"%_\\')  # quotes and LIKE wildcards are characters
    assert odd.returncode == 1 and "Traceback" not in odd.stderr


def test_an_archive_of_0_5_1_is_indexed_by_the_first_writer(tmp_path: Path, archive_site: FixtureServer) -> None:
    archive = tmp_path / "old.db"
    shutil.copy(ROOT / "tests/fixtures/archive-0.5.1.db", archive)
    config = tmp_path / "c.toml"
    config.write_text(f'[site]\nurl = "{archive_site.base_url}/"\n[crawl]\ndelay = "0s"\n[storage]\ndb = "old.db"\n')
    before = cli(config, "search", "报告")
    assert before.returncode == 1 and "needs upgrading" in before.stderr, "a reader never migrates"
    assert cli(config, "poll").returncode == 0
    hits = [json.loads(line) for line in cli(config, "search", "报告", "--limit", "500", "--json").stdout.splitlines()]
    with sqlite3.connect(archive) as db:
        assert len(hits) == db.execute("SELECT count(*) FROM reports").fetchone()[0]


def test_indexing_a_large_archive_says_how_far_it_has_come(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import search as index
    from storage.db import open_db

    archive = tmp_path / "old.db"
    shutil.copy(ROOT / "tests/fixtures/archive-0.5.1.db", archive)
    monkeypatch.setattr(index, "_PROGRESS_OVER", 5)
    monkeypatch.setattr(index, "_BATCH", 10)
    with caplog.at_level(logging.WARNING, logger="ayrdw.search"):
        open_db(archive).conn.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "ayrdw.search"]
    assert lines[0].startswith("indexing the archive for search: 10 of ") and lines[-1].endswith(" reports")
    total = int(lines[-1].split(" of ")[1].split()[0])
    assert lines[-1] == f"indexing the archive for search: {total} of {total} reports"
