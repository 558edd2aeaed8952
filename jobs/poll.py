"""One poll, top to bottom: discover -> walk -> fetch reports -> extract -> diff -> store.

1. the list URL: configured, remembered in site_state, or discovered from the home page
2. the list walk: complete (baseline, and at least once per `recheck`) or incremental
   (page 1 conditionally, further pages only while a page ends in an unknown item).
   A complete walk keeps a cursor (crawler.walk.WalkCursor) in the archive after every
   list page, so a walk that is stopped or fails resumes where it stopped.
3. the reports listed and not stored yet (``walk_items``, kept with the cursor), the
   re-checks that are due, and (after a complete walk) the active reports it did not
   list, to see whether they are gone
4. network first, database second: when the walk fails or most report pages fail
   extraction, the poll fails loudly and changes nothing. The baseline is the exception:
   each report is stored as soon as it is read, so hours of a first poll are never
   thrown away; it stays silent however many polls it takes.
5. each report stored in its own transaction with its event (new / changed / removed)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from crawler.discover import locate_section
from crawler.errors import BlockedError, CrawlError, DiscoveryError, Interrupted
from crawler.fetch import Fetcher
from crawler.models import Listing
from crawler.walk import WalkCursor, WalkResult, walk_pages, walk_section
from domain.change import changes as field_changes
from domain.change import content_hash
from domain.events import Event, EventKind, Subscription
from domain.trouble import RETRYABLE_LIST, ProblemKind, Trouble
from jobs.config import Config
from jobs.progress import Progress, Ticker
from jobs.reading import Extracted, Gone, NotModified, Outcome, Reader, Task, Unreadable, is_failure, why
from jobs.record import Recorder
from storage.archive import Archive
from storage.errors import describe
from storage.reports import KnownReport

log = logging.getLogger("ayrdw.poll")
DISCOVERY_MAX_AGE = dt.timedelta(hours=24)
ROBOTS_MAX_AGE = dt.timedelta(hours=24)
PROGRESS_SAVE_SECONDS = 2.0  # how often the poll in flight saves its progress for `status`
CURSOR_KEY = "walk_cursor"
Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def precise(moment: dt.datetime) -> str:
    """For times compared with one another within seconds (a walk's start, a listing)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


class PollFailed(Exception):
    """The poll cannot be trusted (walk failed, most pages failed): nothing is changed.
    ``trouble``: the kind operators hear about at once, if it is one."""

    def __init__(self, message: str, trouble: Trouble | None = None) -> None:
        super().__init__(message)
        self.trouble = trouble


@dataclass
class PollResult:
    status: str = "ok"
    mode: str = "incremental"
    pages: int = 0
    found: int = 0
    new: int = 0
    changed: int = 0
    restored: int = 0
    removed: int = 0
    failed: int = 0
    confirms: int = 0  # second fetches that confirmed (or dismissed) a change
    requests: int = 0
    bytes: int = 0
    seconds: float = 0.0
    error: str | None = None
    trouble: Trouble | None = None  # the kind of a failure operators hear about at once
    problems: list[str] = field(default_factory=list)
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, url, title)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def summary(self) -> str:
        line = (
            f"poll: {self.status} pages={self.pages} found={self.found} new={self.new} changed={self.changed}"
            f" restored={self.restored} removed={self.removed} failed={self.failed} confirms={self.confirms}"
            f" requests={self.requests} seconds={self.seconds:.1f}"
        )
        return f"{line} error={self.error}" if self.error else line

    def counts(self) -> dict[str, Any]:
        """The poll's row in the polls table: every field but the problem and event lists."""
        counts = {k: v for k, v in self.__dict__.items() if k not in ("problems", "events", "trouble")}
        counts["seconds"] = round(self.seconds, 3)
        return counts


