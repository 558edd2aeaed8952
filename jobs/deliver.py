"""The delivery pass: send every due delivery, record each result, back off on failure.

Runs at the end of every `poll`, on its own (`ayrdw-watch deliver`), and as the
service's delivery job, beside its polls. Each watcher is sent to in its own thread
with a timeout on every send, so one slow or failing watcher never holds up another.
Each result is recorded in its own short transaction as soon as the receiver has
answered, before the next message to that watcher goes out: a crash resends at most
the one message in flight per watcher (a digest is one message).

Dead letters come back: a delivery that reached ``max_attempts`` is marked failed and
is tried alone again every few hours (a probe); when a watcher answers with success,
its failed deliveries go back to pending and are sent in order, in the same pass.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from domain.times import iso, utcnow
from jobs.config import Config
from jobs.watchers import all_watchers
from notify.base import Notifier, NotifyError, SendResult, Watcher, notifier_for
from storage.outbox import Due, Outbox

log = logging.getLogger("ayrdw.deliver")
FIRST_BACKOFF = 120.0  # [notify] retry_backoff
MAX_BACKOFF = 14400.0  # [notify] max_retry_wait
ROUNDS = 3  # a pass goes round again while recovered watchers got dead letters back


@dataclass
class DeliverResult:
    sent: int = 0  # deliveries delivered in this pass
    failed: int = 0  # attempts that failed (retried later)
    gave_up: int = 0  # deliveries marked failed for good
    requeued: int = 0  # dead letters sent again because their watcher answered
    errors: list[str] = field(default_factory=list)

    def summary(self, pending: int) -> str:
        line = f"deliver: sent={self.sent} failed={self.failed} gave_up={self.gave_up} pending={pending}"
        return line + (f" requeued={self.requeued}" if self.requeued else "")


def backoff(
    attempts: int, first: float = FIRST_BACKOFF, cap: float = MAX_BACKOFF, rand: Callable[[], float] = random.random
) -> dt.timedelta:
    """Wait after the ``attempts``-th failure: the first retry is due at once (next pass),
    then ``first`` (2 minutes), doubling (4, 8 ...) with +-20 % jitter, capped at ``cap``
    (4 hours). With the defaults and 10 attempts a delivery is retried for about 8 h 15 min
    before it is marked failed; after that it is tried alone every ``cap``, as a probe."""
    if attempts <= 1:
        return dt.timedelta(0)
    wait = min(first * (2 ** (attempts - 2)), cap)
    return dt.timedelta(seconds=wait * (0.8 + 0.4 * rand()))


def deliver_pass(
    config: Config,
    outbox: Outbox,
    *,
    clock: Callable[[], dt.datetime] = utcnow,
    notifiers: dict[str, Notifier] | None = None,
) -> DeliverResult:
    """Send what is due now. Call it from one thread at a time per archive: the service
    runs its delivery job on one worker and never delivers from the poll thread.
    ``notifiers``: kept by a caller between passes (the service does), so a chat robot's
    notifier remembers how many messages its last minute holds."""
    notifiers = notifiers if notifiers is not None else {}
    watchers = {w.id: w for w in all_watchers(config)}
    result = DeliverResult()
    for _ in range(ROUNDS):
        due = outbox.due(iso(clock()), watchers)
        if not due:
            break
        recovered = _send_round(config, outbox, watchers, due, clock, notifiers, result)
        requeued = outbox.requeue_failed(recovered, iso(clock()))
        result.requeued += requeued
        if not requeued:
            break
        log.info("%d dead letters sent again: their watchers answer", requeued)
    return result


def _send_round(
    config: Config,
    outbox: Outbox,
    watchers: dict[str, Watcher],
    due: list[Due],
    clock: Callable[[], dt.datetime],
    notifiers: dict[str, Notifier],
    result: DeliverResult,
) -> set[str]:
    """One thread per watcher; returns the watchers that answered with success and still have
    dead letters."""
    batches: dict[str, list[Due]] = {}
    for d in due:
        batches.setdefault(d.watcher_id, []).append(d)
    recorder = threading.Lock()  # the pass's one connection, used by one thread at a time
    recovered: set[str] = set()

    def work(watcher_id: str, batch: list[Due]) -> None:
        watcher = watchers[watcher_id]
        notifier = notifiers.get(watcher_id) or notifiers.setdefault(watcher_id, notifier_for(watcher, config))
        attempts = {d.id: d.attempts for d in batch}
        left = {d.id for d in batch}
        try:
            for sent in notifier.send(batch):
                with recorder:
                    _record(outbox, config, watcher, sent, attempts, clock(), result)
                    if sent.ok and outbox.has_failed(watcher_id):
                        recovered.add(watcher_id)
                left.difference_update(sent.delivery_ids)
        except Exception as exc:  # a notifier bug must not lose the batch: it stays pending
            error = f"{notifier.label}: {type(exc).__name__}: {exc}".splitlines()[0]
            if left:
                with recorder:
                    _record(outbox, config, watcher, SendResult(tuple(left), error), attempts, clock(), result)

    with ThreadPoolExecutor(max_workers=len(batches), thread_name_prefix="deliver") as pool:
        for future in [pool.submit(work, wid, batch) for wid, batch in batches.items()]:
            future.result()
    return recovered


def _record(
    outbox: Outbox,
    config: Config,
    watcher: Watcher,
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
    notify = config.notify
    # A dead letter is probed after the longest wait; a retry waits its turn in the backoff.
    next_at = now + backoff(max(tries, 64) if give_up else tries, notify.retry_backoff, notify.max_retry_wait)
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


def find_watcher(config: Config, name: str) -> Watcher | None:
    """A watcher by its ``name`` or by the id `outbox` prints."""
    return next((w for w in all_watchers(config) if name in (w.name, w.id)), None)


def ping_all(config: Config, now: str) -> list[tuple[Watcher, str | None]]:
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
