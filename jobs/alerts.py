"""Operators hear about trouble with the poll itself: one message when it starts, one
when it clears, not one per poll.

Trouble is (domain.trouble.Trouble): the section can no longer be found, a list page
yields zero reports, most report pages fail extraction (the layout changed), challenge
pages, or ``[notify] alert_after_failures`` polls failed in a row for any other reason.
The poll says which kind it ran into; nothing here reads the words of an error.
"""

from __future__ import annotations

from domain.events import Alert, AlertKind
from domain.trouble import Trouble
from jobs.config import Config
from jobs.result import PollResult
from jobs.watchers import alert_subscriptions
from storage.archive import Archive

TROUBLE_KEY = "trouble"


def classify(result: PollResult, failed_in_a_row: int, threshold: int) -> str | None:
    """The trouble this poll shows (a Trouble value), or None."""
    if result.ok:
        return None
    if result.trouble is not None:
        return str(result.trouble)
    if failed_in_a_row >= threshold:
        return str(Trouble.KEEPS_FAILING)
    return None


def update_trouble(config: Config, archive: Archive, result: PollResult, now: str) -> str | None:
    """Record the watch's current trouble and queue a message to the [[alerts]] watchers that
    hear of that watch when it starts, changes or clears. Returns the current trouble (None
    when all is well). Trouble is per watch: one watch's never touches another's."""
    watch = config.watch(result.watch) or config.watches[0]
    archive = archive.scoped(watch.name)
    current = archive.state.get(TROUBLE_KEY)
    category = classify(result, archive.polls.failed_in_a_row(), config.notify.alert_after_failures)
    if category and category != current:
        alert = Alert(AlertKind.TROUBLE, category, f"{category}: {result.error}", now, watch.ref())
        _raise_alert(config, archive, alert, category, now)
        return category
    if current and result.ok:
        alert = Alert(AlertKind.RECOVERED, current, f"cleared ({current}): {result.summary()}", now, watch.ref())
        _raise_alert(config, archive, alert, None, now)
        return None
    return current


def _raise_alert(config: Config, archive: Archive, alert: Alert, trouble: str | None, now: str) -> None:
    hearing = [s.watcher_id for s in alert_subscriptions(config) if s.hears(archive.watch or None)]
    with archive.transaction():
        alert_id = archive.outbox.add_alert(alert)
        archive.outbox.enqueue(hearing, now, alert_id=alert_id)
        archive.state.set(TROUBLE_KEY, trouble, now)
        archive.state.set("trouble_since", now if trouble else None, now)
