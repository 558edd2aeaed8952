"""On every fixture layout, as a user runs it: the section is found from the home page,
the list walk yields every report of the section and nothing else, and every report's
fields come out exact (no chrome, no mojibake)."""

from __future__ import annotations

import pytest

from crawler.discover import locate_section
from crawler.extract import extract_report
from crawler.fetch import Fetcher, FetchSettings
from crawler.walk import walk_section
from fixturesite.server import FixtureServer
from tests.conftest import site_config

SECTION = "监督工作"


def test_section_command_finds_the_list_from_the_home_page(served: FixtureServer, run_cli) -> None:
    result = run_cli("section", config=site_config(served))
    assert result.code == 0, result.stderr
    url, how = result.stdout.splitlines()
    assert url == served.url(served.site.list_path(1))
    assert how.startswith('how: link text "监督工作"')


def test_walk_lists_every_report_of_the_section_once(served: FixtureServer, fast_settings: FetchSettings) -> None:
    site = served.site
    with Fetcher(fast_settings) as fetcher:
        section = locate_section(fetcher, served.url("/"), SECTION)
        walk = walk_section(fetcher, section.url)
    reports = site.sections[SECTION]
    assert walk.complete and walk.problems == ()
    assert len(walk.pages) == site.page_count()
    assert [i.url for i in walk.items] == [served.url(site.report_path(r.slug)) for r in reports]
    for item, report in zip(walk.items, reports, strict=True):
        assert item.date == report.published
        shown = item.title.removesuffix("…")
        assert item.title == report.title or (item.title.endswith("…") and report.title.startswith(shown))


def test_every_report_is_extracted_exactly(served: FixtureServer, fast_settings: FetchSettings) -> None:
    site = served.site
    with Fetcher(fast_settings) as fetcher:
        for report in site.sections[SECTION]:
            page = fetcher.get(served.url(site.report_path(report.slug)))
            got = extract_report(page)
            fields = got.fields()
            del fields["url"]
            assert fields == report.expected(page.final_url), report.slug
            assert got.usable and got.problems == ()
            assert "\ufffd" not in got.text


def test_extract_command_prints_the_seed_report(served: FixtureServer, run_cli) -> None:
    site = served.site
    seed = next(r for r in site.sections[SECTION] if site.is_seed(r))
    url = served.url(site.report_path(seed.slug))
    result = run_cli("extract", url, config=site_config(served))
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["title"] == "关于开展扫黑除恶“打伞破网”工作情况的报告"
    assert data["published"] == "2022-12-02" and data["source"] == "县监察委员会"
    assert data["credits"] == {
        "contributor": "县监察委员会",
        "editor": "易钊颉",
        "reviewer": "鲁超",
        "approver": "罗亮",
    }
    assert data["attachments"] == [] and data["problems"] == []
    lines = data["text"].split("\n")
    assert lines[:2] == ["安岳县监察委员会", "关于开展扫黑除恶“打伞破网”工作情况的报告"]
    assert lines[-1].startswith("(五)加强队伍自身建设") or lines[-1].startswith("（五）加强队伍自身建设")
    for chrome in ("您现在的位置", "打印本稿", "关闭", "供稿", "相关附件", "Copyright", "ICP", "浏览"):
        assert chrome not in data["text"]


def test_listing_command_prints_items_and_next_pages(served: FixtureServer, run_cli) -> None:
    site = served.site
    result = run_cli("listing", served.url(site.list_path(1)), config=site_config(served))
    assert result.code == 0, result.stderr
    data = result.json()
    assert set(data) == {"items", "next_pages", "total_pages", "problems"}
    first_page = site.page_items(SECTION, 1)
    assert [i["url"] for i in data["items"]] == [served.url(site.report_path(r.slug)) for r in first_page]
    assert served.url(site.list_path(2)) in data["next_pages"]
    assert served.url(site.list_path(1)) not in data["next_pages"]


def test_extract_reports_a_challenge_page_and_exits_1(served: FixtureServer, run_cli) -> None:
    site = served.site
    site.challenge = "jiasule"
    report = site.sections[SECTION][0]
    result = run_cli("extract", served.url(site.report_path(report.slug)), config=site_config(served))
    assert result.code == 1
    assert result.json()["problems"] == ["challenge page (加速乐)"]
    assert result.stderr.count("\n") == 1 and "challenge page" in result.stderr


def test_extract_of_a_list_page_is_not_a_usable_report(served: FixtureServer, run_cli) -> None:
    result = run_cli("extract", served.url(served.site.home_path()), config=site_config(served))
    assert result.code == 1
    assert result.json()["problems"], "a home page must not pass as a report"


@pytest.mark.parametrize("layout", ["modern"])
def test_a_menu_heading_without_a_link_is_a_clear_error(served: FixtureServer, run_cli) -> None:
    config = (
        site_config(served).replace("[crawl]", "[crawl]\n", 1).replace("[site]\n", '[site]\nsection = "人大监督"\n')
    )
    result = run_cli("section", config=config)
    assert result.code == 1
    assert 'a "人大监督" link exists but has no usable href' in result.stderr
    assert result.stderr.count("\n") == 1
