"""What a watcher reads: the fixture site publishes, edits, removes and restores a report; the
real CLI polls; the email (a real SMTP server on loopback) and the webhook tell the whole story
of each event, changes marked character by character, times in the configured zone."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from selectolax.lexbor import LexborHTMLParser

from domain.events import Notice
from domain.marks import joined
from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from notify import render
from tests.conftest import MailSink
from tests.test_notify import Cli, Receiver, write_config

SECTION = "监督工作"
PARAGRAPHS = [
    "为深入贯彻落实党的二十大精神，根据县人大常委会2023年工作要点安排，5月10日至12日，"
    "县人大常委会副主任张三带领调研组，深入全县12个乡镇，对义务教育优质均衡发展情况开展专题调研。",
    "调研组认为，近年来县人民政府高度重视义务教育工作，“县管校聘”改革稳步推进，办学条件持续改善。",
    "调研组要求：一是加强统筹；二是补齐短板；三是强化保障。",
]
ATTACHMENTS = [("调研报告全文.docx", "/files/diaoyan.docx"), ("附件2 问题清单.xlsx", "/files/qingdan.xlsx")]
CREDITS = {"contributor": "县人大教科文卫工委", "editor": "李四", "reviewer": "王五", "approver": "赵六"}


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer(FixtureSite("modern", validators=False)) as server:
        yield server


@pytest.fixture
def receiver(httpserver: HTTPServer) -> Receiver:
    return Receiver(httpserver)


def plain(message) -> str:  # type: ignore[no-untyped-def]
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> LexborHTMLParser:  # type: ignore[no-untyped-def]
    return LexborHTMLParser(message.get_body(preferencelist=("html",)).get_content())


def shanghai(iso: str) -> str:
    there = dt.datetime.fromisoformat(iso).astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    return f"{there:%Y-%m-%d %H:%M:%S} (Asia/Shanghai, UTC+08:00)"


@pytest.fixture
def story(tmp_path: Path, site: FixtureServer, receiver: Receiver, smtp_server: tuple[MailSink, int]):  # type: ignore[no-untyped-def]
    """The fixture site's edit scenario, polled by the real CLI: a new report, a one-digit edit, a
    removal (confirmed), a restore with a sentence added. Returns the mails and webhook payloads."""
    mail, port = smtp_server
    cli = Cli(write_config(tmp_path, site, receiver, port))
    fixture = site.site
    assert cli("poll").returncode == 0  # the baseline: silent
    report = fixture.add_report(
        fixture.new_report(
            title="关于全县义务教育优质均衡发展情况的调研报告", paragraphs=list(PARAGRAPHS),
            attachments=list(ATTACHMENTS), credits=dict(CREDITS), source="县人大常委会办公室",
        )
    )  # fmt: skip
    assert cli("poll").returncode == 0
    fixture.edit_report(report.slug, paragraphs=[PARAGRAPHS[0].replace("2023年", "2024年"), *PARAGRAPHS[1:]])
    assert cli("poll").returncode == 0
    fixture.remove_report(report.slug)
    assert cli("poll").returncode == 0 and cli("poll").returncode == 0  # a verdict, then its confirmation
    fixture.edit_report(report.slug, paragraphs=[*fixture.report(report.slug).paragraphs, "（本文已更正。）"])
    fixture.add_report(fixture.report(report.slug))
    assert cli("poll").returncode == 0
    payloads = [body for _, body in receiver.accepted()]
    assert [p["event"] for p in payloads] == ["report.new", "report.changed", "report.removed", "report.restored"]
    assert len(mail.messages) == 4
    url = site.url(fixture.report_path(report.slug))
    return {"mails": mail.messages, "payloads": payloads, "url": url, "site": site}


def test_the_webhook_carries_the_whole_text_marked(story) -> None:  # type: ignore[no-untyped-def]
    change = story["payloads"][1]["changes"]["text"]
    assert set(change) == {"old", "new", "diff", "inline"}, "old, new and diff are kept"
    assert joined(change["inline"], "old") == change["old"] and joined(change["inline"], "new") == change["new"]
    assert [run for run in change["inline"] if run[0] != "="] == [["-", "3"], ["+", "4"]]
    restored = story["payloads"][3]["changes"]["text"]["inline"]
    assert [run for run in restored if run[0] != "="] == [["+", "\n（本文已更正。）"]]


def test_a_new_report_tells_title_date_source_link_credits_attachments_and_opening(story) -> None:  # type: ignore[no-untyped-def]
    mail, payload = story["mails"][0], story["payloads"][0]
    text = plain(mail)
    assert text.startswith("新报告: 关于全县义务教育优质均衡发展情况的调研报告\n")
    assert f"检测时间: {shanghai(payload['occurred_at'])}" in text, "local time, zone named"
    for line in (f"发布时间: {payload['report']['published']}", "来源: 县人大常委会办公室", f"链接: {story['url']}",
                 "供稿: 县人大教科文卫工委", "编辑: 李四", "审核: 王五", "终审: 赵六"):  # fmt: skip
        assert line in text
    site = story["site"]
    # the site answers 404 for this file: the message says so beside it
    assert f"- 调研报告全文.docx（未保存：HTTP 404 (tried again later)）: {site.url('/files/diaoyan.docx')}" in text
    assert "正文开头:\n" + PARAGRAPHS[0] + "\n\n" + PARAGRAPHS[1] in text
    page = html_of(mail)
    paragraphs = [p.text() for p in page.css("p")]
    assert all(p in paragraphs for p in PARAGRAPHS), "one <p> per paragraph"
    links = {a.text(): a.attributes["href"] for a in page.css("a")}
    assert links["附件2 问题清单.xlsx"] == site.url("/files/qingdan.xlsx") and links[story["url"]] == story["url"]
    assert page.css_first('meta[name="viewport"]') is not None, "readable on a phone"


def test_a_change_comes_first_marked_to_the_character_then_the_whole_story(story) -> None:  # type: ignore[no-untyped-def]
    text = plain(story["mails"][1])
    assert story["mails"][1]["Subject"] == "[监督工作] 报告已修改: 关于全县义务教育优质均衡发展情况的调研报告"
    marked = re.search(r"^  (.*\[-3-\]\{\+4\+\}.*)$", text, re.M)
    assert marked, text
    before, after = marked.group(1).split("[-3-]{+4+}")
    assert before == "…实党的二十大精神，根据县人大常委会202" and after == "年工作要点安排，5月10日至12日，县人…"
    assert len(before.lstrip("…")) <= 20 and len(after.rstrip("…")) <= 20
    assert text.index("[-3-]") < text.index("发布时间:") < text.index("正文开头:"), "what changed first"
    assert "供稿: 县人大教科文卫工委" in text and "调研报告全文.docx" in text
    page = html_of(story["mails"][1])
    deleted, inserted = page.css_first("del"), page.css_first("ins")
    assert (deleted.text(), inserted.text()) == ("3", "4")
    assert "line-through" in deleted.attributes["style"] and "underline" in inserted.attributes["style"]
    assert "red" in deleted.attributes["style"] or "#a40000" in deleted.attributes["style"]
    assert deleted.parent.tag == "p" and "202" in deleted.parent.text()


def test_a_removal_says_when_it_was_seen_how_it_was_confirmed_and_its_last_text(story) -> None:  # type: ignore[no-untyped-def]
    payload, text = story["payloads"][2], plain(story["mails"][2])
    removal = payload["removal"]
    assert f"首次发现: {shanghai(payload['report']['first_seen'])}" in text
    assert f"最后在线: {shanghai(removal['last_seen_live'])}" in text
    assert "删除确认: 页面返回 404（未找到），列表中已无此文，间隔后再次访问仍然如此" in text
    assert "删除前的正文:\n" + "\n\n".join(PARAGRAPHS[:1]).replace("2023年", "2024年") in text
    assert PARAGRAPHS[2] in text, "the whole last text"
    assert all(p in [x.text() for x in html_of(story["mails"][2]).css("p")] for p in PARAGRAPHS[1:])


def test_a_restore_says_what_came_back_and_marks_what_differs(story) -> None:  # type: ignore[no-untyped-def]
    text = plain(story["mails"][3])
    assert text.startswith("报告已恢复: ") and "{+（本文已更正。）+}" in text
    assert "链接: " + story["url"] in text and "正文开头:" in text
    assert html_of(story["mails"][3]).css_first("ins").text() == "（本文已更正。）"


def test_a_digest_opens_with_the_titles_by_kind(tmp_path: Path, site: FixtureServer, receiver: Receiver,
                                                smtp_server: tuple[MailSink, int]) -> None:  # fmt: skip
    mail, port = smtp_server
    cli = Cli(write_config(tmp_path, site, receiver, port, extra="[notify]\ndigest_over = 2\n"))
    fixture = site.site
    assert cli("poll").returncode == 0
    added = [fixture.add_report(fixture.new_report()) for _ in range(2)]
    edited = fixture.sections[SECTION][5]
    fixture.edit_report(edited.slug, title=edited.title + "（修订）")
    assert cli("poll", timeout=120).returncode == 0
    assert len(mail.messages) == 1, "three events, over digest_over: one digest"
    text = plain(mail.messages[0])
    head = text.split("==========")[0]
    assert head.startswith("本次共 3 条更新:")
    assert f"新报告（2）:\n- {added[1].title}\n- {added[0].title}" in head or (
        f"新报告（2）:\n- {added[0].title}\n- {added[1].title}" in head
    )
    assert f"报告已修改（1）:\n- {edited.title}" in head
    assert "标题:\n  " + edited.title.removesuffix("（修订）") + "{+（修订）+}" in text
    page = html_of(mail.messages[0])
    assert [li.text() for li in page.css("ul")[0].css("li")] == [added[0].title, added[1].title] or [
        li.text() for li in page.css("ul")[0].css("li")
    ] == [added[1].title, added[0].title]


def test_times_follow_notify_timezone_and_a_bad_zone_is_a_config_error(
    tmp_path: Path, site: FixtureServer, receiver: Receiver, smtp_server: tuple[MailSink, int]
) -> None:
    mail, port = smtp_server
    cli = Cli(write_config(tmp_path, site, receiver, port, extra='[notify]\ntimezone = "America/New_York"\n'))
    assert cli("poll").returncode == 0
    site.site.add_report(site.site.new_report())
    assert cli("poll").returncode == 0
    occurred = receiver.accepted()[0][1]["occurred_at"]
    assert occurred.endswith("+00:00"), "payload times stay ISO 8601 with offset (UTC)"
    there = dt.datetime.fromisoformat(occurred).astimezone(zoneinfo.ZoneInfo("America/New_York"))
    assert f"检测时间: {there:%Y-%m-%d %H:%M:%S} (America/New_York, UTC-05:00)" in plain(mail.messages[0])

    bad = Cli(write_config(tmp_path, site, receiver, port, extra='[notify]\ntimezone = "Mars/Olympus"\n'))
    done = bad("poll")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "timezone" in done.stderr and "Mars/Olympus" in done.stderr and "Traceback" not in done.stderr


def test_an_older_payload_without_marks_still_renders_marked() -> None:
    old = {
        "event": "report.changed",
        "occurred_at": "2026-11-25T08:00:00+00:00",
        "report": {
            "url": "http://a.gov.cn/1.html",
            "title": "关于2024年工作的报告",
            "text": "第一段。\n经费2024万元。",
        },
        "changes": {
            "title": {"old": "关于2023年工作的报告", "new": "关于2024年工作的报告"},
            "text": {"old": "第一段。\n经费2023万元。", "new": "第一段。\n经费2024万元。", "diff": "-..."},
        },
    }  # fmt: skip  (a 0.1.0 - 0.5.0 payload: no inline, no watch, no credits)
    notice = Notice.from_payload(old)
    text = render.text_body(notice)
    assert "标题:\n  关于202[-3-]{+4+}年工作的报告" in text and "经费202[-3-]{+4+}万元。" in text
    assert "检测时间: 2026-11-25 16:00:00 (Asia/Shanghai, UTC+08:00)" in text
    page = LexborHTMLParser(render.page(render.html_body(notice)))
    assert [d.text() for d in page.css("del")] == ["3", "3"]


def test_everything_from_the_page_is_escaped_in_every_part() -> None:
    evil = "<script>alert(1)</script>&<blink>"
    notice = Notice.from_payload({
        "event": "report.changed", "occurred_at": "2026-11-25T08:00:00+00:00",
        "report": {"url": 'http://a.gov.cn/1.html"><script>', "title": evil, "text": evil, "source": evil,
                   "attachments": [{"name": evil, "url": "http://a.gov.cn/x.pdf"}], "credits": {"editor": evil}},
        "changes": {"text": {"old": "x", "new": evil}},
    })  # fmt: skip
    page = LexborHTMLParser(render.page(render.html_body(notice)))
    assert page.css("script") == [] and page.css("blink") == [], "no markup from the page survives"
    assert evil in page.text()
