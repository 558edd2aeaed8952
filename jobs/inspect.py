"""The crawler's tools for a user trying a site: extract one report page, read one list page
(or walk them all), find a section. They store nothing; each returns what the command
prints and, when the page is not usable, why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crawler.charset import decode_html
from crawler.discover import locate_section
from crawler.errors import BlockedError
from crawler.extract import extract_report
from crawler.fetch import Fetcher
from crawler.listing import parse_listing
from crawler.models import Page, Report
from crawler.profile import Selectors
from crawler.walk import walk_section
from domain.trouble import Problem, ProblemKind
from domain.watch import Watch


def extract_one(fetcher: Fetcher, url: str, selectors: Selectors) -> tuple[dict[str, Any], str | None]:
    """(the report's fields and problems, why it is not a usable report or None)."""
    try:
        page = fetcher.get(url)
    except BlockedError as exc:
        problem = Problem(f"challenge page ({exc.waf})", ProblemKind.CHALLENGE)
        return Report.unusable(url, problem).as_dict(), str(exc)
    if page.status != 200:
        gone = page.status in (404, 410)
        problem = Problem(
            f"{'not found' if gone else 'not a report page'} (HTTP {page.status})",
            ProblemKind.NOT_FOUND if gone else ProblemKind.PAGE_FAILED,
        )
        return Report.unusable(page.final_url, problem).as_dict(), f"{url}: HTTP {page.status}"
    report = extract_report(page, selectors)
    failure = None if report.usable else f"{url}: not a usable report ({'; '.join(report.problems)})"
    return report.as_dict(), failure


def extract_file(path: str, url: str | None, selectors: Selectors) -> tuple[dict[str, Any], str | None]:
    """A saved page's report, without fetching: its bytes decoded as a fetched page's are,
    minus the header (BOM, then <meta>, then a guess). Without ``url`` relative links are
    dropped (nothing to resolve them against). ``"file"`` first, ``"url"`` null when not given."""
    try:
        body = Path(path).read_bytes()
    except OSError as exc:
        why = f"cannot read the file ({exc.strerror or exc})"
        return {"file": path, "url": url, "problems": [why]}, f"{path}: {why}"
    text, _ = decode_html(body, None)
    report = extract_report(Page(url=url or "", final_url=url or "", status=200, text=text), selectors)
    data = {"file": path, **report.as_dict(), "url": url}
    failure = None if report.usable else f"{path}: not a usable report ({'; '.join(report.problems)})"
    return data, failure


def list_page(
    fetcher: Fetcher, url: str, selectors: Selectors, walk_all: bool, max_pages: int
) -> tuple[dict[str, Any], str | None]:
    """One list page's items and further pages, or (``walk_all``) every page's items."""
    if walk_all:
        result = walk_section(fetcher, url, max_pages=max_pages, item_selector=selectors.list_item)
        data = {
            "items": [{"title": i.title, "url": i.url, "date": i.date} for i in result.items],
            "pages": list(result.pages),
            "complete": result.complete,
            "total_pages": result.total_pages,
            "problems": list(result.problems),
        }
        incomplete = not result.items or not result.complete
        why = "; ".join(result.problems) or "no items"
        return data, f"{url}: the walk was incomplete ({why})" if incomplete else None
    page = fetcher.get(url)
    if page.status != 200:
        return {}, f"{url}: list page answered HTTP {page.status}"
    listing = parse_listing(page, selectors.list_item)
    data = listing.as_dict()
    del data["url"]
    return data, None if listing.items else f"{url}: {'; '.join(listing.problems)}"


def find_list(fetcher: Fetcher, watch: Watch) -> tuple[str, str]:
    """(the section's list URL, how it was found) for a watch."""
    if watch.list_url:
        return watch.list_url, "configured as list_url (discovery skipped)"
    found = locate_section(fetcher, watch.url, watch.section, watch.selectors.section_link)
    return found.url, found.how
