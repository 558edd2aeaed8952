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
from collections.abc import Callable, Sequence

from crawler.errors import CrawlError, Interrupted
from crawler.fetch import Fetcher
from crawler.hosts import HostGates
from crawler.walk import WalkCursor
from domain.change import changes as field_changes
from domain.change import content_hash, same_content
from domain.events import Event, EventKind, Subscription
from domain.schedule import age_anchor, recheck_after, tier
from domain.times import iso, precise, utcnow
from domain.trouble import Trouble
from domain.watch import Watch
from jobs.attachments import FileCheck, FileChecker, FileRules, file_changes, with_facts
from jobs.config import Config
from jobs.listwalk import ListWalk
from jobs.pollfiles import PollFiles, changes_with_files
from jobs.progress import Progress, Ticker
from jobs.reading import Extracted, Gone, NotModified, Outcome, Reader, Task, Unreadable, is_failure, why
from jobs.rechecks import Rechecks
from jobs.record import Recorder
from jobs.result import PollFailed, PollResult
from storage.archive import Archive
from storage.errors import describe
from storage.reports import KnownReport

log = logging.getLogger("ayrdw.poll")
DISCOVERY_MAX_AGE = dt.timedelta(hours=24)
ROBOTS_MAX_AGE = dt.timedelta(hours=24)
PROGRESS_SAVE_SECONDS = 2.0  # how often the poll in flight saves its progress for `status`
CURSOR_KEY = "walk_cursor"
Clock = Callable[[], dt.datetime]


def run_poll(
    config: Config,
    archive: Archive,
    watch: Watch | None = None,
    *,
    subscriptions: Sequence[Subscription] = (),
    clock: Clock = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    stop: threading.Event | None = None,
    gates: HostGates | None = None,
) -> PollResult:
    """Run one poll and record it; never raises for site trouble (see ``result.status``).

    When ``stop`` is set the poll is abandoned between two requests (status "stopped");
    what was already committed stays, and the next poll resumes from there. ``watch``: the
    config's first when not given. ``gates``: the process's politeness per host, shared by the
    watches on one site."""
    watch = watch or config.watches[0]
    archive = archive.scoped(watch.name)
    started, t0 = clock(), monotonic()
    poll_id = archive.polls.start(iso(started))
    head_before = archive.evidence.head() if config.signing_key else None
    result = PollResult(watch=watch.name)
    robots_given = _remembered_robots(archive, started)
    fetcher = Fetcher(
        config.fetch_settings(),
        site_host=watch.host,
        robots=dict(robots_given),
        sleep=sleep,
        stop=stop,
        gates=gates,
    )
    progress = Progress(monotonic=monotonic)
    try:
        with Ticker(progress, config.schedule.progress_every):
            evidence = config.evidence
            recorder = Recorder(archive, subscriptions, poll_id, watch.ref(), evidence.keep_raw,
                                evidence.files_kept)  # fmt: skip
            Poll(config, watch, archive, recorder, fetcher, started, result, progress, clock, monotonic, stop).run()
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
            _sign_head(config, archive, head_before, now)
            _remember_robots(archive, robots_given, fetcher.robots, now)
            archive.state.set("progress", None, now)
            archive.polls.finish(poll_id, result.counts(), now)
        except sqlite3.Error as exc:  # the poll row stays 'running': the next start marks it interrupted
            result.status, result.error = "failed", str(describe(exc, config.storage.db))
    return result


def _sign_head(config: Config, archive: Archive, before: str | None, now: str) -> None:
    """A poll that extended its watch's chain signs the new head ([evidence] signing_key_env)."""
    if not config.signing_key:
        return
    head = archive.evidence.head()
    if head is None or head == before:
        return
    from domain.signing import private_key, public_text, sign

    key = private_key(config.signing_key)
    signed = sign(key, archive.watch, archive.evidence.length(), head)
    with archive.transaction():
        archive.evidence.add_signature(signed.index, head, signed.signature, public_text(key.public_key()), now)


