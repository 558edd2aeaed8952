"""Walk a section's list pages: every item, in list order, across all pages.

Breadth-first over the pages each list page points to, never the same page
twice, never off the site, at most ``max_pages`` per call; a page that adds no new
item is not followed further (sites that answer every page number with page 1
would otherwise be walked to the cap). A list page that shows no item is read once
more, after the polite delay, before the walk gives up on it.

Where the walk stands is a :class:`WalkCursor`, plain data a caller can save
between polls: a walk stopped (SIGTERM, a 503, a crash) resumes at the page it had
not read, instead of starting again. ``walk_pages`` advances a cursor and hands
each page to ``on_page`` with the cursor already moved past it, so a caller that
saves both in one transaction never loses a page (nor repeats one, if it saves the cursor
with every page).

A list page read before from a server that sends validators is asked for conditionally
(``remembered``): a 304 gives back the items it had then (a :class:`KnownListPage`), so a
long list's walk costs a request per page, not a parse, while nothing changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from crawler.errors import BlockedError, CrawlError
from crawler.fetch import Fetcher
from crawler.listing import parse_listing
from crawler.models import Listing, ListingEntry, Page
from domain.evidence import Raw
from domain.report import KnownListPage
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

    def __post_init__(self) -> None:
        # Lookups in sets (the lists keep the order and are what is saved): a walk of 1,000 list
        # pages asked the lists once a page, which grew with the square of the section.
        self._seen = set(self.seen)
        self._known = self._seen | set(self.queue)  # read or queued once: never queued again

    @classmethod
    def start(cls, kind: str, list_url: str, started_at: str) -> WalkCursor:
        return cls(kind, started_at, [list_url])

    def to_json(self) -> str:
        """Saved every few list pages: a shallow dump (asdict deep-copies every list first)."""
        saved = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        return json.dumps(saved, ensure_ascii=False, separators=(",", ":"))

    def was_seen(self, url: str) -> bool:
        return url in self._seen

    def mark_seen(self, url: str) -> None:
        if url not in self._seen:
            self._seen.add(url)
            self._known.add(url)
            self.seen.append(url)

    def restart_at(self, list_url: str) -> None:
        """Read from ``list_url`` instead (the remembered list URL was gone)."""
        self.queue = [list_url]
        self._known.add(list_url)

    @classmethod
    def from_json(cls, text: str | None) -> WalkCursor | None:
        return cls(**json.loads(text)) if text else None

    def advance(self, page_url: str, listing: Listing, follow: bool) -> tuple[str, ...]:
        """Account for one page read; queue the pages it points to when ``follow``. Returns
        the pages it queued."""
        self.pages += 1
        self.items += len(listing.items)
        self.total_pages = self.total_pages or listing.total_pages
        self.container = self.container or listing.container
        self.mark_seen(page_url)
        added: tuple[str, ...] = ()
        if follow:
            added = tuple(dict.fromkeys(p for p in listing.next_pages if p not in self._known))
            self._known.update(added)
            self.queue.extend(added)
        self.listing_done = not self.queue
        return added


@dataclass(frozen=True)
class PageRead:
    """One list page a walk read, handed to ``on_page``: what it lists, what to remember of it
    (None: its server sends no validators), and whether it answered 304 (``unchanged``)."""

    listing: Listing
    known: KnownListPage | None
    unchanged: bool = False


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
    raws: tuple[Raw, ...] = ()  # the list pages read, as they came (kept as evidence when they revealed news)


PageHandler = Callable[[PageRead, WalkCursor], None]
Remembered = Callable[[str], KnownListPage | None]


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
    remembered: Remembered | None = None,
) -> WalkResult:
    """Read list pages from ``cursor`` until its queue is empty, an error, or ``max_pages``.

    ``keep_going(listing)`` returning False stops after that page (the incremental poll
    stops once a page ends in a known item). ``etag`` and ``last_modified`` make the
    first request conditional (a 304 ends the walk: nothing changed); ``remembered(url)``
    makes any page's request conditional (a 304 gives back the page as it was read)."""
    walk = _Walk()
    while cursor.queue:
        if len(walk.pages) >= max_pages:
            remain = f"stopped at max_list_pages ({max_pages}); more list pages remain"
            walk.problems.append(Problem(remain, ProblemKind.MAX_PAGES))
            break
        url = cursor.queue[0]
        if cursor.was_seen(url):  # reached already, under another URL (a redirect)
            cursor.queue.pop(0)
            cursor.listing_done = walk.complete = not cursor.queue
            continue
        first = not walk.pages
        known = remembered(url) if remembered is not None and not (first and (etag or last_modified)) else None
        asked = (known.etag, known.last_modified) if known else (etag, last_modified) if first else (None, None)
        page = walk.fetch(fetcher, url, asked, first)
        if page is None:
            break
        if page.not_modified and known is None:
            return WalkResult((), (page.final_url,), False, None, (), True, (etag, last_modified), 304)
        if page.not_modified and known is not None:
            listing = Listing(known.url, known.items, known.added, known.total_pages)
        else:
            listing = parse_listing(page, item_selector, prefer=cursor.container)
            if not listing.items:  # a page the walk expected items of: a passing fault is given one more try
                page = walk.fetch(fetcher, url, (None, None), first) or page
                listing = parse_listing(page, item_selector, prefer=cursor.container)
            walk.problems.extend(p.about(page.final_url) for p in listing.problems)
            if not listing.items:
                break
            listing = replace(listing, raw=page.raw)
        new = walk.add(page.final_url, listing)
        stop_here = keep_going is not None and not keep_going(listing)
        cursor.queue.pop(0)
        if page.final_url != url:
            cursor.mark_seen(page.final_url)
        added = cursor.advance(url, listing, follow=bool(new) and not stop_here)
        if on_page is not None:
            on_page(_read(url, page, known, listing, added), cursor)
        if stop_here:
            break  # stopped on purpose: the rest is known
        walk.complete = cursor.listing_done
    return walk.result(cursor)


