"""The web view's pages over HTTP (httpx against the ASGI app), on the archive of
tests/test_serve.py's story: a baseline, a new report, a one-digit edit, a removal."""

from __future__ import annotations

import re
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from jobs.config import load_config
from tests.procs import cli
from tests.test_serve import SECTION, AppClient, site, story  # noqa: F401  (module fixtures)
from web.app import create_app


def page(story: dict, path: str, status: int = 200) -> LexborHTMLParser:  # noqa: F811
    answer = AppClient(create_app(load_config(story["config"]))).get(path)
    assert answer.status_code == status, (path, answer.status_code, answer.text[:300])
    assert answer.headers["content-type"].startswith("text/html")
    return LexborHTMLParser(answer.text)


def report_id(story: dict, title: str) -> int:  # noqa: F811
    listing = page(story, "/w/anyue/")
    link = next(a for a in listing.css("td.title a") if a.text() == title)
    return int(link.attributes["href"].rsplit("/", 1)[1])


def test_the_overview_shows_each_watch_and_what_happened(story: dict) -> None:  # noqa: F811
    html = page(story, "/")
    card = html.css_first(".card")
    assert SECTION in card.text() and "正常" in card.text() and "23" in card.text() and "首次收录" in card.text()
    assert re.fullmatch(r"[0-9a-f]{64}", card.css_first("code").text()), "the chain head"
    events = [li.text() for li in html.css(".events li")]
    assert len(events) == 3, "the new report, the edit, the removal: never the baseline"
    assert "已删除" in events[0] and story["removed"].title in events[0]
    assert story["edited"].title in events[1] and html.css_first(".events del.mark").text() == story["old"]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", events[0]) and "Asia/Shanghai" in html.css_first("footer").text()


def test_a_watch_lists_its_reports_with_filters_and_pages(story: dict) -> None:  # noqa: F811
    html = page(story, "/w/anyue/")
    assert len(html.css("table.list tbody tr")) == 24
    assert html.css_first('link[type="application/atom+xml"][href="/w/anyue/feed.atom"]') is not None
    assert html.css_first('form.search input[name="watch"]').attributes["value"] == "anyue"
    removed = page(story, "/w/anyue/?show=removed")
    assert [a.text() for a in removed.css("td.title a")] == [story["removed"].title]
    changed = page(story, "/w/anyue/?show=changed")
    assert [a.text() for a in changed.css("td.title a")] == [story["edited"].title]
    empty = page(story, "/w/anyue/?page=2")
    assert empty.css("table.list") == [] and empty.css_first('.pager a[href="?show=all&page=1"]') is not None
    page(story, "/w/nosuch/", 404)


def test_a_report_page_tells_its_whole_history(story: dict) -> None:  # noqa: F811
    html = page(story, f"/w/anyue/r/{report_id(story, story['edited'].title)}")
    assert html.css_first("h1").text() == story["edited"].title
    facts = html.css_first(".facts").text()
    assert "发布时间" in facts and "第 2 版" in facts and "原文链接" in facts
    assert [p.text() for p in html.css(".body p")] == [p for p in story["edited_text"].split("\n") if p.strip()]
    timeline = [li.text() for li in html.css(".timeline li")]
    assert len(timeline) == 2 and "修改了 正文" in timeline[1] and "查看对比" in timeline[1]
    gone = page(story, f"/w/anyue/r/{report_id(story, story['removed'].title)}")
    assert "此报告已从网站删除" in gone.css_first(".banner.removed").text()
    assert "页面返回 404" in gone.css_first(".banner.removed").text()
    page(story, f"/w/other/r/{report_id(story, story['edited'].title)}", 404)


def test_the_diff_defaults_to_the_latest_change_side_by_side(story: dict) -> None:  # noqa: F811
    rid = report_id(story, story["edited"].title)
    html = page(story, f"/w/anyue/r/{rid}/diff")
    assert [d.text() for d in html.css(".sides .old del.mark")] == [story["old"]]
    assert [i.text() for i in html.css(".sides .new ins.mark")] == [story["new"]]
    assert html.css(".sides .old ins") == [] and html.css(".sides .new del") == []
    same = page(story, f"/w/anyue/r/{rid}/diff?from=2&to=2")
    assert "两个版本的内容相同" in same.text()
    page(story, f"/w/anyue/r/{rid}/diff?from=1&to=9", 404)


def test_search_pages_highlight_across_watches(story: dict) -> None:  # noqa: F811
    title = story["added"].title
    html = page(story, "/search?q=" + title[:6])
    assert html.css(".hit") and all(m.text() == title[:6] for m in html.css(".hit mark"))
    assert page(story, "/search?q=").css(".hit") == []
    none = page(story, "/search?q=没有这样的词语")
    assert "没有找到" in none.text()
    page(story, "/search?q=x&watch=nosuch", 404)


def test_everything_from_a_page_is_escaped(tmp_path: Path) -> None:
    with FixtureServer(FixtureSite("modern", validators=False)) as server:
        config = tmp_path / "c.toml"
        config.write_text(f'[site]\nurl = "{server.url("/")}"\n[crawl]\ndelay = "0s"\n[storage]\ndb = "x.db"\n')
        assert cli(config, "poll").returncode == 0
        evil = '<img src=x onerror="alert(1)">关于<script>alert(2)</script>的报告'
        server.site.add_report(server.site.new_report(title=evil))
        assert cli(config, "poll").returncode == 0
        client = AppClient(create_app(load_config(config)))
        for path in ("/", "/w/default/", "/search?q=" + "关于"):
            text = client.get(path).text
            assert "<script>alert(2)" not in text and "<img src=x" not in text, path
            assert "&lt;script&gt;" in text, path


def test_a_report_page_shows_each_kept_attachment_file_by_its_hash(story: dict, site: FixtureServer) -> None:  # noqa: F811
    listed = next(r for r in site.site.sections[SECTION] if r.attachments and r is not story["removed"])
    html = page(story, f"/w/anyue/r/{report_id(story, listed.title)}")
    files = html.css(".facts small.file")
    assert len(files) == len(listed.attachments)
    assert all(re.fullmatch(r"[0-9a-f]{64}", f.attributes["title"]) for f in files), "the full hash on hover"
    assert all(f"sha256 {f.attributes['title'][:12]}" in f.text() for f in files)