def run_poll(
    config: Config,
    archive: Archive,
    *,
    subscriptions: Sequence[Subscription] = (),
    clock: Clock = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    stop: threading.Event | None = None,
) -> PollResult:
    """Run one poll and record it; never raises for site trouble (see ``result.status``).

    When ``stop`` is set the poll is abandoned between two requests (status "stopped");
    what was already committed stays, and the next poll resumes from there."""
    started, t0 = clock(), monotonic()
    poll_id = archive.polls.start(iso(started))
    result = PollResult()
    robots_given = _remembered_robots(archive, started)
    fetcher = Fetcher(
        config.fetch_settings(),
        site_host=urlsplit(config.site.url).hostname,
        robots=dict(robots_given),
        sleep=sleep,
        stop=stop,
    )
    progress = Progress(monotonic=monotonic)
    try:
        with Ticker(progress, config.schedule.progress_every):
            recorder = Recorder(archive, subscriptions, poll_id)
            Poll(config, archive, recorder, fetcher, started, result, progress, clock, monotonic, stop).run()
    except Interrupted as exc:
        result.status, result.error = "stopped", str(exc)
    except PollFailed as exc:
        result.status, result.error, result.trouble = "failed", str(exc), exc.trouble
    except CrawlError as exc:
        result.status, result.error = "failed", str(exc)
    except sqlite3.Error as exc:  # the archive, not the site: a full disk, a damaged file
        result.status, result.error = "failed", str(describe(exc, config.storage.db))
    except Exception as exc:  # a bug must not kill the service: record it, say it loudly
        log.exception("poll %s crashed", poll_id)
        result.status, result.error = "failed", f"internal error: {type(exc).__name__}: {exc}"
    finally:
        fetcher.close()
        result.requests, result.bytes = fetcher.requests, fetcher.bytes_received
        result.seconds = monotonic() - t0
        try:
            now = iso(clock())
            archive.polls.log_fetches(poll_id, fetcher.records, now)
            _remember_robots(archive, robots_given, fetcher.robots, now)
            archive.state.set("progress", None, now)
            archive.polls.finish(poll_id, result.counts(), now)
        except sqlite3.Error as exc:  # the poll row stays 'running': the next start marks it interrupted
            result.status, result.error = "failed", str(describe(exc, config.storage.db))
    return result


