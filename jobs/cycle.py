"""One cycle as `poll` runs it: poll, operator alerts, delivery pass. (The service runs the
same steps, with deliveries on a thread of their own: jobs/service.py.)"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence

from crawler.hosts import HostGates
from domain.times import iso, utcnow
from domain.watch import Watch
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
    watches: Sequence[Watch] | None = None,
    *,
    clock: Callable[[], dt.datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    stop: threading.Event | None = None,
) -> tuple[list[PollResult], DeliverResult]:
    """Poll each watch (default: every configured one) in turn, then one delivery pass. A failed
    delivery never changes a poll's result: it stays in the outbox."""
    results = []
    subscribed, gates = subscriptions(config), HostGates()
    for watch in watches or config.watches:
        result = run_poll(
            config, archive, watch, subscriptions=subscribed, clock=clock, sleep=sleep, stop=stop, gates=gates
        )
        results.append(result)
        if result.status == "stopped":
            return results, DeliverResult()
        update_trouble(config, archive, result, iso(clock()))
    delivered = deliver_pass(config, archive.outbox, clock=clock)
    return results, delivered
