"""Wiring between the config's watchers and the archive's outbox."""

from __future__ import annotations

from jobs.config import Config, WatcherConfig
from storage.db import open_db
from storage.outbox import Outbox
from storage.reports import Store, Subscriber


def all_watchers(config: Config) -> tuple[WatcherConfig, ...]:
    return (*config.watchers, *config.alerts)


def subscribers(config: Config) -> list[Subscriber]:
    """Report watchers with the events they want ([[alerts]] get only trouble messages)."""
    return [
        Subscriber(w.id, frozenset(w.events or config.notify.events), config.notify.on_baseline)
        for w in config.watchers
    ]


def open_store(config: Config, now: str) -> Store:
    """The archive, with every configured watcher registered (a new one as of ``now``, so it
    receives only events created after it was added) and subscribed to the outbox."""
    db = open_db(config.storage.db)
    Outbox(db).register_watchers(((w.id, w.kind, w.role, w.label) for w in all_watchers(config)), now)
    return Store(db, subscribers(config))