class Poll:
    """One poll's context and its steps. ``run`` reads top to bottom."""

    def __init__(
        self,
        config: Config,
        archive: Archive,
        recorder: Recorder,
        fetcher: Fetcher,
        started: dt.datetime,
        result: PollResult,
        progress: Progress,
        clock: Clock,
        monotonic: Callable[[], float],
        stop: threading.Event | None,
    ) -> None:
        self.config, self.archive, self.recorder, self.fetcher = config, archive, recorder, fetcher
        self.poll_id, self.started, self.result = recorder.poll_id, started, result
        self.progress, self.clock, self.monotonic, self.stop = progress, clock, monotonic, stop
        self.now = iso(started)
        self.reader = Reader(fetcher, config.site.url, config.selectors, archive.reports.current_fields)
        self._list_remembered = False  # the list URL came from an earlier discovery, not this poll's
        self.recheck = dt.timedelta(seconds=config.crawl.recheck)
        self._saved_progress_at = -math.inf

    def run(self) -> None:
        cursor = WalkCursor.from_json(self.archive.state.get(CURSOR_KEY))
        baseline = self.archive.state.get("baseline_done_at") is None
        if cursor is None and (baseline or self._full_walk_due()):
            list_url, self._list_remembered = self._list_url()
            cursor = WalkCursor.start("baseline" if baseline else "full", list_url, precise(self.started))
        self.result.mode = cursor.kind if cursor else "incremental"
        if cursor is not None:
            resumed = f", resumed after {cursor.pages} list pages" if cursor.pages else ""
            log.info("poll: %s walk of %s%s", cursor.kind, cursor.queue[0] if cursor.queue else "the list", resumed)
        walked_all = False
        if cursor is None:
            self._incremental_walk()
        elif not cursor.listing_done:
            walked_all = self._complete_walk(cursor)
        else:
            walked_all = True  # resumed after the list was read: only reports are left
            self.result.found = cursor.items
        unlisted = self.archive.reports.unlisted_since(cursor.started_at) if cursor and walked_all else []
        tasks = self._tasks(unlisted, baseline=cursor is not None and cursor.kind == "baseline")
        if tasks:
            log.info("poll: %d report pages to read (%s)", len(tasks), self.result.mode)
        self.progress.start_reports(len(tasks))
        self._save_progress(now=True)
        if cursor is not None and cursor.kind == "baseline":
            self._store_as_read(tasks)
        else:
            self._read_then_store(tasks)
        if cursor is not None and walked_all:
            self._finish_walk(cursor)

    # -- the list walk ---------------------------------------------------------------------------
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
            item_selector=self.config.selectors.list_item,
            on_page=self._keep_page,
        )
        self.result.pages += len(walk.pages)
        self.result.found = cursor.items
        self.result.problems.extend(walk.problems)
        return walk

    def _walk_with_retries(self, cursor: WalkCursor) -> WalkResult:
        """A fresh walk's first page: a challenge or an empty list is tried once more; a
        remembered list URL that is gone is discovered again."""
        remembered = self._list_remembered
        for attempt in range(2):
            walk = self._walk_from(cursor)
            if walk.pages:
                return walk
            if attempt == 0 and remembered and walk.first_status in (404, 410):
                cursor.queue = [self._discover()]
                remembered = False
                continue
            if attempt == 0 and _retryable(walk):
                continue
            break
        return walk

    def _keep_page(self, listing: Listing, cursor: WalkCursor) -> None:
        """One list page read by a complete walk: its unknown items wait to be fetched, its known
        ones are marked listed, and the cursor moves on, in one transaction."""
        with self.archive.transaction():
            self._note_listed(listing.items, baseline=cursor.kind == "baseline")
            self.archive.state.set(CURSOR_KEY, cursor.to_json(), iso(self.clock()))
        self.progress.pages, self.progress.total_pages, self.progress.listed = (
            cursor.pages, cursor.total_pages, cursor.items,
        )  # fmt: skip
        self._save_progress()

    def _note_listed(self, items: Iterable, baseline: bool) -> None:
        items = list(items)
        known = self.archive.reports.known_for([i.url for i in items])
        waiting = [i for i in items if i.url not in known or known[i.url].status == "removed"]
        now = precise(self.clock())
        self.archive.walk.add(((i.url, i.title, i.date) for i in waiting), baseline, now)
        self.archive.reports.mark_listed(((i.url, i.title, i.date) for i in items if i.url in known), now)

    def _incremental_walk(self) -> None:
        list_url, remembered = self._list_url()

        def keep_going(listing: Listing) -> bool:
            last = listing.items[-1].url
            return not (self.archive.reports.is_known(last) or self.archive.walk.is_waiting(last))

        conditional = True
        for attempt in range(2):
            walk = walk_section(
                self.fetcher,
                list_url,
                max_pages=self.config.crawl.max_list_pages,
                item_selector=self.config.selectors.list_item,
                keep_going=keep_going,
                etag=self.archive.state.get("list_etag") if conditional else None,
                last_modified=self.archive.state.get("list_last_modified") if conditional else None,
            )
            if walk.not_modified or walk.items:
                break
            if attempt == 0 and walk.first_status in (404, 410) and remembered:
                list_url, remembered = self._discover(), False
                continue
            if attempt == 0 and _retryable(walk):
                conditional = False
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
            self._note_listed(walk.items, baseline=False)
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
        if self.config.site.list_url:
            return self.config.site.list_url, False
        remembered, found_at = self.archive.state.get("list_url"), self.archive.state.get("list_url_found_at")
        fresh = found_at and dt.datetime.fromisoformat(found_at) > self.started - DISCOVERY_MAX_AGE
        if remembered and fresh and self.archive.state.get("list_url_section") == self.config.site.section:
            return remembered, True
        return self._discover(), False

    def _discover(self) -> str:
        site = self.config.site
        try:
            found = locate_section(self.fetcher, site.url, site.section, self.config.selectors.section_link)
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

    # -- what to fetch ---------------------------------------------------------------------------
    def _tasks(self, unlisted: list[KnownReport], baseline: bool) -> list[Task]:
        """New reports first (oldest listed first), then the unlisted, the not-found verdicts to
        confirm, and the re-checks that are due; each page once."""
        waiting = self.archive.walk.due(precise(self.clock()))
        known = self.archive.reports.known_for([w.url for w in waiting])
        tasks = {
            w.url: Task(w.url, "new", known.get(w.url), (w.title, w.date, w.listed_at), w.baseline, w.attempts)
            for w in waiting
        }
        for k in unlisted:
            tasks.setdefault(k.url, Task(k.url, "unlisted", k))
        for k in self.archive.reports.suspected_gone():
            tasks.setdefault(k.url, Task(k.url, "confirm", k))
        if not baseline and self.archive.reports.any_due(self.now):
            for k in self.archive.reports.due_for_recheck(self.now, _recheck_budget(self.config, self.archive)):
                tasks.setdefault(k.url, Task(k.url, "recheck", k))
        return list(tasks.values())

    # -- reading report pages --------------------------------------------------------------------
    def _read(self, task: Task) -> Outcome:
        try:
            return self.reader.read(task)
        finally:
            self.progress.done += 1
            self.result.confirms = self.reader.confirms

    def _judge(self, outcomes: list[Outcome]) -> None:
        """Count the failures; most pages failing means the layout changed or the site is in
        trouble, and the poll fails loudly."""
        attempted = [o for o in outcomes if not isinstance(o, NotModified)]
        failures = [o for o in attempted if is_failure(o)]
        self.result.failed = len(failures)
        self.result.problems.extend(f"{o.task.url}: {why(o)}" for o in failures)
        if len(attempted) >= 3 and len(failures) * 2 > len(attempted):
            raise PollFailed(
                f"{len(failures)} of {len(attempted)} report pages failed (layout changed or site in trouble): "
                f"{why(failures[0])}",
                Trouble.EXTRACTION_FAILS,
            )

    def _read_then_store(self, tasks: list[Task]) -> None:
        """Network first, database second: nothing is stored unless the poll can be trusted."""
        outcomes = []
        for task in tasks:
            outcomes.append(self._read(task))
            self._save_progress()
        self._judge(outcomes)
        now = iso(self.clock())
        for index, outcome in enumerate(outcomes):
            if self.stop is not None and self.stop.is_set():
                raise Interrupted("stopping: the rest is stored by the next poll")
            self._store(outcome, now, self._due_at(None, index))

    def _store_as_read(self, tasks: list[Task]) -> None:
        """The baseline: each report stored as soon as it is read, so a stopped or failed first
        poll keeps what it did and the next one resumes."""
        outcomes = []
        for index, task in enumerate(tasks):
            outcome = self._read(task)
            outcomes.append(outcome)
            self._store(outcome, iso(self.clock()), self._due_at(len(tasks), index))
            self._save_progress()
        self._judge(outcomes)

    def _due_at(self, spread_over: int | None, index: int) -> str:
        """The next re-check: a baseline spreads its first re-checks over one period."""
        if spread_over:
            offset = self.config.crawl.recheck * (index + 1) / spread_over
            return iso(self.started + dt.timedelta(seconds=offset))
        return iso(self.started + self.recheck)

    def _save_progress(self, now: bool = False) -> None:
        moment = self.monotonic()
        if now or moment - self._saved_progress_at >= PROGRESS_SAVE_SECONDS:
            data = {"poll_id": self.poll_id, **self.progress.as_dict()}
            self.archive.state.set("progress", json.dumps(data), iso(self.clock()))
            self._saved_progress_at = moment

    # -- storing ---------------------------------------------------------------------------------
    def _store(self, outcome: Outcome, now: str, due_at: str) -> None:
        task = outcome.task
        if isinstance(outcome, Unreadable):
            retry = iso(self.started + dt.timedelta(seconds=self._retry_after(task)))
            if task.purpose == "new":
                self.archive.walk.failed(task.url, outcome.error, retry)
            elif task.known is not None:
                self.archive.reports.record_failure(task.url, outcome.error, now, retry)
        elif isinstance(outcome, Gone):
            self._store_gone(outcome, now)
        elif isinstance(outcome, NotModified):
            self.archive.reports.touch(task.url, now, due_at, outcome.etag, outcome.last_modified)
        else:
            self._store_report(outcome, now, due_at)

    def _store_gone(self, outcome: Gone, now: str) -> None:
        """A not-found verdict removes a report only when the poll after the first one sees it
        too (a maintenance redirect or a short list must not remove anything)."""
        task, known = outcome.task, outcome.task.known
        if task.purpose == "new":
            self.archive.walk.drop(task.url)  # listed, then gone before we read it
            return
        if known is None or known.status != "active":
            return
        if not task.asks_if_gone:  # still listed, yet not found: the site's trouble, not a removal
            self.archive.reports.record_failure(task.url, str(outcome.verdict), now, iso(self.started + self.recheck))
            return
        verdict = outcome.verdict
        if known.gone_since is None:  # kept to the microsecond: compared with listing times
            self.archive.reports.suspect_gone(task.url, verdict.kind, verdict.detail, precise(self.clock()))
            return
        if known.last_listed_at and known.last_listed_at > known.gone_since:
            self.archive.reports.clear_gone(task.url)  # listed again since the first verdict: not a removal
            return
        removal = {
            "confirmed_by": str(verdict.kind),
            "detail": verdict.detail,
            "first_seen_gone": iso(dt.datetime.fromisoformat(known.gone_since)),
            "last_seen_live": known.last_fetched_at,
        }
        event = self.recorder.removed(task.url, now, removal, task.baseline)
        self.result.removed += 1
        self.result.events.append(("removed", task.url, event.report.fields.get("title") or ""))

    def _retry_after(self, task: Task) -> float:
        """A failing page is tried again after an interval (a new report: backing off, up to the
        re-check period), not on every poll."""
        interval = self.config.schedule.interval
        cap = max(self.config.crawl.recheck, interval)
        if task.purpose == "new":
            return min(interval * 2 ** min(task.attempts, 10), cap)
        return min(self.config.crawl.recheck, interval)

    def _store_report(self, outcome: Extracted, now: str, due_at: str) -> None:
        task, known, fields = outcome.task, outcome.task.known, outcome.fields
        if known is not None and outcome.noise != known.noise:
            self.archive.reports.set_noise(task.url, outcome.noise)
        if known is not None and known.status == "active" and not outcome.changed:
            self.archive.reports.touch(task.url, now, due_at, outcome.etag, outcome.last_modified)
            if task.purpose == "new":
                self.archive.walk.drop(task.url)
            return
        if known is None:
            kind, diff = EventKind.NEW, {}
        else:
            old = self.archive.reports.current_fields(task.url) or {}
            kind = EventKind.RESTORED if known.status == "removed" else EventKind.CHANGED
            if kind is EventKind.RESTORED and content_hash(fields, known.noise) == content_hash(old, known.noise):
                event = self.recorder.restored(task.url, now, due_at, task.listed)
                self._count(event)
                return
            diff = field_changes(old, fields, task.url)
        event = self.recorder.version(
            kind, task.url, fields, content_hash=content_hash(fields), changes=diff, now=now, recheck_due_at=due_at,
            validators=(outcome.etag, outcome.last_modified), listed=task.listed, baseline=task.baseline,
        )  # fmt: skip
        self._count(event)

    def _count(self, event: Event) -> None:
        counter = {EventKind.NEW: "new", EventKind.CHANGED: "changed", EventKind.RESTORED: "restored"}[event.kind]
        setattr(self.result, counter, getattr(self.result, counter) + 1)
        self.result.events.append((str(event.kind), event.report.url, event.report.fields.get("title") or ""))

    def _finish_walk(self, cursor: WalkCursor) -> None:
        """Every list page read and every report it listed tried: the walk is over."""
        with self.archive.transaction():
            self.archive.state.set("last_full_walk_at", cursor.started_at, self.now)
            if cursor.kind == "baseline":
                self.archive.state.set("baseline_done_at", self.now, self.now)
            self.archive.state.set(CURSOR_KEY, None, self.now)


