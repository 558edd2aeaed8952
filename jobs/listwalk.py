"""The list half of a poll: where the list is, and which reports it shows now.

A complete walk (the baseline, and a full walk at least once per ``recheck``) reads every
list page from a cursor kept in the archive after each page, so a walk that is stopped or
fails resumes where it stopped; the reports it lists and no poll has stored wait in
``walk_items``. An incremental walk reads page 1 conditionally and follows the next pages
only while a page ends in an unknown report. Either way a walk that cannot be trusted
fails the poll (PollFailed) with the kind of trouble it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from crawler.discover import locate_section
from crawler.errors import BlockedError, CrawlError, DiscoveryError
from crawler.fetch import Fetcher
from crawler.models import Listing
from crawler.walk import WalkCursor, WalkResult, walk_pages, walk_section
from domain.evidence import Raw
from domain.times import iso, precise
from domain.trouble import ProblemKind, Trouble
from domain.watch import Watch
from jobs.config import Config
from jobs.progress import Progress
from jobs.result import PollFailed, PollResult
from storage.archive import Archive

DISCOVERY_MAX_AGE = dt.timedelta(hours=24)
CURSOR_KEY = "walk_cursor"


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
        self.recheck = dt.timedelta(seconds=config.recheck(watch))

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
        if not cursor.listing_done:
            return self._complete_walk(cursor)
        self.result.found = cursor.items  # resumed after the list was read: only reports are left
        return True

    def finish(self, cursor: WalkCursor) -> None:
        """Every list page read and every report it listed tried: the walk is over."""
        with self.archive.transaction():
            self.archive.state.set("last_full_walk_at", cursor.started_at, self.now)
            if cursor.kind == "baseline":
                self.archive.state.set("baseline_done_at", self.now, self.now)
            self.archive.state.set(CURSOR_KEY, None, self.now)

    def _full_walk_due(self) -> bool:
        last_full = self.archive.state.get("last_full_walk_at")
        if not self.recheck or last_full is None:
            return True
        return dt.datetime.fromisoformat(last_full) <= self.started - self.recheck

    def _complete_walk(self, cursor: WalkCursor) -> bool:
        """Read the list pages left in ``cursor``, saving it with each page's items. True when the
        walk is complete; a failed page fails the poll (the cursor keeps what was read)."""
        fresh = cursor.pages == 0
        walk = self._walk_with_retries(cursor) if fresh else self._walk_from(cursor)
        if fresh and walk.pages:  # page 1's items wait in the archive: its validators may hide them now
            self._keep_validators(walk)
        if cursor.listing_done:
            return True
        if fresh and not walk.pages:
            self._fail_empty(walk, cursor.queue[0] if cursor.queue else "")
        raise PollFailed(f"the list walk was incomplete: {'; '.join(walk.problems) or 'stopped'}", _trouble_of(walk))

    def _walk_from(self, cursor: WalkCursor) -> WalkResult:
        walk = walk_pages(
            self.fetcher,
            cursor,
            max_pages=self.config.crawl.max_list_pages,
            item_selector=self.watch.selectors.list_item,
            on_page=self._keep_page,
        )
        self.result.pages += len(walk.pages)
        self.result.found = cursor.items
        self.result.problems.extend(walk.problems)
        return walk

    def _walk_with_retries(self, cursor: WalkCursor) -> WalkResult:
        """A fresh walk; a remembered list URL that is gone is discovered again. (A challenge or an
        empty list page is asked once more by the fetcher and the walk themselves.)"""
        remembered = self._list_remembered
        for attempt in range(2):
            walk = self._walk_from(cursor)
            if walk.pages:
                return walk
            if attempt == 0 and remembered and walk.first_status in (404, 410):
                cursor.queue = [self._discover()]
                remembered = False
                continue
            break
        return walk

    def _keep_page(self, listing: Listing, cursor: WalkCursor) -> None:
        """One list page read by a complete walk: its unknown items wait to be fetched, its known
        ones are marked listed, and the cursor moves on, in one transaction."""
        with self.archive.transaction():
            self._note_listed(listing.items, baseline=cursor.kind == "baseline", raws=(listing.raw,))
            self.archive.state.set(CURSOR_KEY, cursor.to_json(), iso(self.clock()))
        self.progress.pages, self.progress.total_pages, self.progress.listed = (
            cursor.pages, cursor.total_pages, cursor.items,
        )  # fmt: skip
        self._save_progress()

    def _note_listed(self, items: Iterable, baseline: bool, raws: Iterable[Raw | None] = ()) -> None:
        """Unknown items wait to be read, known ones are marked listed; a list page that revealed
        news (a new or returning report, after the baseline) is kept as evidence."""
        items = list(items)
        known = self.archive.reports.known_for([i.url for i in items])
        waiting = [i for i in items if i.url not in known or known[i.url].status == "removed"]
        if waiting and not baseline and self.config.evidence.keep_raw:
            for raw in raws:
                if raw is not None:
                    self.archive.evidence.keep(raw)
        now = precise(self.clock())
        self.archive.walk.add(((i.url, i.title, i.date) for i in waiting), baseline, now)
        self.archive.reports.mark_listed(((i.url, i.title, i.date) for i in items if i.url in known), now)

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


def _trouble_of(walk: WalkResult) -> Trouble | None:
    return Trouble.CHALLENGE if any(p.kind is ProblemKind.CHALLENGE for p in walk.problems) else None
