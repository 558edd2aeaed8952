"""One poll, top to bottom: discover -> walk -> fetch reports -> extract -> diff -> store.

1. the list URL: configured, remembered in site_state, or discovered from the home page
2. the list walk: complete (baseline, and at least once per `recheck`) or incremental
   (page 1 conditionally, further pages only while a page ends in an unknown item)
3. the report pages to fetch: new ones, the re-checks that are due, and (after a
   complete walk) active reports no longer listed, to see whether they are gone
4. network first, database second: when the walk fails or most report pages fail
   extraction, the poll fails loudly and changes nothing
5. each report stored in its own transaction with its event (new / changed / removed)
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from crawler.discover import locate_section
from crawler.errors import CrawlError, DiscoveryError, Interrupted
from crawler.extract import extract_report
from crawler.fetch import Fetcher
from crawler.gone import not_found_reason
from crawler.models import ListingEntry, Report
from crawler.walk import WalkResult, walk_section
from jobs.config import Config
from jobs.diff import changes as field_changes
from jobs.diff import content_hash
from storage.reports import KnownReport, Store

log = logging.getLogger("ayrdw.poll")
DISCOVERY_MAX_AGE = dt.timedelta(hours=24)
ROBOTS_MAX_AGE = dt.timedelta(hours=24)
Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


class PollFailed(Exception):
    """The poll cannot be trusted (walk failed, most pages failed): nothing is changed."""


@dataclass
class PollResult:
    status: str = "ok"
    mode: str = "incremental"
    pages: int = 0
    found: int = 0
    new: int = 0
    changed: int = 0
    removed: int = 0
    failed: int = 0
    requests: int = 0
    bytes: int = 0
    seconds: float = 0.0
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, url, title)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def summary(self) -> str:
        line = (
            f"poll: {self.status} pages={self.pages} found={self.found} new={self.new} changed={self.changed}"
            f" removed={self.removed} failed={self.failed} requests={self.requests} seconds={self.seconds:.1f}"
        )
        return f"{line} error={self.error}" if self.error else line

    def counts(self) -> dict[str, Any]:
        """The poll's row in the polls table: every field but the problem and event lists."""
        counts = {k: v for k, v in self.__dict__.items() if k not in ("problems", "events")}
        counts["seconds"] = round(self.seconds, 3)
        return counts


@dataclass
class _Fetched:
    """What fetching one report page found, before anything is stored."""

    url: str
    purpose: str  # new | recheck | unlisted
    report: Report | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    gone: str | None = None
    error: str | None = None
    listed: ListingEntry | None = None


def run_poll(
    config: Config,
    store: Store,
    *,
    clock: Clock = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    stop: threading.Event | None = None,
) -> PollResult:
    """Run one poll and record it; never raises for site trouble (see ``result.status``).

    When ``stop`` is set the poll is abandoned between two requests (status "stopped");
    what was already committed stays, the rest is found again by the next poll."""
    started, t0 = clock(), monotonic()
    poll_id = store.start_poll(iso(started))
    result = PollResult()
    robots_given = _remembered_robots(store, started)
    fetcher = Fetcher(
        config.fetch_settings(),
        site_host=urlsplit(config.site.url).hostname,
        robots=dict(robots_given),
        sleep=sleep,
        stop=stop,
    )
    try:
        _poll(config, store, fetcher, poll_id, started, clock, result, stop)
    except Interrupted as exc:
        result.status, result.error = "stopped", str(exc)
    except (PollFailed, CrawlError) as exc:
        result.status, result.error = "failed", str(exc)
    except Exception as exc:  # a bug must not kill the service: record it, say it loudly
        log.exception("poll %s crashed", poll_id)
        result.status, result.error = "failed", f"internal error: {type(exc).__name__}: {exc}"
    finally:
        fetcher.close()
        now = iso(clock())
        result.requests, result.bytes = fetcher.requests, fetcher.bytes_received
        result.seconds = monotonic() - t0
        store.log_fetches(poll_id, fetcher.records, now)
        _remember_robots(store, robots_given, fetcher.robots, now)
        store.finish_poll(poll_id, result.counts(), now)
    return result