def _trouble_of(walk: WalkResult) -> Trouble | None:
    return Trouble.CHALLENGE if any(p.kind is ProblemKind.CHALLENGE for p in walk.problems) else None


def _retryable(walk: WalkResult) -> bool:
    return any(p.kind in RETRYABLE_LIST for p in walk.problems)


# -- robots.txt, kept between polls and read again daily ---------------------------------------------
def _remembered_robots(archive: Archive, started: dt.datetime) -> dict[str, str]:
    fetched_at = archive.state.get("robots_fetched_at")
    if fetched_at and dt.datetime.fromisoformat(fetched_at) > started - ROBOTS_MAX_AGE:
        return archive.state.with_prefix("robots:")
    return {}  # stale or never read: the fetcher downloads it before its first request


def _remember_robots(archive: Archive, given: dict[str, str], robots: dict[str, str], now: str) -> None:
    """Keep what this poll downloaded (it was given none, or a host it had not seen)."""
    if robots and robots != given:
        for origin, text in robots.items():
            archive.state.set(f"robots:{origin}", text, now)
        if not given:
            archive.state.set("robots_fetched_at", now, now)


# -- the rolling re-check schedule -------------------------------------------------------------------
def _recheck_budget(config: Config, archive: Archive) -> int:
    """How many re-checks one poll may make: enough to re-fetch every report once per
    `recheck`, spread over that period's polls, with room to catch up after downtime."""
    active = archive.reports.count_active()
    if not config.crawl.recheck:
        return max(active, 1)
    per_poll = active * config.schedule.interval / config.crawl.recheck
    return max(1, math.ceil(per_poll * 2))
