"""Operators hear about trouble with the poll itself: one message when it starts, one
when it clears, not one per poll.

Trouble is: the section can no longer be found, a list page yields zero reports,
most report pages fail extraction (the layout changed), challenge pages, or
``[notify] alert_after_failures`` polls failed in a row for any other reason.
"""

from __future__ import annotations

from jobs.config import Config
from jobs.poll import PollResult
from storage.outbox import Outbox
from storage.reports import Store

TROUBLE_KEY = "trouble"
_KINDS = (  # the first marker found in the poll's error wins
    ("challenge page", "the site answers with challenge pages"),
    ("section can no longer be found", "section not found"),
    ("zero reports", "list page yields zero reports"),
    ("report pages failed", "extraction fails on most pages (layout changed?)"),
)


def classify(result: PollResult, failed_in_a_row: int, threshold: int) -> str | None:
    """The kind of trouble this poll shows, or None."""
    if result.ok:
        return None
    for marker, category in _KINDS:
        if marker in (result.error or ""):
            return category
    if failed_in_a_row >= threshold:
        return "polls keep failing"
    return None


def update_trouble(config: Config, store: Store, result: PollResult, now: str) -> str | None:
    """Record the current trouble and queue a message to the [[alerts]] watchers when it
    starts, changes or clears. Returns the current trouble (None when all is well)."""
    current = store.state(TROUBLE_KEY)
    category = classify(result, store.failed_polls_in_a_row(), config.notify.alert_after_failures)
    recipients = [w.id for w in config.alerts]
    outbox = Outbox(store.db)
    if category and category != current:
        outbox.add_alert("trouble", category, f"{category}: {result.error}", now, recipients)
        store.set_state(TROUBLE_KEY, category, now)
        store.set_state("trouble_since", now, now)
        return category
    if current and result.ok:
        outbox.add_alert("recovered", current, f"cleared ({current}): {result.summary()}", now, recipients)
        store.set_state(TROUBLE_KEY, None, now)
        store.set_state("trouble_since", None, now)
        return None
    return current