class Poll:
    """One poll's context and its steps. ``run`` reads top to bottom."""

    def __init__(
        self,
        config: Config,
        watch: Watch,
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
        self.config, self.watch, self.archive, self.recorder, self.fetcher = config, watch, archive, recorder, fetcher
        self.poll_id, self.started, self.result = recorder.poll_id, started, result
        self.progress, self.clock, self.monotonic, self.stop = progress, clock, monotonic, stop
        self.now = iso(started)
        self.reader = Reader(fetcher, watch.url, watch.selectors, archive.reports.current_fields)
        self.lists = ListWalk(config, watch, archive, fetcher, started, result, progress, clock, self._save_progress)
        self.interval_s, self.recheck_s = config.interval(watch), config.recheck(watch)
        self.recheck = dt.timedelta(seconds=self.recheck_s)
        self._saved_progress_at = -math.inf
        rules = FileRules(config.evidence.attachment_hosts, config.evidence.max_attachment,
                          config.evidence.files_kept)  # fmt: skip
        checker = FileChecker(fetcher, archive.files, rules, self._backoff, self._later)
        self.files = PollFiles(archive, recorder, checker, result, self._count, stop)
        crawl = config.crawl
        self.rechecks = Rechecks(archive, fetcher, self.interval_s, self.recheck_s, crawl.recheck_by_age,
                                 crawl.requests_per_poll)  # fmt: skip
        self.news_requests = 0  # requests for reports new to the archive: never charged

    def run(self) -> None:
        cursor = self.lists.cursor()
        self.result.mode = cursor.kind if cursor else "incremental"
        if cursor is not None:
            resumed = f", resumed after {cursor.pages} list pages" if cursor.pages else ""
            log.info("poll: %s walk of %s%s", cursor.kind, cursor.queue[0] if cursor.queue else "the list", resumed)
        try:
            self._run(cursor)
        finally:
            self.files.close()
            if self.result.mode != "baseline":
                self.rechecks.charge(self.news_requests, iso(self.clock()))

    def _run(self, cursor: WalkCursor | None) -> None:
        walked_all = self.lists.walk(cursor)
        unlisted = self.archive.reports.unlisted_since(cursor.started_at) if cursor and walked_all else []
        baseline = cursor is not None and cursor.kind == "baseline"
        tasks = self._tasks(unlisted, baseline)
        if tasks:
            log.info("poll: %d report pages to read (%s)", len(tasks), self.result.mode)
        self.progress.start_reports(len(tasks))
        self._save_progress(now=True)
        if baseline:
            self._store_as_read(tasks)
        else:
            self._read_then_store(tasks)
        budget = max(2, math.ceil(self.config.crawl.requests_per_poll))  # files whose retry is due
        self.files.retry_due(self.now, budget, lambda: iso(self.clock()))
        self.result.confirms = self.reader.confirms + self.files.confirms
        if cursor is not None and walked_all:
            self.lists.finish(cursor)

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
        if not baseline:
            queued = sum(1 for t in tasks.values() if t.purpose != "new")
            for k in self.rechecks.select(self.now, queued):
                tasks.setdefault(k.url, Task(k.url, "recheck", k))
        return list(tasks.values())

    # -- reading report pages --------------------------------------------------------------------
    def _read(self, task: Task) -> Outcome:
        before = self.fetcher.requests
        try:
            outcome = self.reader.read(task)
            self.files.check(outcome, iso(self.clock()))
            return outcome
        finally:
            if task.purpose == "new":
                self.news_requests += self.fetcher.requests - before
            self.progress.done += 1
            self.result.confirms = self.reader.confirms + self.files.confirms

    def _backoff(self, failures: int) -> float:
        """After the nth failure of a new report's page or of a file's download, the wait before
        the next try: an interval, doubling, up to the re-check period."""
        return min(self.interval_s * 2 ** min(max(failures - 1, 0), 10), max(self.recheck_s, self.interval_s))

    def _later(self, seconds: float) -> str:
        return iso(self.started + dt.timedelta(seconds=seconds))

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
            self._store(outcome, now, None, index)

    def _store_as_read(self, tasks: list[Task]) -> None:
        """The baseline: each report stored as soon as it is read, so a stopped or failed first
        poll keeps what it did and the next one resumes."""
        outcomes = []
        for index, task in enumerate(tasks):
            outcome = self._read(task)
            outcomes.append(outcome)
            self._store(outcome, iso(self.clock()), len(tasks), index)
            self._save_progress()
        self._judge(outcomes)

    def _due_at(self, anchor: dt.datetime | None, spread_over: int | None, index: int) -> str:
        """The next re-check of a report whose age counts from ``anchor`` (domain.schedule); a
        baseline spreads its first re-checks over their periods, so none bunch."""
        period = recheck_after(self.recheck_s, anchor, self.started, self.config.crawl.recheck_by_age)
        if spread_over:
            return iso(self.started + dt.timedelta(seconds=period * (index + 1) / spread_over))
        return iso(self.started + dt.timedelta(seconds=period))

    def _anchor(self, outcome: Outcome) -> dt.datetime | None:
        """Where the report's age counts from, after this reading: a new version is a change now."""
        known = outcome.task.known
        if isinstance(outcome, Extracted):
            changed = known is not None and (outcome.changed or known.status != "active")
            changed_at = self.now if changed else (known.changed_at if known else None)
            return age_anchor(outcome.fields.get("published"), known.first_seen if known else self.now, changed_at)
        if known is None:
            return None
        return age_anchor(known.published, known.first_seen, known.changed_at)

    def _save_progress(self, now: bool = False) -> None:
        moment = self.monotonic()
        if now or moment - self._saved_progress_at >= PROGRESS_SAVE_SECONDS:
            data = {"poll_id": self.poll_id, **self.progress.as_dict()}
            self.archive.state.set("progress", json.dumps(data), iso(self.clock()))
            self._saved_progress_at = moment

    # -- storing ---------------------------------------------------------------------------------
    def _store(self, outcome: Outcome, now: str, spread_over: int | None, index: int) -> None:
        """Store what reading the page gave; a page read (again) gets its next re-check and its age
        tier from one age anchor."""
        task = outcome.task
        if isinstance(outcome, Unreadable):
            retry = iso(self.started + dt.timedelta(seconds=self._retry_after(task)))
            if task.purpose == "new":
                self.archive.walk.failed(task.url, outcome.error, retry)
            elif task.known is not None:
                self.archive.reports.record_failure(task.url, outcome.error, now, retry)
        elif isinstance(outcome, Gone):
            self._store_gone(outcome, now)
        else:
            anchor = self._anchor(outcome)
            due_at = self._due_at(anchor, spread_over, index)
            if isinstance(outcome, NotModified):
                self.archive.reports.touch(task.url, now, due_at, outcome.etag, outcome.last_modified)
                self.files.store_unchanged(task.url, now, due_at)
            else:
                self._store_report(outcome, now, due_at)
            if self.recheck_s:  # youngest due first, next time
                self.archive.reports.set_tier(task.url, tier(anchor, self.started))

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
        event = self.recorder.removed(task.url, now, removal, task.baseline, outcome.raw)
        self.result.removed += 1
        self.result.events.append(("removed", task.url, event.report.fields.get("title") or ""))

    def _retry_after(self, task: Task) -> float:
        """A failing page is tried again after an interval (a new report: backing off, up to the
        re-check period), not on every poll."""
        if task.purpose == "new":
            return self._backoff(task.attempts + 1)
        return min(self.recheck_s, self.interval_s)

    def _store_report(self, outcome: Extracted, now: str, due_at: str) -> None:
        task, known = outcome.task, outcome.task.known
        if known is not None and outcome.noise != known.noise:
            self.archive.reports.set_noise(task.url, outcome.noise)
        if known is not None and known.status == "active" and not outcome.changed:
            self.archive.reports.touch(
                task.url, now, due_at, outcome.etag, outcome.last_modified, outcome.extractor_version
            )
            if task.purpose == "new":
                self.archive.walk.drop(task.url)
            self.files.store_unchanged(task.url, now, due_at)
            return
        checks = self.files.take(task.url)
        try:
            self._store_version(outcome, checks, now, due_at)
        finally:
            for check in checks:
                check.close()

    def _store_version(self, outcome: Extracted, checks: list[FileCheck], now: str, due_at: str) -> None:
        task, known = outcome.task, outcome.task.known
        fields = with_facts(outcome.fields, checks)
        if known is not None and outcome.reextracted:
            old = self.archive.reports.current_fields(task.url) or {}
            self.recorder.reextracted(
                task.url, fields, content_hash=content_hash(fields),
                changes=changes_with_files(field_changes(old, fields, task.url), old, fields, checks),
                now=now, recheck_due_at=due_at, validators=(outcome.etag, outcome.last_modified),
                listed=task.listed, extractor_version=outcome.extractor_version, raw=outcome.raw, files=checks,
            )  # fmt: skip
            self.result.reextracted += 1
            return
        if known is None:
            kind, diff = EventKind.NEW, {}
        else:
            old = self.archive.reports.current_fields(task.url) or {}
            kind = EventKind.RESTORED if known.status == "removed" else EventKind.CHANGED
            if kind is EventKind.RESTORED and same_content(fields, old, known.noise) and not file_changes(checks):
                event = self.recorder.restored(task.url, now, due_at, task.listed, outcome.raw)
                self.recorder.files(task.url, checks, now)
                self._count(event)
                return
            diff = changes_with_files(field_changes(old, fields, task.url), old, fields, checks)
        event = self.recorder.version(
            kind, task.url, fields, content_hash=content_hash(fields), changes=diff, now=now, recheck_due_at=due_at,
            validators=(outcome.etag, outcome.last_modified), listed=task.listed, baseline=task.baseline,
            extractor_version=outcome.extractor_version, raw=outcome.raw, files=checks,
        )  # fmt: skip
        self._count(event)

    def _count(self, event: Event) -> None:
        counter = {EventKind.NEW: "new", EventKind.CHANGED: "changed", EventKind.RESTORED: "restored"}[event.kind]
        setattr(self.result, counter, getattr(self.result, counter) + 1)
        self.result.events.append((str(event.kind), event.report.url, event.report.fields.get("title") or ""))


# -- robots.txt, kept between polls and read again daily ---------------------------------------------
def _remembered_robots(archive: Archive, started: dt.datetime) -> dict[str, str]:
    """robots.txt of the hosts read in the last day (shared by every watch on a host); a host
    not among them is downloaded again before its first request."""
    texts, times = archive.shared.with_prefix("robots:"), archive.shared.with_prefix("robots_at:")
    fresh = started - ROBOTS_MAX_AGE
    return {
        origin: text
        for origin, text in texts.items()
        if origin in times and dt.datetime.fromisoformat(times[origin]) > fresh
    }


def _remember_robots(archive: Archive, given: dict[str, str], robots: dict[str, str], now: str) -> None:
    """Keep what this poll downloaded (a host it was not given)."""
    for origin, text in robots.items():
        if origin not in given:
            archive.shared.set(f"robots:{origin}", text, now)
            archive.shared.set(f"robots_at:{origin}", now, now)
