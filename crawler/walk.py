"""Walk a section's list pages: every item, in list order, across all pages.

Breadth-first over the pages each list page points to, never the same page
twice, never off the site, at most ``max_pages`` per call; a page that adds no new
item is not followed further (sites that answer every page number with page 1
would otherwise be walked to the cap).

Where the walk stands is a :class:`WalkCursor`, plain data a caller can save
between polls: a walk stopped (SIGTERM, a 503, a crash) resumes at the page it had
not read, instead of starting again. ``walk_pages`` advances a cursor and hands
each page to ``on_page`` with the cursor already moved past it, so a caller that
saves both in one transaction never loses or repeats a page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from crawler.errors import BlockedError, CrawlError
from crawler.fetch import Fetcher
from crawler.listing import parse_listing
from crawler.models import Listing, ListingEntry
from domain.trouble import Problem, ProblemKind


@dataclass
class WalkCursor:
    """Where a walk of one section's list pages stands."""

    kind: str  # what the walk is for: "baseline", "full" (a complete walk), "incremental"
    started_at: str  # ISO time; a report not listed since then was not seen by this walk
    queue: list[str]  # list pages still to read, in order
    seen: list[str] = field(default_factory=list)  # list pages read (or queued once), never read twice
    pages: int = 0  # list pages read so far
    items: int = 0  # items listed so far
    total_pages: int | None = None
    container: str | None = None  # the list's place on page 1, preferred on later pages
    listing_done: bool = False  # every list page is read: what is left is fetching reports

    @classmethod
    def start(cls, kind: str, list_url: str, started_at: str) -> WalkCursor:
        return cls(kind, started_at, [list_url])

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> WalkCursor | None:
        return cls(**json.loads(text)) if text else None

    def advance(self, page_url: str, listing: Listing, follow: bool) -> None:
        """Account for one page read; queue the pages it points to when ``follow``."""
        self.pages += 1
        self.items += len(listing.items)
        self.total_pages = self.total_pages or listing.total_pages
        self.container = self.container or listing.container
        if page_url not in self.seen:
            self.seen.append(page_url)
        if follow:
            known = set(self.seen) | set(self.queue)
            self.queue.extend(p for p in listing.next_pages if p not in known)
        self.listing_done = not self.queue


@dataclass(frozen=True)
class WalkResult:
    items: tuple[ListingEntry, ...]  # items of the pages read by this call
    pages: tuple[str, ...]  # list pages read by this call, in order
    complete: bool  # the walk reached its end (every list page read, without error)
    total_pages: int | None
    problems: tuple[Problem, ...]
    not_modified: bool = False  # the first page answered 304: the list has not changed
    validators: tuple[str | None, str | None] = (None, None)  # the first page's ETag, Last-Modified
    first_status: int | None = None  # HTTP status of the first page read (None: no answer)


PageHandler = Callable[[Listing, WalkCursor], None]


def walk_pages(
    fetcher: Fetcher,
    cursor: WalkCursor,
    *,
    max_pages: int = 200,
    item_selector: str | None = None,
    on_page: PageHandler | None = None,
    keep_going: Callable[[Listing], bool] | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> WalkResult:
    """Read list pages from ``cursor`` until its queue is empty, an error, or ``max_pages``.

    ``keep_going(listing)`` returning False stops after that page (the incremental poll
    stops once a page ends in a known item). ``etag`` and ``last_modified`` make the
    first request conditional."""
    seen_items: set[str] = set()
    items: list[ListingEntry] = []
    pages: list[str] = []
    problems: list[Problem] = []
    complete = False
    validators: tuple[str | None, str | None] = (None, None)
    first_status: int | None = None
    while cursor.queue:
        if len(pages) >= max_pages:
            problems.append(
                Problem(f"stopped at max_list_pages ({max_pages}); more list pages remain", ProblemKind.MAX_PAGES)
            )
            break
        url = cursor.queue[0]
        if url in cursor.seen:  # reached already, under another URL (a redirect)
            cursor.queue.pop(0)
            cursor.listing_done = not cursor.queue
            complete = cursor.listing_done
            continue
        first = not pages
        try:
            page = fetcher.get(url, etag=etag, last_modified=last_modified) if first else fetcher.get(url)
        except CrawlError as exc:
            kind = ProblemKind.CHALLENGE if isinstance(exc, BlockedError) else ProblemKind.PAGE_FAILED
            problems.append(Problem(str(exc), kind))
            break
        if first:
            first_status = page.status
            validators = (page.etag, page.last_modified)
            if page.not_modified:
                return WalkResult((), (page.final_url,), False, None, (), True, (etag, last_modified), 304)
        if page.status != 200:
            problems.append(Problem(f"{url}: list page answered HTTP {page.status}", ProblemKind.PAGE_FAILED))
            break
        listing = parse_listing(page, item_selector, prefer=cursor.container)
        problems.extend(p.about(page.final_url) for p in listing.problems)
        if not listing.items:
            break
        new = [i for i in listing.items if i.url not in seen_items]
        seen_items.update(i.url for i in new)
        items.extend(new)
        pages.append(page.final_url)
        stop_here = keep_going is not None and not keep_going(listing)
        cursor.queue.pop(0)
        if page.final_url != url and page.final_url not in cursor.seen:
            cursor.seen.append(page.final_url)
        cursor.advance(url, listing, follow=bool(new) and not stop_here)
        if on_page is not None:
            on_page(listing, cursor)
        if stop_here:
            break  # stopped on purpose: the rest is known
        complete = cursor.listing_done
    return WalkResult(
        tuple(items), tuple(pages), complete, cursor.total_pages, tuple(problems), False, validators, first_status
    )


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
    """All items of the section in one go (the `listing --all` command, incremental polls)."""
    return walk_pages(
        fetcher,
        WalkCursor.start("incremental", list_url, ""),
        max_pages=max_pages,
        item_selector=item_selector,
        keep_going=keep_going,
        etag=etag,
        last_modified=last_modified,
    )
