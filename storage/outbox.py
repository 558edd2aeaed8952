"""The outbox: events and alerts as they are announced, the watchers, and the deliveries (one row
per event or alert and watcher; this module is the only one that writes them). Named queries
only; the delivery pass (jobs/deliver.py) decides what to send and when."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.events import Alert, Event, Notice
from storage.db import transaction

if TYPE_CHECKING:  # sqlite-utils is the writer's: a reader starts without it
    from sqlite_utils import Database


@dataclass(frozen=True)
class Due:
    """One delivery that is due: who, what (the serialised body), and its history."""

    id: str
    watcher_id: str
    attempts: int
    payload: str  # the exact bytes (as text) to send, serialised when the event was stored
    kind: str  # report.new | report.changed | report.removed | alert.trouble | alert.recovered
    probe: bool = False  # a dead letter sent alone to learn whether its watcher is back

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.payload)

    @property
    def notice(self) -> Notice:
        return Notice.from_payload(self.data)


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    def register_watchers(self, watchers: Iterable[tuple[str, str, str, str]], now: str) -> None:
        """(id, kind, role, label) of the configured watchers; a new one is added as of now,
        so it receives only events created from now on."""
        for watcher_id, kind, role, label in watchers:
            self.db.execute(
                "INSERT INTO watchers (id, kind, role, label, added_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET label = excluded.label",
                [watcher_id, kind, role, label, now],
            )

    # -- what is announced ------------------------------------------------------------------------
    def add_event(self, event: Event, poll_id: int | None) -> int:
        """The event as given, with its payload serialised now: every retry sends these bytes."""
        return int(
            self.db["events"]
            .insert(
                {
                    "kind": str(event.kind),
                    "report_id": event.report.id,
                    "watch": event.report.watch,
                    "url": event.report.url,
                    "version": event.report.version,
                    "baseline": int(event.baseline),
                    "changes": json.dumps(dict(event.changes), ensure_ascii=False),
                    "occurred_at": event.occurred_at,
                    "poll_id": poll_id,
                    "payload": json.dumps(event.to_payload(), ensure_ascii=False),
                    "removal": json.dumps(dict(event.removal), ensure_ascii=False) if event.removal else None,
                }
            )
            .last_pk
        )

    def add_alert(self, alert: Alert) -> int:
        row = {
            "kind": str(alert.kind),
            "category": alert.trouble,
            "message": alert.message,
            "payload": json.dumps(alert.to_payload(), ensure_ascii=False),
            "occurred_at": alert.occurred_at,
            "watch": alert.watch["name"] if alert.watch else None,
        }
        return int(self.db["alerts"].insert(row).last_pk)

    def enqueue(
        self, watcher_ids: Iterable[str], now: str, *, event_id: int | None = None, alert_id: int | None = None
    ) -> None:
        """One delivery row per watcher for an event or an alert: the only place that writes them.
        Run it in the transaction that stored what it announces (the transactional outbox)."""
        rows = [
            {
                "id": uuid.uuid4().hex,
                "watcher_id": watcher_id,
                "event_id": event_id,
                "alert_id": alert_id,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for watcher_id in watcher_ids
        ]
        if rows:
            self.db["deliveries"].insert_all(rows)

    # -- what is sent ------------------------------------------------------------------------------
    _DUE_SQL = (
        "SELECT d.id, d.watcher_id, d.attempts, COALESCE(e.payload, a.payload),"
        " COALESCE('report.' || e.kind, 'alert.' || a.kind)"
        " FROM deliveries d LEFT JOIN events e ON e.id = d.event_id LEFT JOIN alerts a ON a.id = d.alert_id"
    )

    def due(self, now: str, watcher_ids: Iterable[str]) -> list[Due]:
        """Pending deliveries whose backoff has elapsed, oldest first, for these watchers; and, for
        a watcher with none, its oldest dead letter once its wait is over (a probe: when it gets
        through, the watcher is back and its dead letters are sent again)."""
        ids = list(watcher_ids)
        if not ids:
            return []
        marks = ",".join("?" for _ in ids)
        rows = self.db.execute(
            self._DUE_SQL + f" WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND d.watcher_id IN ({marks})"
            " ORDER BY d.created_at, d.rowid",
            [now, *ids],
        ).fetchall()
        due = [Due(*row) for row in rows]
        busy = {d.watcher_id for d in due}
        for watcher_id in ids:
            if watcher_id in busy:
                continue
            probe = self.db.execute(
                self._DUE_SQL + " WHERE d.status = 'failed' AND d.watcher_id = ? AND d.next_attempt_at <= ?"
                " ORDER BY d.created_at, d.rowid LIMIT 1",
                [watcher_id, now],
            ).fetchone()
            if probe is not None:
                due.append(Due(*probe, probe=True))
        return due

    def requeue_failed(self, watcher_ids: Iterable[str], now: str) -> int:
        """Dead letters of these watchers back to pending, due now, with a fresh count of attempts."""
        ids = list(watcher_ids)
        if not ids:
            return 0
        marks = ",".join("?" for _ in ids)
        cursor = self.db.execute(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?"
            f" WHERE status = 'failed' AND watcher_id IN ({marks})",
            [now, *ids],
        )
        return cursor.rowcount

    def has_failed(self, watcher_id: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM deliveries WHERE status = 'failed' AND watcher_id = ? LIMIT 1", [watcher_id]
        ).fetchone()
        return row is not None

    def delivered(self, delivery_ids: Iterable[str], now: str) -> None:
        with transaction(self.db):
            for delivery_id in delivery_ids:
                self.db.execute(
                    "UPDATE deliveries SET status = 'delivered', delivered_at = ?, attempts = attempts + 1,"
                    " last_error = NULL WHERE id = ?",
                    [now, delivery_id],
                )

    def attempt_failed(self, delivery_ids: Iterable[str], error: str, next_attempt_at: str, give_up: bool) -> None:
        with transaction(self.db):
            for delivery_id in delivery_ids:
                self.db.execute(
                    "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
                    " status = CASE WHEN ? THEN 'failed' ELSE status END WHERE id = ?",
                    [error[:500], next_attempt_at, give_up, delivery_id],
                )

    def undelivered(self) -> list[dict[str, Any]]:
        """Pending and failed deliveries with what they announce, for `outbox` and `status`."""
        return list(
            self.db.query(
                "SELECT d.id, d.status, d.attempts, d.next_attempt_at, d.last_error, d.created_at,"
                " w.label AS watcher, w.id AS watcher_id, w.role,"
                " COALESCE('report.' || e.kind, 'alert.' || a.kind) AS event, COALESCE(e.watch, a.watch) AS watch,"
                " e.url, COALESCE(json_extract(e.payload, '$.report.title'), a.message) AS subject"
                " FROM deliveries d JOIN watchers w ON w.id = d.watcher_id"
                " LEFT JOIN events e ON e.id = d.event_id LEFT JOIN alerts a ON a.id = d.alert_id"
                " WHERE d.status != 'delivered' ORDER BY d.status DESC, d.created_at, d.rowid"
            )
        )

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall()
        return {"pending": 0, "delivered": 0, "failed": 0, **dict(rows)}
