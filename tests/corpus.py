"""The real pages of tests/realpages and the checks each must pass: shared by the regression
test (tests/test_realpages.py) and the bench, which reports the held-out pages apart.

A check is a function that raises AssertionError (with the reason) when the extractor's
answer differs from the truth written by reading the page.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

from crawler.charset import decode_html
from crawler.extract import extract_report
from crawler.listing import parse_listing
from crawler.models import Page, Report

REALPAGES = Path(__file__).parent / "realpages"
TRUTHS = sorted(REALPAGES.glob("*.truth.json"))
ARTICLE_CHECKS = ("title", "published", "source", "credits", "attachments", "first", "last", "chrome")
LIST_CHECKS = ("items", "next")


def truth_of(truth_file: Path) -> dict:
    return json.loads(truth_file.read_text(encoding="utf-8"))


def load(truth_file: Path) -> tuple[dict, Page]:
    truth = truth_of(truth_file)
    html_file = truth_file.with_name(truth_file.name.replace(".truth.json", ".html"))
    text, _ = decode_html(html_file.read_bytes(), None)
    url = truth.get("page_url") or f"http://{truth['site']}/col/section/index.html"
    return truth, Page(url=url, final_url=url, status=200, text=text)


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


def run_check(truth_file: Path, check: str) -> None:
    """One check of one page (AssertionError when it fails)."""
    truth, page = load(truth_file)
    if truth["kind"] == "article":
        article_check(extract_report(page), truth, page, check)
    else:
        list_check(page, truth, check)


def score(held_out: bool) -> dict[str, object]:
    """Checks passed on the pages held out (or on the others): counts, and the failures."""
    passed, failed = 0, []
    for truth_file in TRUTHS:
        truth = truth_of(truth_file)
        if bool(truth.get("held_out")) != held_out:
            continue
        for check in ARTICLE_CHECKS if truth["kind"] == "article" else LIST_CHECKS:
            try:
                run_check(truth_file, check)
                passed += 1
            except AssertionError:
                failed.append(f"{truth_file.name.split('.')[0]}:{check}")
    total = passed + len(failed)
    return {"passed": passed, "checks": total, "accuracy": passed / total if total else None, "failed": failed}
