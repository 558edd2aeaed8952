"""The list half of a poll: where the list is, and which reports it shows now.

A complete walk (the baseline, and a full walk once per ``full_walk`` period) reads every
list page from a cursor kept in the archive after each page, so a walk that is stopped or
fails resumes where it stopped; the reports it lists and no poll has stored wait in
``walk_items``. A full walk of a long list is spread over polls: each reads a slice of it
(enough to finish within half the period, at least MIN_SLICE pages, at most
``max_list_pages``), after the incremental check for news; a baseline reads up to
``max_list_pages`` per poll. No poll fails because a list is long. An incremental walk reads
page 1 conditionally and follows the next pages only while a page ends in an unknown report.
Either way a walk that cannot be trusted fails the poll (PollFailed) with the kind of trouble
it is.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Iterable

from crawler.discover import locate_section
from crawler.errors import BlockedError, CrawlError, DiscoveryError
from crawler.fetch import Fetcher
from crawler.models import Listing
from crawler.walk import PageRead, WalkCursor, WalkResult, walk_pages, walk_section
from domain.evidence import Raw
from domain.schedule import NOW_DUE
from domain.times import iso, precise
from domain.trouble import ProblemKind, Trouble
from domain.watch import Watch
from jobs.config import Config
from jobs.progress import Progress
from jobs.result import PollFailed, PollResult
from storage.archive import Archive

log = logging.getLogger("ayrdw.poll")
DISCOVERY_MAX_AGE = dt.timedelta(hours=24)
CURSOR_KEY = "walk_cursor"
PAGES_KEY = "list_pages"  # how many list pages the last complete walk read
MIN_SLICE = 10  # a full walk reads at least this many list pages per poll (a short list: all of it)
CURSOR_EVERY = 5  # the cursor (every list URL of the walk) is saved with every 5th page and at a slice's end


class ListWalk:
    """One poll's list walk. ``save_progress`` is the poll's (its progress goes to `status`)."""

    def __init__(
        self,
        config: Config,
        watch: Watch,
        archive: Archive,
        fetcher: Fetcher,
        started: dt.datetime,
        result: PollResult,
        progress: Progress,
        clock: Callable[[], dt.datetime],
        save_progress: Callable[[], None],
    ) -> None:
        self.config, self.watch, self.archive, self.fetcher = config, watch, archive, fetcher
        self.started, self.now, self.result = started, iso(started), result
        self.progress, self.clock, self._save_progress = progress, clock, save_progress
        self._list_remembered = False  # the list URL came from an earlier discovery, not this poll's
        self.interval_s = config.interval(watch)
        self.list_pages = int(archive.state.get(PAGES_KEY) or 0) or None
        self.full_walk_s = config.full_walk(watch, self.list_pages)
        self._unchanged: list[PageRead] = []  # 304 list pages not marked yet: marked with the cursor

    def cursor(self) -> WalkCursor | None:
        """The complete walk this poll makes (a resumed one, or a new one when one is due), or None
        for an incremental poll."""
        cursor = WalkCursor.from_json(self.archive.state.get(CURSOR_KEY))
        baseline = self.archive.state.get("baseline_done_at") is None
        if cursor is None and (baseline or self._full_walk_due()):
            list_url, self._list_remembered = self._list_url()
            cursor = WalkCursor.start("baseline" if baseline else "full", list_url, precise(self.started))
        return cursor

    def walk(self, cursor: WalkCursor | None) -> bool:
        """Walk the list; True when a complete walk has read every list page."""
        if cursor is None:
            self._incremental_walk()
            return False
        if cursor.listing_done:
            self.result.found = cursor.items  # resumed after the list was read: only reports are left
            return True
        if cursor.kind == "full" and cursor.pages:  # a spread walk goes on: the news first
            self._incremental_walk()
        return self._complete_walk(cursor, self._slice(cursor))

    def _slice(self, cursor: WalkCursor) -> int:
        """How many list pages this poll reads of a complete walk."""
        cap = self.config.crawl.max_list_pages
        if cursor.kind == "baseline" or not self.full_walk_s:
            return cap
        pages = self.list_pages or cursor.total_pages or cap
        per_poll = math.ceil(2 * pages * self.interval_s / self.full_walk_s)
        return max(1, min(cap, max(per_poll, MIN_SLICE)))

    def finish(self, cursor: WalkCursor) -> None:
        """Every list page read and every report it listed tried: the walk is over."""
        with self.archive.transaction():
            self.archive.list_pages.forget_before(cursor.started_at)  # pages no longer in the list
            self.archive.state.set("last_full_walk_at", cursor.started_at, self.now)
            self.archive.state.set(PAGES_KEY, str(cursor.pages), self.now)
            if cursor.kind == "baseline":
                self.archive.state.set("baseline_done_at", self.now, self.now)
            self.archive.state.set(CURSOR_KEY, None, self.now)

    def _full_walk_due(self) -> bool:
        last_full = self.archive.state.get("last_full_walk_at")
        if not self.full_walk_s or last_full is None:
            return True
        return dt.datetime.fromisoformat(last_full) <= self.started - dt.timedelta(seconds=self.full_walk_s)

    def _complete_walk(self, cursor: WalkCursor, pages: int) -> bool:
        """Read up to ``pages`` list pages left in ``cursor``, saving it with each page's items.
        True when the walk is complete; False when it goes on next poll; a failed page fails the
        poll (the cursor keeps what was read)."""
        fresh = cursor.pages == 0
        walk = self._walk_with_retries(cursor, pages) if fresh else self._walk_from(cursor, pages)
        if fresh and walk.pages:  # page 1's items wait in the archive: its validators may hide them now
            self._keep_validators(walk)
        if cursor.listing_done:
            return True
        if fresh and not walk.pages:
            self._fail_empty(walk, cursor.queue[0] if cursor.queue else "")
        if walk.pages and _sliced(walk):
            about = f" of about {self.list_pages}" if self.list_pages else ""
            log.info("poll: %s walk: %d%s list pages read; it goes on next poll", cursor.kind, cursor.pages, about)
            return False
        raise PollFailed(f"the list walk was incomplete: {'; '.join(walk.problems) or 'stopped'}", _trouble_of(walk))

    def _walk_from(self, cursor: WalkCursor, pages: int) -> WalkResult:
        walk = walk_pages(
            self.fetcher,
            cursor,
            max_pages=pages,
            item_selector=self.watch.selectors.list_item,
            on_page=self._keep_page,
            remembered=self.archive.list_pages.get,
        )
        if walk.pages:
            with self.archive.transaction():
                self._mark_unchanged(cursor)
                self.archive.state.set(CURSOR_KEY, cursor.to_json(), iso(self.clock()))
        self.result.pages += len(walk.pages)
        self.result.found = max(self.result.found, cursor.items)
        self.result.problems.extend(p for p in walk.problems if p.kind is not ProblemKind.MAX_PAGES)  # a slice's end
        return walk

    def _walk_with_retries(self, cursor: WalkCursor, pages: int) -> WalkResult:
        """A fresh walk; a remembered list URL that is gone is discovered again. (A challenge or an
        empty list page is asked once more by the fetcher and the walk themselves.)"""
        remembered = self._list_remembered
        for attempt in range(2):
            walk = self._walk_from(cursor, pages)
            if walk.pages:
                return walk
            if attempt == 0 and remembered and walk.first_status in (404, 410):
                cursor.restart_at(self._discover())
                remembered = False
                continue
            break
        return walk

    def _keep_page(self, read: PageRead, cursor: WalkCursor) -> None:
        """One list page read by a complete walk (or given back by a 304): its unknown items wait
        to be fetched, its known ones are marked listed, the page is remembered for the next walk,
        with the cursor every CURSOR_EVERY pages (it holds every list URL of the walk: saving it
        with every page of a long list cost more than the page). A page that answered 304 is
        marked with the next cursor save, in its transaction (a transaction a page cost more than
        marking its reports); a page read again is marked at once. A crash reads the pages since
        the cursor's save again; marking them twice changes nothing."""
        save_cursor = cursor.pages % CURSOR_EVERY == 0 or cursor.listing_done
        if read.unchanged:  # a 304 always comes with the page as it was remembered
            self._unchanged.append(read)
        if save_cursor or not read.unchanged:
            with self.archive.transaction():
                self._mark_unchanged(cursor)
                if not read.unchanged:
                    self._note_listed(read.listing.items, cursor.kind == "baseline", (read.listing.raw,))
                    if read.known is not None:
                        self.archive.list_pages.keep(read.known, precise(self.clock()))
                if save_cursor:
                    self.archive.state.set(CURSOR_KEY, cursor.to_json(), iso(self.clock()))
        self.progress.pages, self.progress.total_pages, self.progress.listed = (
            cursor.pages, cursor.total_pages, cursor.items,
        )  # fmt: skip
        self._save_progress()

    def _mark_unchanged(self, cursor: WalkCursor) -> None:
        """The list pages that answered 304 since the cursor's last save, marked at once: their
        items as listed, the pages as still part of the list."""
        reads, self._unchanged = self._unchanged, []
        if reads:
            items = [item for read in reads for item in read.listing.items]
            self._note_listed(items, cursor.kind == "baseline", (r.listing.raw for r in reads), unchanged=True)
            self.archive.list_pages.touch([r.known.url for r in reads if r.known], precise(self.clock()))

    def _note_listed(
        self, items: Iterable, baseline: bool, raws: Iterable[Raw | None] = (), unchanged: bool = False
    ) -> None:
        """Unknown items wait to be read, known ones are marked listed (``unchanged``: their pages
        answered 304, their entries are as they were); a list page that revealed news (a new or
        returning report, after the baseline) is kept as evidence."""
        items, now = list(items), precise(self.clock())
        urls = list(dict.fromkeys(i.url for i in items))
        if unchanged and self.archive.reports.listed_again(urls, now, active_only=True) == len(urls):
            return  # every report they list is known and active: nothing waits (one statement)
        known = self.archive.reports.statuses(urls)
        waiting = [i for i in items if known.get(i.url, "removed") == "removed"]
        if waiting and not baseline and self.config.evidence.keep_raw:
            for raw in raws:
                if raw is not None:
                    self.archive.evidence.keep(raw)
        self.archive.walk.add(((i.url, i.title, i.date) for i in waiting), baseline, now)
        if unchanged:
            self.archive.reports.listed_again([url for url in urls if url in known], now)
            return
        listed = ((i.url, i.title, i.date) for i in items if i.url in known)
        self.archive.reports.mark_listed(listed, now, due=NOW_DUE)  # an entry that changed: re-checked now

    def _incremental_walk(self) -> None:
        list_url, remembered = self._list_url()

        def keep_going(listing: Listing) -> bool:
            last = listing.items[-1].url
            return not (self.archive.reports.is_known(last) or self.archive.walk.is_waiting(last))

        for attempt in range(2):
            walk = walk_section(
                self.fetcher,
                list_url,
                max_pages=self.config.crawl.max_list_pages,
                item_selector=self.watch.selectors.list_item,
                keep_going=keep_going,
                etag=self.archive.state.get("list_etag"),
                last_modified=self.archive.state.get("list_last_modified"),
            )
            if walk.not_modified or walk.items:
                break
            if attempt == 0 and walk.first_status in (404, 410) and remembered:
                list_url, remembered = self._discover(), False
                continue
            break
        self.result.pages, self.result.found = len(walk.pages), len(walk.items)
        self.result.problems.extend(walk.problems)
        if walk.not_modified:
            return
        if not walk.items:
            self._fail_empty(walk, list_url)
        # The new items wait in the archive with the validators that hide them: a poll that
        # dies before it stores them finds them there, not behind a 304.
        with self.archive.transaction():
            self._note_listed(walk.items, baseline=False, raws=walk.raws)
            self._keep_validators(walk)

    def _keep_validators(self, walk: WalkResult) -> None:
        self.archive.state.set("list_etag", walk.validators[0], self.now)
        self.archive.state.set("list_last_modified", walk.validators[1], self.now)

    def _fail_empty(self, walk: WalkResult, list_url: str) -> None:
        why = "; ".join(walk.problems) or list_url
        if _trouble_of(walk) is Trouble.CHALLENGE:
            raise PollFailed(f"the site answers with a challenge page: {why}", Trouble.CHALLENGE)
        if walk.first_status != 200:
            raise PollFailed(f"the list page cannot be read: {why}")
        raise PollFailed(f"the list page yields zero reports ({why})", Trouble.ZERO_REPORTS)

    def _list_url(self) -> tuple[str, bool]:
        """(the list URL, whether it was remembered rather than configured or just discovered)."""
        if self.watch.list_url:
            return self.watch.list_url, False
        remembered, found_at = self.archive.state.get("list_url"), self.archive.state.get("list_url_found_at")
        fresh = found_at and dt.datetime.fromisoformat(found_at) > self.started - DISCOVERY_MAX_AGE
        if remembered and fresh and self.archive.state.get("list_url_section") == self.watch.section:
            return remembered, True
        return self._discover(), False

    def _discover(self) -> str:
        site = self.watch
        try:
            found = locate_section(self.fetcher, site.url, site.section, site.selectors.section_link)
        except DiscoveryError as exc:
            raise PollFailed(f"the section can no longer be found: {exc}", Trouble.SECTION_NOT_FOUND) from None
        except CrawlError as exc:
            trouble = Trouble.CHALLENGE if isinstance(exc, BlockedError) else None
            raise PollFailed(f"the home page cannot be read: {exc}", trouble) from None
        for key, value in (
            ("list_url", found.url), ("list_url_how", found.how), ("list_url_found_at", self.now),
            ("list_url_section", site.section),
        ):  # fmt: skip
            self.archive.state.set(key, value, self.now)
        return found.url


def _sliced(walk: WalkResult) -> bool:
    """The walk stopped at the end of its slice (``max_pages``), and for no other reason."""
    return bool(walk.problems) and all(p.kind is ProblemKind.MAX_PAGES for p in walk.problems)


def _trouble_of(walk: WalkResult) -> Trouble | None:
    return Trouble.CHALLENGE if any(p.kind is ProblemKind.CHALLENGE for p in walk.problems) else None
