"""One cycle as `poll` and the service run it: poll, operator alerts, delivery pass."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

from jobs.alerts import update_trouble
from jobs.config import Config
from jobs.deliver import DeliverResult, deliver_pass
from jobs.poll import PollResult, iso, run_poll, utcnow
from storage.outbox import Outbox
from storage.reports import Store


def poll_cycle(
    config: Config,
    store: Store,
    *,
    clock: Callable[[], dt.datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    stop: threading.Event | None = None,
) -> tuple[PollResult, DeliverResult]:
    """A failed delivery never changes the poll's result: it stays in the outbox."""
    result = run_poll(config, store, clock=clock, sleep=sleep, stop=stop)
    if result.status == "stopped":
        return result, DeliverResult()
    update_trouble(config, store, result, iso(clock()))
    delivered = deliver_pass(config, Outbox(store.db), clock=clock)
    return result, delivered
