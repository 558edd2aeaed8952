"""Events and alerts, and their one wire format.

An ``Event`` is what a poll found (a report new, changed, removed or restored); an
``Alert`` is what operators hear (trouble started or cleared). Each has one
``to_payload()``: the webhook body, serialised once when the event is stored, so every
retry sends the same bytes and shows the report as it was then. ``Notice`` reads any
payload back, older ones with keys missing too, for whoever renders a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.report import FIELDS


class EventKind(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    REMOVED = "removed"
    RESTORED = "restored"


class AlertKind(StrEnum):
    TROUBLE = "trouble"
    RECOVERED = "recovered"


@dataclass(frozen=True)
class StoredReport:
    """A report as the archive holds it after a change: what an event shows."""

    url: str
    fields: Mapping[str, Any]  # the declared fields (domain.report.FIELDS), plain data
    status: str
    version: int
    first_seen: str
    updated_at: str
    watch: str = ""
    id: int | None = None  # stable: the web view's URLs and the exports name it

    def as_export(self) -> dict[str, Any]:
        """The export's row: url, the fields in declared order, then the archive's facts."""
        row: dict[str, Any] = {"url": self.url}
        row.update({f.name: self.fields.get(f.name, f.empty) for f in FIELDS})
        row.update(status=self.status, version=self.version, first_seen=self.first_seen, updated_at=self.updated_at)
        row.update(watch=self.watch, id=self.id)
        return row


@dataclass(frozen=True)
class Event:
    kind: EventKind
    report: StoredReport
    occurred_at: str
    changes: Mapping[str, Any] = field(default_factory=dict)
    baseline: bool = False  # found by the first poll: silent unless a watcher asks
    removal: Mapping[str, Any] | None = None  # how a removal was confirmed
    watch: Mapping[str, str] | None = None  # {"name", "url", "section"} of the watch that found it

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "event": f"report.{self.kind}",
            "watch": dict(self.watch) if self.watch else None,
            "report": self.report.as_export(),
            "changes": dict(self.changes),
            "occurred_at": self.occurred_at,
        }
        if self.removal is not None:
            payload["removal"] = dict(self.removal)
        return payload


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    trouble: str  # a domain.trouble.Trouble value
    message: str
    occurred_at: str
    watch: Mapping[str, str] | None = None  # the watch in trouble; None: the whole process (a full disk)

    def to_payload(self) -> dict[str, Any]:
        return {"event": f"alert.{self.kind}", "watch": dict(self.watch) if self.watch else None,
                "trouble": self.trouble, "message": self.message, "occurred_at": self.occurred_at}  # fmt: skip


@dataclass(frozen=True)
class Subscription:
    """Which events a watcher gets: of these kinds, from these watches (None: every watch)."""

    watcher_id: str
    kinds: frozenset[str]
    on_baseline: bool = False
    watches: frozenset[str] | None = None

    def wants(self, event: Event) -> bool:
        from_watch = self.watches is None or event.report.watch in self.watches
        return from_watch and event.kind in self.kinds and (self.on_baseline or not event.baseline)

    def hears(self, watch: str | None) -> bool:
        """Whether an alert about ``watch`` (None: the whole process) reaches this one."""
        return self.watches is None or watch is None or watch in self.watches


@dataclass(frozen=True)
class Notice:
    """A payload read back for rendering: typed, and tolerant of keys an older release did not
    write (a pending delivery is sent as it was stored)."""

    event: str  # report.new ... alert.trouble, ping
    occurred_at: str
    report: Mapping[str, Any] | None = None
    changes: Mapping[str, Any] = field(default_factory=dict)
    removal: Mapping[str, Any] | None = None
    message: str = ""
    trouble: str | None = None
    watch: Mapping[str, str] | None = None  # older payloads have none

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Notice:
        return cls(
            event=str(data.get("event", "")),
            occurred_at=str(data.get("occurred_at", "")),
            report=data.get("report") or None,
            changes=data.get("changes") or {},
            removal=data.get("removal"),
            message=str(data.get("message", "")),
            trouble=data.get("trouble"),
            watch=data.get("watch"),
        )

    @property
    def is_report(self) -> bool:
        return self.report is not None

    def field(self, name: str, default: Any = None) -> Any:
        return (self.report or {}).get(name, default)
