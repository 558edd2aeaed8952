"""The background service: APScheduler 3 in one process, all state in the SQLite file.

Each watch's poll is due every `interval` (plus up to 10 % jitter; backs off to 2x, 4x the
interval while its polls keep failing); the first polls are spread evenly over the first
(shortest) interval, hosts interleaved (the first watch polls at start, which also covers any
downtime), and a run missed by more than its jitter (the machine slept) is skipped, not fired
with all the others. Due polls go to the dispatcher (jobs.dispatch): `[crawl] hosts_in_parallel`
threads, one poll at a time per host, a watch still polling never queued twice. The delivery
pass runs on a thread of its own (every `deliver_interval`, and at once after each poll), so a
long poll never holds a due delivery back. Every thread writes through a connection of its
own, one transaction at a time (BEGIN IMMEDIATE); the process holds the archive's writer lock
(storage.lock) for its whole life: it is the one writer. Jobs are re-added at every start
from the config (in-memory job store): nothing to unpickle, nothing stale.

SIGTERM / SIGINT: no new job starts, the poll in flight is abandoned between two
requests (or after the report it is storing), and the process exits 0 within
seconds. kill -9 is safe too: every report and its deliveries are committed
together, each delivery's outcome as soon as the receiver answers, and the next
start resumes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from crawler.hosts import HostGates
from domain.times import iso, utcnow
from domain.watch import Watch
from jobs.alerts import update_trouble
from jobs.config import Config
from jobs.deliver import deliver_pass
from jobs.dispatch import Dispatcher, spread
from jobs.poll import run_poll
from jobs.result import PollResult
from jobs.watchers import Writer, subscriptions
from notify.base import Notifier
from storage.archive import Archive
from storage.db import quick_check
from storage.errors import ArchiveError, describe

log = logging.getLogger("ayrdw.service")
POLL_JOB, DELIVER_JOB, CHECK_JOB = "poll", "deliver", "check"
CHECK_EVERY = 86400.0  # SQLite's quick_check of the archive, once a day (and at every start)
MAX_BACKOFF_FACTOR = 4
STOP_GRACE_SECONDS = 8.0
JITTER = 0.1  # a poll is due every interval plus up to this share of it


def backoff_factor(failed_in_a_row: int) -> int:
    """How much longer to wait after failed polls: 1, 2, 4, 4 ... times the interval."""
    return min(2 ** max(failed_in_a_row - 1, 0), MAX_BACKOFF_FACTOR) if failed_in_a_row else 1


@dataclass
class Service:
    config: Config
    writer: Writer  # the archive, opened (and locked) by the caller
    clock: Callable[[], dt.datetime] = utcnow
    on_poll: Callable[[PollResult], None] | None = None  # the demo prints what watchers receive
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._check_archive: Archive = self.writer.archive
        self._deliver_archive: Archive = self.writer.another_connection()
        self._subscriptions = subscriptions(self.config)
        self._gates = HostGates()  # watches on one site take turns with it
        self._factors: dict[str, int] = {}  # per watch: how much longer than its interval it waits
        self.notifiers: dict[str, Notifier] = {}  # kept between passes: a robot's minute of messages
        self.failure: str | None = None  # why the service stopped by itself (a damaged archive)
        # Held while a job runs, so shutdown can wait for each.
        self._busy = {CHECK_JOB: threading.Lock(), DELIVER_JOB: threading.Lock()}
        self.dispatcher: Dispatcher[Archive] = Dispatcher(
            self._poll, self.config.crawl.hosts_in_parallel, self.writer.another_connection, Archive.close
        )
        self.scheduler = BackgroundScheduler(
            executors={POLL_JOB: ThreadPoolExecutor(max_workers=1), DELIVER_JOB: ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=dt.UTC,
        )

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self.dispatcher.start()
        now = self.clock()
        offsets = spread(list(self.config.watches), self.config.interval)
        for watch in self.config.watches:
            first = now + dt.timedelta(seconds=offsets[watch.name])
            self.scheduler.add_job(
                self._poll_job,
                self._poll_trigger(watch, 1, first),
                args=[watch],
                id=f"{POLL_JOB}:{watch.name}",
                name=f"poll {watch.name}",
                executor=POLL_JOB,
                next_run_time=first,
                misfire_grace_time=max(1, int(self.config.interval(watch) * JITTER)),
            )
        self.scheduler.add_job(
            self._deliver_job,
            IntervalTrigger(seconds=self.config.schedule.deliver_interval),
            id=DELIVER_JOB,
            name="deliver",
            executor=DELIVER_JOB,
            next_run_time=self.clock(),  # a backlog from before the start goes out at once
        )
        self.scheduler.add_job(
            self._check_job,
            IntervalTrigger(seconds=CHECK_EVERY),
            id=CHECK_JOB,
            name="check",
            executor=DELIVER_JOB,  # on the writer's first connection, which no poll uses
        )
        self.scheduler.start()
        for watch in self.config.watches:
            log.info(
                "watching %s (%s at %s) every %gs", watch.name, watch.section, watch.url, self.config.interval(watch)
            )
        log.info("deliveries every %gs, archive %s", self.config.schedule.deliver_interval, self.config.storage.db)

    def run_until_stopped(self) -> bool:
        """Start, then block until SIGTERM/SIGINT. True when the work in flight settled."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self.start()
        self.stop.wait()
        return self.shutdown()

    def shutdown(self) -> bool:
        """No new job starts; the job in flight notices `stop` before its next request and
        commits what it has. A request that hangs past the grace period is abandoned:
        every commit is atomic, so exiting then loses nothing that was stored."""
        self.stop.set()
        self.scheduler.shutdown(wait=False)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        settled = self.dispatcher.shutdown(STOP_GRACE_SECONDS)
        for lock in self._busy.values():
            if lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                lock.release()
            else:
                settled = False
        if not settled:
            log.warning("a request is still in flight after %gs: abandoned", STOP_GRACE_SECONDS)
        log.info("stopped")
        return settled

    def _on_signal(self, signum: int, frame: object) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        self.stop.set()

    # -- jobs ------------------------------------------------------------------------------------
    def _poll_job(self, watch: Watch) -> None:
        if not self.stop.is_set() and not self.dispatcher.submit(watch):
            log.info("%s: its last poll is still running: this one is skipped", watch.name)

    def _deliver_job(self) -> None:
        with self._busy[DELIVER_JOB]:
            if not self.stop.is_set():
                self._deliver()

    def _check_job(self) -> None:
        with self._busy[CHECK_JOB]:
            try:
                quick_check(self._check_archive.db, self.config.storage.db)
            except ArchiveError as exc:  # never write to a damaged archive: stop, and say why
                log.error("%s", exc)
                self.failure = str(exc)
                self.stop.set()
                return
            now = iso(self.clock())
            self._check_archive.shared.set("integrity_checked_at", now, now)

    def _poll(self, watch: Watch, archive: Archive) -> None:
        """One poll, on a dispatcher thread with its own connection to the archive."""
        if self.stop.is_set():
            return
        try:
            result = run_poll(
                self.config, archive, watch, subscriptions=self._subscriptions, clock=self.clock, stop=self.stop,
                gates=self._gates,
            )  # fmt: skip
            if result.status != "stopped":
                update_trouble(self.config, archive, result, iso(self.clock()))
        except sqlite3.Error as exc:  # the archive failed (a full disk): one line, and go on
            log.error("poll: %s", describe(exc, self.config.storage.db))
            return
        except Exception:  # never let one bad poll end the service
            log.exception("poll crashed")
            return
        level = logging.INFO if result.ok or result.status == "stopped" else logging.WARNING
        fields = {"event": "poll", **result.counts()}
        log.log(level, f"{result.summary()} bytes={result.bytes}", extra={"fields": fields})
        if self.on_poll is not None:
            self.on_poll(result)
        if self.stop.is_set():
            return
        self._adapt_schedule(archive.scoped(watch.name), watch)
        with contextlib.suppress(JobLookupError):  # what the poll stored goes out now, not at the next tick
            self.scheduler.modify_job(DELIVER_JOB, next_run_time=self.clock())

    def _deliver(self) -> None:
        try:
            outbox = self._deliver_archive.outbox
            result = deliver_pass(self.config, outbox, clock=self.clock, notifiers=self.notifiers)
        except sqlite3.Error as exc:
            log.error("deliver: %s", describe(exc, self.config.storage.db))
            return
        except Exception:
            log.exception("delivery pass crashed")
            return
        if result.sent or result.failed or result.gave_up:
            summary = result.summary(outbox.counts()["pending"])
            fields = {k: v for k, v in result.__dict__.items() if k != "errors"}
            log.info(summary, extra={"fields": {"event": "deliver", **fields}})

    def _poll_trigger(self, watch: Watch, factor: int, start: dt.datetime | None = None) -> IntervalTrigger:
        interval = self.config.interval(watch) * factor
        return IntervalTrigger(seconds=interval, jitter=interval * JITTER, start_date=start, timezone=dt.UTC)

    def _adapt_schedule(self, archive: Archive, watch: Watch) -> None:
        """Back off while a watch's polls fail (an offline site is not hammered), return when they
        pass; and note its next poll time for `status`."""
        if self.stop.is_set():
            return
        job_id = f"{POLL_JOB}:{watch.name}"
        factor = backoff_factor(archive.polls.failed_in_a_row())
        if factor != self._factors.get(watch.name, 1):
            self._factors[watch.name] = factor
            self.scheduler.reschedule_job(job_id, trigger=self._poll_trigger(watch, factor))
            if factor > 1:
                log.warning(
                    "%s: polls keep failing: next poll in %gs", watch.name, self.config.interval(watch) * factor
                )
        job = self.scheduler.get_job(job_id)
        if job is not None and job.next_run_time is not None:
            archive.state.set("next_poll_at", iso(job.next_run_time), iso(self.clock()))
