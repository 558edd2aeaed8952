"""Walk a section's list pages: every item, in list order, across all pages.

Breadth-first over the pages each list page points to, never the same page
twice, never off the site, at most ``max_pages``; a page that adds no new item
is not followed further (sites that answer every page number with page 1 would
otherwise be walked to the cap).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from crawler.errors import CrawlError
from crawler.fetch import Fetcher
from crawler.listing import parse_listing
from crawler.models import Listing, ListingEntry


@dataclass(frozen=True)
class WalkResult:
    items: tuple[ListingEntry, ...]
    pages: tuple[str, ...]  # list pages read, in order
    complete: bool  # every list page was read, without error
    total_pages: int | None
    problems: tuple[str, ...]
    not_modified: bool = False  # the first page answered 304: the list has not changed
    validators: tuple[str | None, str | None] = (None, None)  # the first page's ETag, Last-Modified
    first_status: int | None = None  # HTTP status of the first list page (None: no answer)


def walk_section(
    fetcher: Fetcher,
    list_url: str,
    *,
    max_pages: int = 200,
    item_selector: str | None = None,
    keep_going: Callable[[Listing], bool] | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> WalkResult:
    """All items of the section. ``keep_going(listing)`` returning False stops after that
    page (the incremental poll stops once a page ends in a known item). ``etag`` and
    ``last_modified`` make the first request conditional."""
    queue = [list_url]
    seen_pages: set[str] = set()
    items: dict[str, ListingEntry] = {}
    pages: list[str] = []
    problems: list[str] = []
    complete, total = True, None
    validators: tuple[str | None, str | None] = (None, None)
    first_status: int | None = None
    container: str | None = None  # the list's place on page 1, preferred on later pages
    while queue:
        url = queue.pop(0)
        if url in seen_pages:
            continue
        if len(pages) >= max_pages:
            problems.append(f"stopped at max_list_pages ({max_pages}); more list pages remain")
            complete = False
            break
        seen_pages.add(url)
        first = not pages
        try:
            page = fetcher.get(url, etag=etag, last_modified=last_modified) if first else fetcher.get(url)
        except CrawlError as exc:
            problems.append(str(exc))
            complete = False
            break
        seen_pages.add(page.final_url)
        if first:
            first_status = page.status
            validators = (page.etag, page.last_modified)
            if page.not_modified:
                return WalkResult((), (page.final_url,), False, None, (), True, (etag, last_modified), 304)
        if page.status != 200:
            problems.append(f"{url}: list page answered HTTP {page.status}")
            complete = False
            break
        listing = parse_listing(page, item_selector, prefer=container)
        container = container or listing.container
        pages.append(page.final_url)
        total = total or listing.total_pages
        problems.extend(f"{page.final_url}: {p}" for p in listing.problems)
        if not listing.items:
            complete = False
            break
        new = [i for i in listing.items if i.url not in items]
        for item in new:
            items[item.url] = item
        if keep_going is not None and not keep_going(listing):
            complete = False  # stopped on purpose: the rest is known
            break
        if not new:
            continue
        queue.extend(p for p in listing.next_pages if p not in seen_pages and p not in queue)
    return WalkResult(
        tuple(items.values()), tuple(pages), complete, total, tuple(problems), False, validators, first_status
    )
