"""The background service: APScheduler 3 in one process, all state in the SQLite file.

Two jobs on one worker thread, so they never overlap and share one connection:
the poll (every `interval` +-10 % jitter, first run at start, which also covers
any downtime; backs off to 2x, 4x the interval while polls keep failing) and the
delivery pass (every `deliver_interval`). Jobs are re-added at every start from
the config (in-memory job store): nothing to unpickle, nothing stale.

SIGTERM / SIGINT: no new job starts, the poll in flight is abandoned between two
requests (or after the report it is storing), and the process exits 0 within
seconds. kill -9 is safe too: every report and its deliveries are committed
together, and the next start simply polls again.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from jobs.config import Config
from jobs.cycle import poll_cycle
from jobs.deliver import deliver_pass
from jobs.poll import PollResult, iso, utcnow
from jobs.watchers import open_store
from storage.outbox import Outbox
from storage.reports import Store

log = logging.getLogger("ayrdw.service")
POLL_JOB, DELIVER_JOB = "poll", "deliver"
MAX_BACKOFF_FACTOR = 4
STOP_GRACE_SECONDS = 8.0


def backoff_factor(failed_in_a_row: int) -> int:
    """How much longer to wait after failed polls: 1, 2, 4, 4 ... times the interval."""
    return min(2 ** max(failed_in_a_row - 1, 0), MAX_BACKOFF_FACTOR) if failed_in_a_row else 1


@dataclass
class Service:
    config: Config
    clock: Callable[[], dt.datetime] = utcnow
    on_poll: Callable[[PollResult], None] | None = None  # the demo prints what watchers receive
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._store: Store | None = None
        self._factor = 1
        self._busy = threading.Lock()  # held while a job runs, so shutdown can wait for it
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=dt.UTC,
        )

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        interval = self.config.schedule.interval
        self.scheduler.add_job(
            self._poll_job, self._poll_trigger(1), id=POLL_JOB, name="poll", next_run_time=self.clock()
        )
        self.scheduler.add_job(
            self._deliver_job,
            IntervalTrigger(seconds=self.config.schedule.deliver_interval),
            id=DELIVER_JOB,
            name="deliver",
        )
        self.scheduler.start()
        log.info(
            "watching %s every %gs (deliveries every %gs), archive %s",
            self.config.site.url, interval, self.config.schedule.deliver_interval, self.config.storage.db,
        )  # fmt: skip

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
        settled = self._busy.acquire(timeout=STOP_GRACE_SECONDS)
        if settled:
            self._busy.release()
        else:
            log.warning("a request is still in flight after %gs: abandoned", STOP_GRACE_SECONDS)
        log.info("stopped")
        return settled

    def _on_signal(self, signum: int, frame: object) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        self.stop.set()

    # -- jobs ------------------------------------------------------------------------------------
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.config, iso(self.clock()))
        return self._store

    def _poll_job(self) -> None:
        with self._busy:
            if not self.stop.is_set():
                self._poll()

    def _deliver_job(self) -> None:
        with self._busy:
            if not self.stop.is_set():
                self._deliver()

    def _poll(self) -> None:
        try:
            store = self.store()
            result, delivered = poll_cycle(self.config, store, clock=self.clock, stop=self.stop)
        except Exception:  # never let one bad poll end the service
            log.exception("poll crashed")
            return
        fields = result.counts()
        fields.update(delivered=delivered.sent, delivery_failures=delivered.failed + delivered.gave_up)
        level = logging.INFO if result.ok or result.status == "stopped" else logging.WARNING
        log.log(level, f"{result.summary()} bytes={result.bytes}", extra={"fields": {"event": "poll", **fields}})
        if self.on_poll is not None:
            self.on_poll(result)
        self._adapt_schedule(store, result)

    def _deliver(self) -> None:
        try:
            outbox = Outbox(self.store().db)
            result = deliver_pass(self.config, outbox, clock=self.clock)
        except Exception:
            log.exception("delivery pass crashed")
            return
        if result.sent or result.failed or result.gave_up:
            summary = result.summary(outbox.counts()["pending"])
            log.info(summary, extra={"fields": {"event": "deliver", **result.__dict__}})

    def _poll_trigger(self, factor: int) -> IntervalTrigger:
        interval = self.config.schedule.interval * factor
        return IntervalTrigger(seconds=interval, jitter=interval * 0.1)

    def _adapt_schedule(self, store: Store, result: PollResult) -> None:
        """Back off while polls fail (an offline site is not hammered), return when they pass;
        and note the next poll time for `status`."""
        if self.stop.is_set():
            return
        factor = backoff_factor(store.failed_polls_in_a_row())
        if factor != self._factor:
            self._factor = factor
            self.scheduler.reschedule_job(POLL_JOB, trigger=self._poll_trigger(factor))
            if factor > 1:
                log.warning("polls keep failing: next poll in %gs", self.config.schedule.interval * factor)
        job = self.scheduler.get_job(POLL_JOB)
        if job is not None and job.next_run_time is not None:
            store.set_state("next_poll_at", iso(job.next_run_time), iso(self.clock()))