def _poll(
    config: Config,
    store: Store,
    fetcher: Fetcher,
    poll_id: int,
    started: dt.datetime,
    clock: Clock,
    result: PollResult,
    stop: threading.Event | None,
) -> None:
    now = iso(started)
    recheck = dt.timedelta(seconds=config.crawl.recheck)
    baseline = store.state("baseline_done_at") is None
    last_full = store.state("last_full_walk_at")
    full = baseline or not recheck or last_full is None or dt.datetime.fromisoformat(last_full) <= started - recheck
    result.mode = "baseline" if baseline else ("full" if full else "incremental")
    walk = _walk(config, store, fetcher, full, started)
    # Only the reports this walk saw are looked up: an idle poll costs the same with 100
    # stored reports as with 10,000.
    known = store.known_for([item.url for item in walk.items])
    result.pages, result.found = len(walk.pages), len(walk.items)
    result.problems.extend(walk.problems)

    # -- what to fetch ---------------------------------------------------------------------------
    listed = {item.url: item for item in walk.items}
    new_items = [i for i in walk.items if i.url not in known or known[i.url].status == "removed"]
    unlisted = []
    if full and walk.complete:
        unlisted = store.active_not_in(listed)
    skip = {i.url for i in new_items} | {k.url for k in unlisted}
    due = []
    if store.any_due(now):
        due = [k for k in store.due_for_recheck(now, _recheck_budget(config, store)) if k.url not in skip]
    known.update({k.url: k for k in (*due, *unlisted)})

    # -- network phase: nothing is stored until every page is read ---------------------------------
    fetched: list[_Fetched] = []
    for item in reversed(new_items):  # oldest first, so events come out in publication order
        fetched.append(_fetch_report(fetcher, item.url, "new", config, listed=item))
    for k in due:
        fetched.append(_fetch_report(fetcher, k.url, "recheck", config, known=k, listed=listed.get(k.url)))
    for k in unlisted:
        fetched.append(_fetch_report(fetcher, k.url, "unlisted", config))

    attempted = [f for f in fetched if not f.not_modified]
    failures = [f for f in attempted if f.error or (f.gone and f.purpose != "unlisted")]
    result.failed = len(failures)
    result.problems.extend(f"{f.url}: {f.error or f.gone}" for f in failures)
    if len(attempted) >= 3 and len(failures) * 2 > len(attempted):
        raise PollFailed(
            f"{len(failures)} of {len(attempted)} report pages failed (layout changed or site in trouble): "
            f"{failures[0].error or failures[0].gone}"
        )

    # -- database phase: one transaction per report ------------------------------------------------
    store_now = iso(clock())
    spread = _baseline_spread(config, len(new_items)) if baseline else None
    for index, f in enumerate(fetched):
        if stop is not None and stop.is_set():
            raise Interrupted("stopping: the rest is stored by the next poll")
        due_at = _due_at(started, recheck, spread, index)
        _store_outcome(store, f, known.get(f.url), store_now, due_at, baseline, poll_id, result, started, config)
    if walk.items:
        store.mark_listed(((i.url, i.title, i.date) for i in walk.items if i.url in known), store_now)
    # The list page's validators are kept only now, once every new report on it is stored:
    # a poll that dies (or fails a new report) before this re-reads the list next time.
    if not walk.not_modified:
        stored_all = not any(f.purpose == "new" and (f.error or f.gone) for f in fetched)
        store.set_state("list_etag", walk.validators[0] if stored_all else None, store_now)
        store.set_state("list_last_modified", walk.validators[1] if stored_all else None, store_now)
    if full and walk.complete:
        store.set_state("last_full_walk_at", now, store_now)
        if baseline:
            store.set_state("baseline_done_at", now, store_now)


