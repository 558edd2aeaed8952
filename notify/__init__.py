"""Notifiers: one module per channel behind a tiny registry.

A notifier gets a batch of due deliveries for one watcher and yields, as soon as
the receiver has answered each message it sent (one delivery, or several in an
email digest), the delivery ids and an error or None. It never touches the
database: the delivery pass records each result before the next message goes out,
so a crash resends at most the one message in flight. To add a channel, write a module
with a ``from_config`` factory and add it to ``NOTIFIERS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from storage.outbox import Due


@dataclass(frozen=True)
class SendResult:
    delivery_ids: tuple[str, ...]
    error: str | None = None  # None: delivered

    @property
    def ok(self) -> bool:
        return self.error is None


class Notifier(Protocol):
    label: str

    def send(self, batch: list[Due]) -> Iterator[SendResult]: ...

    def ping(self, message: str, occurred_at: str) -> None:
        """Send a test message; raise NotifyError with a one-line reason on failure."""
        ...


class NotifyError(Exception):
    """A send that failed: ``str(err)`` is one line, with no secret in it. ``unreachable``:
    the receiver did not answer at all (the rest of a batch would wait for the same timeout)."""

    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def _registry() -> dict[str, Callable[..., Notifier]]:
    from notify.email import EmailNotifier
    from notify.webhook import WebhookNotifier

    return {"webhook": WebhookNotifier.from_config, "email": EmailNotifier.from_config}


def notifier_for(watcher, config) -> Notifier:  # type: ignore[no-untyped-def]
    """The notifier of a watcher's kind, built from the config (jobs.config types)."""
    return _registry()[watcher.kind](watcher, config)
