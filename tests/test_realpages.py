"""Regression over real government pages nobody here wrote (tests/realpages, see its README).

Each page has a truth file written by reading the HTML; the extractor and the
list parser must agree with it.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

import pytest

from crawler.charset import decode_html
from crawler.extract import extract_report
from crawler.listing import parse_listing
from crawler.models import Page

REALPAGES = Path(__file__).parent / "realpages"
TRUTHS = sorted(REALPAGES.glob("*.truth.json"))


def load(truth_file: Path) -> tuple[dict, Page]:
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    html_file = truth_file.with_name(truth_file.name.replace(".truth.json", ".html"))
    text, _ = decode_html(html_file.read_bytes(), None)
    url = f"http://{truth['site']}/col/section/index.html"
    return truth, Page(url=url, final_url=url, status=200, text=text)


def by_kind(kind: str) -> list[Path]:
    return [t for t in TRUTHS if json.loads(t.read_text(encoding="utf-8"))["kind"] == kind]


@pytest.mark.parametrize("truth_file", by_kind("article"), ids=lambda p: p.name.split(".")[0])
def test_article_fields_match_the_truth(truth_file: Path) -> None:
    truth, page = load(truth_file)
    report = extract_report(page)
    assert report.title == truth["title"]
    if truth["published"] is None:
        # gov.cn shows no publish date; its adoption date is an acceptable document date,
        # the page-generation time (2023-10-23) never is.
        assert report.published in (None, "2007-06-29")
    else:
        assert report.published == truth["published"]
    assert report.source == truth["source"]
    assert [a.url for a in report.attachments] == [urljoin(page.url, a["url"]) for a in truth["attachments"]]
    lines = report.text.split("\n")
    if truth["first_paragraph"] is None:
        assert report.text == ""
        assert any(p.startswith("no body") for p in report.problems)
    else:
        assert truth["first_paragraph"] in lines
        assert truth["last_paragraph"] in lines
        assert lines[-1] == truth["last_paragraph"], "nothing after the last paragraph (no footer, no credits)"


@pytest.mark.parametrize("truth_file", by_kind("list"), ids=lambda p: p.name.split(".")[0])
def test_list_items_and_next_page_match_the_truth(truth_file: Path) -> None:
    truth, page = load(truth_file)
    listing = parse_listing(page)
    expected = [(i["title"], urljoin(page.url, i["url"]).split("#")[0], i["date"]) for i in truth["items"]]
    assert [(i.title, i.url, i.date) for i in listing.items] == expected
    if truth["items_loaded_by_js"]:
        assert listing.items == ()
        assert any("items loaded by script" in p for p in listing.problems)
    next_url = truth["pagination"]["next_url"]
    if next_url:
        assert listing.next_pages[0] == urljoin(page.url, next_url).split("#")[0]
    else:
        assert listing.next_pages == ()
    if truth["pagination"]["total_pages"]:
        assert listing.total_pages == truth["pagination"]["total_pages"]
