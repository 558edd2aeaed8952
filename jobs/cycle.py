"""One cycle as `poll` runs it: poll, operator alerts, delivery pass. (The service runs the
same steps, with deliveries on a thread of their own: jobs/service.py.)"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

from domain.times import iso, utcnow
from jobs.alerts import update_trouble
from jobs.config import Config
from jobs.deliver import DeliverResult, deliver_pass
from jobs.poll import run_poll
from jobs.result import PollResult
from jobs.watchers import subscriptions
from storage.archive import Archive


def poll_cycle(
    config: Config,
    archive: Archive,
    *,
    clock: Callable[[], dt.datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    stop: threading.Event | None = None,
) -> tuple[PollResult, DeliverResult]:
    """A failed delivery never changes the poll's result: it stays in the outbox."""
    result = run_poll(config, archive, subscriptions=subscriptions(config), clock=clock, sleep=sleep, stop=stop)
    if result.status == "stopped":
        return result, DeliverResult()
    update_trouble(config, archive, result, iso(clock()))
    delivered = deliver_pass(config, archive.outbox, clock=clock)
    return result, delivered