def _read(url: str, page: Page, known: KnownListPage | None, listing: Listing, added: tuple[str, ...]) -> PageRead:
    """What to hand ``on_page``. A page that sent validators is remembered under the URL asked
    for, with the pages it queued (its other further pages were queued by earlier pages); one
    that answered 304 is remembered as it was (a 304 may leave its validators out)."""
    if page.not_modified and known is not None:
        etag, last_modified = page.etag or known.etag, page.last_modified or known.last_modified
        return PageRead(listing, replace(known, etag=etag, last_modified=last_modified), True)
    if not (page.etag or page.last_modified):
        return PageRead(listing, None)
    known = KnownListPage(url, page.etag, page.last_modified, listing.items, added, listing.total_pages)
    return PageRead(listing, known)


@dataclass
class _Walk:
    """What one call of walk_pages has read so far."""

    items: list[ListingEntry] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    complete: bool = False
    validators: tuple[str | None, str | None] = (None, None)
    first_status: int | None = None
    seen_items: set[str] = field(default_factory=set)
    raws: list[Raw] = field(default_factory=list)

    def fetch(self, fetcher: Fetcher, url: str, conditional: tuple[str | None, str | None], first: bool) -> Page | None:
        """The list page, or None (and a problem) when it cannot be used."""
        try:
            page = fetcher.get(url, etag=conditional[0], last_modified=conditional[1])
        except CrawlError as exc:
            kind = ProblemKind.CHALLENGE if isinstance(exc, BlockedError) else ProblemKind.PAGE_FAILED
            self.problems.append(Problem(str(exc), kind))
            return None
        if first:  # a 304 may leave out the validators it matched
            self.first_status = page.status
            self.validators = (page.etag or conditional[0], page.last_modified or conditional[1])
        if page.status not in (200, 304):
            self.problems.append(Problem(f"{url}: list page answered HTTP {page.status}", ProblemKind.PAGE_FAILED))
            return None
        return page

    def add(self, page_url: str, listing: Listing) -> list[ListingEntry]:
        """Keep the page's items not seen before in this call; they are returned."""
        new = [i for i in listing.items if i.url not in self.seen_items]
        self.seen_items.update(i.url for i in new)
        self.items.extend(new)
        self.pages.append(page_url)
        if listing.raw is not None:
            self.raws.append(listing.raw)
        return new

    def result(self, cursor: WalkCursor) -> WalkResult:
        return WalkResult(
            tuple(self.items), tuple(self.pages), self.complete, cursor.total_pages, tuple(self.problems), False,
            self.validators, self.first_status, tuple(self.raws),
        )  # fmt: skip


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
