"""The delivery pass: send every due delivery, record each result, back off on failure.

Runs at the end of every poll and on its own (`ayrdw-watch deliver`, and the
service's delivery job). Each watcher is sent to in its own thread with a
timeout on every send, so one slow or failing watcher never holds up another;
results are written from this thread as they arrive.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from jobs.config import Config, WatcherConfig
from jobs.poll import iso, utcnow
from jobs.watchers import all_watchers
from notify import Notifier, NotifyError, SendResult, notifier_for
from storage.outbox import Due, Outbox

log = logging.getLogger("ayrdw.deliver")
FIRST_BACKOFF = dt.timedelta(minutes=2)
MAX_BACKOFF = dt.timedelta(hours=4)


@dataclass
class DeliverResult:
    sent: int = 0  # deliveries delivered in this pass
    failed: int = 0  # attempts that failed (retried later)
    gave_up: int = 0  # deliveries marked failed for good
    errors: list[str] = field(default_factory=list)

    def summary(self, pending: int) -> str:
        return f"deliver: sent={self.sent} failed={self.failed} gave_up={self.gave_up} pending={pending}"


def backoff(attempts: int, rand: Callable[[], float] = random.random) -> dt.timedelta:
    """Wait after the ``attempts``-th failure: the first retry is due at once (next pass),
    then 2, 4, 8 ... minutes with +-20 % jitter, capped at 4 hours. With the default
    10 attempts a delivery is retried for about 12 hours before it is marked failed."""
    if attempts <= 1:
        return dt.timedelta(0)
    wait = min(FIRST_BACKOFF * (2 ** (attempts - 2)), MAX_BACKOFF)
    return wait * (0.8 + 0.4 * rand())


def deliver_pass(
    config: Config,
    outbox: Outbox,
    *,
    clock: Callable[[], dt.datetime] = utcnow,
    notifiers: dict[str, Notifier] | None = None,
) -> DeliverResult:
    watchers = {w.id: w for w in all_watchers(config)}
    due = outbox.due(iso(clock()), watchers)
    result = DeliverResult()
    if not due:
        return result
    batches: dict[str, list[Due]] = {}
    for d in due:
        batches.setdefault(d.watcher_id, []).append(d)
    attempts = {d.id: d.attempts for d in due}
    with ThreadPoolExecutor(max_workers=len(batches), thread_name_prefix="deliver") as pool:
        futures = {
            pool.submit(_send, (notifiers or {}).get(wid) or notifier_for(watchers[wid], config), batch): watchers[wid]
            for wid, batch in batches.items()
        }
        for future in as_completed(futures):
            watcher = futures[future]
            for sent in future.result():
                _record(outbox, config, watcher, sent, attempts, clock(), result)
    return result


def _send(notifier: Notifier, batch: list[Due]) -> list[SendResult]:
    try:
        return notifier.send(batch)
    except Exception as exc:  # a notifier bug must not lose the batch: it stays pending
        error = f"{notifier.label}: {type(exc).__name__}: {exc}".splitlines()[0]
        return [SendResult(tuple(d.id for d in batch), error)]


def _record(
    outbox: Outbox,
    config: Config,
    watcher: WatcherConfig,
    sent: SendResult,
    attempts: dict[str, int],
    now: dt.datetime,
    result: DeliverResult,
) -> None:
    if sent.ok:
        outbox.delivered(sent.delivery_ids, iso(now))
        result.sent += len(sent.delivery_ids)
        for delivery_id in sent.delivery_ids:
            log.info("delivered %s to %s", delivery_id, watcher.label)
        return
    tries = max(attempts[d] for d in sent.delivery_ids) + 1
    give_up = tries >= config.notify.max_attempts
    next_at = now + backoff(tries)
    outbox.attempt_failed(sent.delivery_ids, sent.error or "failed", iso(next_at), give_up)
    result.errors.append(sent.error or "failed")
    if give_up:
        result.gave_up += len(sent.delivery_ids)
        log.error("delivery to %s failed for good after %d attempts: %s", watcher.label, tries, sent.error)
    else:
        result.failed += len(sent.delivery_ids)
        log.warning(
            "delivery to %s failed (attempt %d of %d, next at %s): %s",
            watcher.label, tries, config.notify.max_attempts, iso(next_at), sent.error,
        )  # fmt: skip


def ping_all(config: Config, now: str) -> list[tuple[WatcherConfig, str | None]]:
    """`notify-test`: a test message to every watcher; (watcher, error or None) each."""
    results = []
    for watcher in all_watchers(config):
        try:
            notifier_for(watcher, config).ping("ayrdw-watch test message / 测试消息", now)
        except NotifyError as exc:
            results.append((watcher, str(exc)))
            continue
        results.append((watcher, None))
    return results
