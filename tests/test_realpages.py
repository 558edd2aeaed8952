"""Regression over real government pages nobody here wrote (tests/realpages, see its README).

Each page has a truth file written by reading the HTML; the extractor and the list parser
must agree with it, check by check. Pages marked ``"held_out": true`` are not checked here:
they measure the extractor (``make bench`` reports them apart) and nobody tunes on them.

A check the extractor does not pass yet is listed in KNOWN_FAILURES with the reason; it runs
as a strict expected failure, so the day it passes the list must lose it.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

import pytest

from crawler.charset import decode_html
from crawler.extract import extract_report
from crawler.listing import parse_listing
from crawler.models import Page, Report

REALPAGES = Path(__file__).parent / "realpages"
TRUTHS = sorted(REALPAGES.glob("*.truth.json"))
ARTICLE_CHECKS = ("title", "published", "source", "credits", "attachments", "first", "last", "chrome")
LIST_CHECKS = ("items", "next")

# (page, check) -> why it fails today.
KNOWN_FAILURES: dict[tuple[str, str], str] = {
    ("bynr-zwdt-article-2022", "title"): "a title broken over two elements gets a space between CJK lines",
    ("bynr-zwdt-article-2022", "credits"): "编辑 on one line with 来源, below the body, is not read",
    ("ccgp-hebei-weichang-zbgg-2021", "source"): "meta ContentSource is taken though the page shows no source",
    ("ccgp-hebei-weichang-zbgg-2021", "last"): "the attachment's link text is kept as a last body line",
    ("gansu-fzgg-tzgg-article-2025", "last"): "the attachment's link text is kept as a last body line",
    ("gzns-tzzc-article-2017", "first"): "the introductory paragraph before the numbered headings is lost",
    ("wanzai-tjj-gongbao-2015", "source"): "an empty 来源： takes the next label's value (访问量：199)",
    ("wanzai-tjj-gongbao-2015", "last"): "a closing attribution line （万载县统计局） is kept as body",
    ("wanzai-tjj-gongbao-2022", "published"): "生成日期 in the 信息公开 table is not a date label; meta PubDate wins",
    ("wanzai-tjj-gongbao-2022", "source"): "责任部门 of the 信息公开 table is taken as the source",
    ("gansu-jyt-wjtz-list", "items"): "items inside an HTML comment, filled by script: not reported as script-loaded",
    ("gansu-jyt-wjtz-list", "next"): "navigation links are taken for further list pages",
    ("jiujiang-search-list", "items"): "search-result items (label span + title link, 发布时间：) are not found",
    ("jiujiang-search-list", "next"): "a javascript:; pager's last page number (1000) is not read",
}


def truth_of(truth_file: Path) -> dict:
    return json.loads(truth_file.read_text(encoding="utf-8"))


def load(truth_file: Path) -> tuple[dict, Page]:
    truth = truth_of(truth_file)
    html_file = truth_file.with_name(truth_file.name.replace(".truth.json", ".html"))
    text, _ = decode_html(html_file.read_bytes(), None)
    url = truth.get("page_url") or f"http://{truth['site']}/col/section/index.html"
    return truth, Page(url=url, final_url=url, status=200, text=text)


def cases(kind: str, checks: tuple[str, ...]) -> list:
    found = []
    for truth_file in TRUTHS:
        truth = truth_of(truth_file)
        if truth["kind"] != kind or truth.get("held_out"):
            continue
        name = truth_file.name.split(".")[0]
        for check in checks:
            reason = KNOWN_FAILURES.get((name, check))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            found.append(pytest.param(truth_file, check, id=f"{name}-{check}", marks=marks))
    return found


def test_the_corpus_has_what_it_promises() -> None:
    truths = [truth_of(t) for t in TRUTHS]
    new = [t for t in truths if t.get("chrome_lines") is not None or t["kind"] == "list"]
    assert len(truths) >= 23 and sum(1 for t in truths if t.get("held_out")) >= 4
    assert sum(1 for t in truths if t["kind"] == "list") >= 4 + 3
    assert all("held_out" in t for t in new)


def article_check(report: Report, truth: dict, page: Page, check: str) -> None:
    lines = report.text.split("\n") if report.text else []
    if check == "title":
        assert report.title == truth["title"]
    elif check == "published":
        if truth["published"] is None and truth["site"] == "www.gov.cn":
            # gov.cn shows no publish date; its adoption date is an acceptable document date,
            # the page-generation time (2023-10-23) never is.
            assert report.published in (None, "2007-06-29")
        else:
            assert report.published == truth["published"]
    elif check == "source":
        assert report.source == truth["source"]
    elif check == "credits":
        assert report.credits == truth["credits"]
    elif check == "attachments":
        assert [a.url for a in report.attachments] == [urljoin(page.url, a["url"]) for a in truth["attachments"]]
    elif check == "first":
        if truth["first_paragraph"] is None:
            assert report.text == "" and any(p.startswith("no body") for p in report.problems)
        else:
            assert truth["first_paragraph"] in lines
    elif check == "last":
        if truth["last_paragraph"] is not None:
            assert truth["last_paragraph"] in lines
            assert lines[-1] == truth["last_paragraph"], "nothing after the last paragraph (no footer, no credits)"
    elif check == "chrome":
        chrome = [line for line in truth.get("chrome_lines", []) if line in lines]
        assert chrome == [], "page chrome is not body text"


@pytest.mark.parametrize(("truth_file", "check"), cases("article", ARTICLE_CHECKS))
def test_article_fields_match_the_truth(truth_file: Path, check: str) -> None:
    truth, page = load(truth_file)
    article_check(extract_report(page), truth, page, check)


def list_check(page: Page, truth: dict, check: str) -> None:
    listing = parse_listing(page)
    if check == "items":
        expected = [(i["title"], urljoin(page.url, i["url"]).split("#")[0], i["date"]) for i in truth["items"]]
        assert [(i.title, i.url, i.date) for i in listing.items] == expected
        if truth["items_loaded_by_js"]:
            assert listing.items == ()
            assert any("items loaded by script" in p for p in listing.problems)
        return
    next_url = truth["pagination"]["next_url"]
    if next_url:
        assert listing.next_pages and listing.next_pages[0] == urljoin(page.url, next_url).split("#")[0]
    else:
        assert listing.next_pages == ()
    if truth["pagination"]["total_pages"]:
        assert listing.total_pages == truth["pagination"]["total_pages"]


@pytest.mark.parametrize(("truth_file", "check"), cases("list", LIST_CHECKS))
def test_list_items_and_next_page_match_the_truth(truth_file: Path, check: str) -> None:
    truth, page = load(truth_file)
    list_check(page, truth, check)