# -- robots.txt, kept between polls and read again daily ---------------------------------------------
def _remembered_robots(store: Store, started: dt.datetime) -> dict[str, str]:
    fetched_at = store.state("robots_fetched_at")
    if fetched_at and dt.datetime.fromisoformat(fetched_at) > started - ROBOTS_MAX_AGE:
        return store.states("robots:")
    return {}  # stale or never read: the fetcher downloads it before its first request


def _remember_robots(store: Store, given: dict[str, str], robots: dict[str, str], now: str) -> None:
    """Keep what this poll downloaded (it was given none, or a host it had not seen)."""
    if robots and robots != given:
        for origin, text in robots.items():
            store.set_state(f"robots:{origin}", text, now)
        if not given:
            store.set_state("robots_fetched_at", now, now)


# -- the list walk ----------------------------------------------------------------------------------
def _walk(config: Config, store: Store, fetcher: Fetcher, full: bool, started: dt.datetime) -> WalkResult:
    """Walk the list; retry a challenge or an empty list once; rediscover a dead list URL."""
    list_url, remembered = _list_url(config, store, fetcher, started)
    conditional = not full
    for attempt in range(2):
        walk = _walk_once(config, store, fetcher, list_url, full, conditional)
        if walk.not_modified or walk.items:
            break
        if remembered and walk.first_status in (404, 410) and attempt == 0:
            list_url, remembered = _discover(config, store, fetcher, started), False
            continue
        if attempt == 0 and _retryable(walk):
            conditional = False
            continue
        break
    if walk.not_modified:
        return walk
    if not walk.items:
        why = "; ".join(walk.problems) or list_url
        if "challenge page" in why:
            raise PollFailed(f"the site answers with a challenge page: {why}")
        if walk.first_status != 200:
            raise PollFailed(f"the list page cannot be read: {why}")
        raise PollFailed(f"the list page yields zero reports ({why})")
    if full and not walk.complete:
        raise PollFailed(f"the list walk was incomplete: {'; '.join(walk.problems)}")
    return walk


def _walk_once(
    config: Config,
    store: Store,
    fetcher: Fetcher,
    list_url: str,
    full: bool,
    conditional: bool,
) -> WalkResult:
    item_selector = config.selectors.list_item

    def keep_going(listing) -> bool:
        return full or not store.is_known(listing.items[-1].url)

    return walk_section(
        fetcher,
        list_url,
        max_pages=config.crawl.max_list_pages,
        item_selector=item_selector,
        keep_going=keep_going,
        etag=store.state("list_etag") if conditional else None,
        last_modified=store.state("list_last_modified") if conditional else None,
    )


def _retryable(walk: WalkResult) -> bool:
    text = " ".join(walk.problems)
    return "challenge page" in text or "no items" in text or "loaded by script" in text


def _list_url(config: Config, store: Store, fetcher: Fetcher, started: dt.datetime) -> tuple[str, bool]:
    """(list URL, whether it was remembered rather than configured or just discovered)."""
    if config.site.list_url:
        return config.site.list_url, False
    remembered, found_at = store.state("list_url"), store.state("list_url_found_at")
    fresh = found_at and dt.datetime.fromisoformat(found_at) > started - DISCOVERY_MAX_AGE
    if remembered and fresh and store.state("list_url_section") == config.site.section:
        return remembered, True
    return _discover(config, store, fetcher, started), False


def _discover(config: Config, store: Store, fetcher: Fetcher, started: dt.datetime) -> str:
    try:
        found = locate_section(fetcher, config.site.url, config.site.section, config.selectors.section_link)
    except DiscoveryError as exc:
        raise PollFailed(f"the section can no longer be found: {exc}") from None
    except CrawlError as exc:
        raise PollFailed(f"the home page cannot be read: {exc}") from None
    now = iso(started)
    store.set_state("list_url", found.url, now)
    store.set_state("list_url_how", found.how, now)
    store.set_state("list_url_found_at", now, now)
    store.set_state("list_url_section", config.site.section, now)
    return found.url


