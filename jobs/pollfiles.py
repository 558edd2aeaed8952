"""The attachment files' part of one poll: checked while the poll reads (network first),
stored with their report (database second), and the files still without a hash tried again.

jobs/attachments.py says when a file is asked for and what a new hash means; this module
fits that into the poll's two phases, so jobs/poll.py stays a page-level story.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crawler.errors import Interrupted
from domain.change import changes as field_changes
from domain.change import content_hash
from domain.events import Event, EventKind
from jobs.attachments import FileCheck, FileChecker, file_changes, with_facts
from jobs.reading import Extracted, NotModified, Outcome
from jobs.record import Recorder
from jobs.result import PollResult
from storage.archive import Archive


def changes_with_files(
    changes: dict[str, Any], old: dict[str, Any], new: dict[str, Any], checks: list[FileCheck]
) -> dict[str, Any]:
    """The field changes, with the attachments whose file changed (old and new hash) listed
    under ``changes["attachments"]["files"]``."""
    files = file_changes(checks)
    if not files:
        return changes
    entry = changes.get("attachments") or {"old": old.get("attachments"), "new": new.get("attachments")}
    return {**changes, "attachments": {**entry, "files": files}}


@dataclass
class PollFiles:
    archive: Archive
    recorder: Recorder
    checker: FileChecker
    result: PollResult
    announce: Callable[[Event], None]  # the poll counts what it announced
    stop: threading.Event | None = None
    checked: dict[str, list[FileCheck]] = field(default_factory=dict)  # by report URL, until stored

    @property
    def confirms(self) -> int:
        return self.checker.confirms

    def check(self, outcome: Outcome, now: str) -> None:
        """The files of a report read (or found unchanged by a re-check): downloaded now,
        stored with it."""
        task = outcome.task
        if isinstance(outcome, Extracted):
            attachments = outcome.fields.get("attachments")
        elif isinstance(outcome, NotModified) and task.purpose == "recheck":
            attachments = (self.archive.reports.current_fields(task.url) or {}).get("attachments")
        else:
            return
        if attachments:
            self.checked[task.url] = self.checker.check(task.url, attachments, task.purpose, now)

    def take(self, url: str) -> list[FileCheck]:
        """A report's checks, to be stored with its new version (the caller closes them)."""
        checks = self.checked.pop(url, [])
        self.result.attachments += sum(1 for c in checks if c.sink is not None)
        return checks

    def store_unchanged(self, url: str, now: str, due_at: str) -> None:
        """The files of a report whose page did not change: a confirmed new file makes a new
        version (changed); first hashes are kept as links of their own."""
        checks = self.take(url)
        try:
            if not any(c.previous for c in checks):
                self.recorder.files(url, checks, now)
                return
            known = self.archive.reports.known_for([url]).get(url)
            old = self.archive.reports.current_fields(url)
            if known is None or old is None:
                return
            fields = with_facts(old, checks)
            event = self.recorder.version(
                EventKind.CHANGED, url, fields, content_hash=content_hash(fields),
                changes=changes_with_files(field_changes(old, fields, url), old, fields, checks), now=now,
                recheck_due_at=due_at, validators=(known.etag, known.last_modified), listed=None, baseline=False,
                extractor_version=known.extractor_version, files=checks,
            )  # fmt: skip
            self.announce(event)
        finally:
            for check in checks:
                check.close()

    def retry_due(self, started: str, budget: int, clock: Callable[[], str]) -> None:
        """Files still without a hash whose retry was due when the poll started (of reports not
        read in it): each kept as its own link when it comes, never a change."""
        by_report: dict[str, list[str]] = {}
        for state in self.archive.files.due(started, budget):
            by_report.setdefault(state.report_url, []).append(state.url)
        for report_url, urls in by_report.items():
            if self.stop is not None and self.stop.is_set():
                raise Interrupted("stopping: the rest is tried by the next poll")
            entries = (self.archive.reports.current_fields(report_url) or {}).get("attachments") or []
            wanted = [e for e in entries if isinstance(e, dict) and e.get("url") in urls]
            self.checked[report_url] = self.checker.check(report_url, wanted, "retry", clock())
            self.store_unchanged(report_url, clock(), started)

    def close(self) -> None:
        """A poll that failed keeps none of its downloads."""
        for checks in self.checked.values():
            for check in checks:
                check.close()
        self.checked.clear()