# -- report pages -----------------------------------------------------------------------------------
def _fetch_report(
    fetcher: Fetcher,
    url: str,
    purpose: str,
    config: Config,
    known: KnownReport | None = None,
    listed: ListingEntry | None = None,
) -> _Fetched:
    outcome = _Fetched(url, purpose, listed=listed)
    try:
        if known is not None:
            page = fetcher.get(url, etag=known.etag, last_modified=known.last_modified)
        else:
            page = fetcher.get(url)
    except CrawlError as exc:
        outcome.error = str(exc)
        return outcome
    outcome.etag, outcome.last_modified = page.etag, page.last_modified
    if page.not_modified:
        outcome.not_modified = True
        return outcome
    gone = not_found_reason(page, config.site.url)
    if gone:
        outcome.gone = gone
        return outcome
    if page.status != 200:
        outcome.error = f"HTTP {page.status}"
        return outcome
    report = extract_report(page, config.selectors)
    if not report.usable:
        outcome.error = "extraction failed: " + "; ".join(report.blocking_problems or report.problems)
        return outcome
    outcome.report = report
    return outcome


def _store_outcome(
    store: Store,
    f: _Fetched,
    known: KnownReport | None,
    now: str,
    due_at: str,
    baseline: bool,
    poll_id: int,
    result: PollResult,
    started: dt.datetime,
    config: Config,
) -> None:
    listed = (f.listed.title, f.listed.date) if f.listed else None
    if f.error:
        if known is not None:
            retry = iso(started + dt.timedelta(seconds=min(config.crawl.recheck, config.schedule.interval)))
            store.record_failure(f.url, f.error, now, retry)
        return
    if f.gone:
        if f.purpose == "unlisted" and known is not None:
            store.mark_removed(f.url, now, poll_id, baseline)
            result.removed += 1
            result.events.append(("removed", f.url, store.current_fields(f.url)["title"] or ""))
        return
    if f.not_modified:
        store.touch(f.url, now, due_at, f.etag, f.last_modified)
        return
    assert f.report is not None
    fields = f.report.fields()
    del fields["url"]
    digest = content_hash(fields)
    if known is None or known.status == "removed":
        store.store_version(
            url=f.url, fields=fields, content_hash=digest, kind="new", changes={}, now=now,
            recheck_due_at=due_at, etag=f.etag, last_modified=f.last_modified, listed=listed,
            baseline=baseline, poll_id=poll_id,
        )  # fmt: skip
        result.new += 1
        result.events.append(("new", f.url, fields["title"] or ""))
    elif digest != known.content_hash:
        old = store.current_fields(f.url) or {}
        diff = field_changes(old, fields, f.url)
        store.store_version(
            url=f.url, fields=fields, content_hash=digest, kind="changed", changes=diff, now=now,
            recheck_due_at=due_at, etag=f.etag, last_modified=f.last_modified, listed=listed,
            baseline=baseline, poll_id=poll_id,
        )  # fmt: skip
        result.changed += 1
        result.events.append(("changed", f.url, fields["title"] or ""))
    else:
        store.touch(f.url, now, due_at, f.etag, f.last_modified)


# -- the rolling re-check schedule -------------------------------------------------------------------
def _recheck_budget(config: Config, store: Store) -> int:
    """How many re-checks one poll may make: enough to re-fetch every report once per
    `recheck`, spread over that period's polls, with room to catch up after downtime."""
    active = store.count_active()
    if not config.crawl.recheck:
        return max(active, 1)
    per_poll = active * config.schedule.interval / config.crawl.recheck
    return max(1, math.ceil(per_poll * 2))


def _baseline_spread(config: Config, count: int) -> list[float]:
    """Offsets (seconds) that spread the first re-checks of a baseline over one period."""
    period = config.crawl.recheck
    return [period * (i + 1) / max(count, 1) for i in range(count)]


def _due_at(started: dt.datetime, recheck: dt.timedelta, spread: list[float] | None, index: int) -> str:
    if spread is not None and index < len(spread):
        return iso(started + dt.timedelta(seconds=spread[index]))
    return iso(started + recheck)
