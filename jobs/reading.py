"""Reading one report page for a poll: what to fetch (a Task) and what came of it (an Outcome).

Network only: nothing here writes the archive. The poll stores the outcomes afterwards
(jobs/poll.py), so a poll that cannot be trusted changes nothing.

A page that looks changed is fetched once more, after the polite delay, before the change
is believed: the lines that differ between the two fetches are noise (a counter, a clock,
a token inside the body), remembered per report by their shape and left out of every later
comparison. Whether a page is gone is decided by its answer (crawler.gone), and only for a
page that yields no report.

A report stored by another extractor (an upgrade) is fetched without validators, so the new
extractor reads it; what it reads differently is re-extracted, stored without an event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from crawler import extract as extractor
from crawler.errors import CrawlError
from crawler.fetch import Fetcher
from crawler.gone import NotFound, not_found_by_answer, not_found_page
from crawler.profile import Selectors
from domain.change import content_hash, noisy_shapes, same_content
from domain.evidence import Raw
from domain.report import Page, Report
from storage.reports import KnownReport


@dataclass(frozen=True)
class Task:
    """One report page to read: why, what is stored of it, how a list showed it."""

    url: str
    purpose: str  # new (listed, not stored) | recheck | unlisted (a complete walk missed it) | confirm (a verdict)
    known: KnownReport | None = None
    listed: tuple[str | None, str | None, str] | None = None  # (title, date, when) on the list
    baseline: bool = False  # listed by the baseline walk: stored silently
    attempts: int = 0  # earlier failed attempts (a new report whose page keeps failing)

    @property
    def asks_if_gone(self) -> bool:
        """Read to learn whether it is gone: a not-found answer is the news, not a failure."""
        return self.purpose in ("unlisted", "confirm")


@dataclass(frozen=True)
class Extracted:
    task: Task
    report: Report
    etag: str | None
    last_modified: str | None
    noise: frozenset[str] = frozenset()  # the report's noisy line shapes, learnt ones included
    changed: bool | None = None  # against the stored version, noise aside (None: nothing to compare)
    confirmed: bool = False  # a second fetch confirmed what the first one showed
    extractor_version: int = 0  # the extractor that read it
    reextracted: bool = False  # differs only because another extractor read it: stored silently
    raw: Raw | None = field(default=None, repr=False)  # the response it was read from (evidence)

    @property
    def fields(self) -> dict[str, Any]:
        fields = self.report.fields()
        del fields["url"]
        return fields


@dataclass(frozen=True)
class NotModified:
    task: Task
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Gone:
    task: Task
    verdict: NotFound
    raw: Raw | None = field(default=None, repr=False)  # the answer that said so (evidence)


@dataclass(frozen=True)
class Unreadable:
    task: Task
    error: str


Outcome = Extracted | NotModified | Gone | Unreadable


def is_failure(outcome: Outcome) -> bool:
    """An attempt that went wrong (a gone page is wrong unless we asked whether it is gone)."""
    if isinstance(outcome, Unreadable):
        return True
    return isinstance(outcome, Gone) and not outcome.task.asks_if_gone


def why(outcome: Outcome) -> str:
    if isinstance(outcome, Unreadable):
        return outcome.error
    return str(outcome.verdict) if isinstance(outcome, Gone) else ""


@dataclass
class Reader:
    """Reads tasks with one poll's fetcher. ``stored_fields(url)`` gives the fields of a report's
    current version (read only when a page looks changed)."""

    fetcher: Fetcher
    home_url: str
    selectors: Selectors
    stored_fields: Callable[[str], dict[str, Any] | None]
    confirms: int = 0  # second fetches made to confirm a change

    def read(self, task: Task) -> Outcome:
        known = task.known
        current = extractor.EXTRACTOR_VERSION
        try:
            if task.purpose == "recheck" and known is not None and known.extractor_version == current:
                page = self.fetcher.get(task.url, etag=known.etag, last_modified=known.last_modified, listed=True)
            else:
                page = self.fetcher.get(task.url, listed=True)
        except CrawlError as exc:
            return Unreadable(task, str(exc))
        if page.not_modified:
            return NotModified(task, page.etag, page.last_modified)
        first = self._report(task, page)
        if not isinstance(first, Extracted) or known is None or known.status != "active":
            return first
        fields = first.fields
        if content_hash(fields) == known.content_hash:
            return _with(first, noise=known.noise, changed=False)
        old = self.stored_fields(task.url) or {}
        if same_content(fields, old, known.noise):  # noise aside, and the facts of kept attachments
            return _with(first, noise=known.noise, changed=False)
        if known.extractor_version != current:
            return _with(first, noise=known.noise, changed=True, reextracted=True)
        return self._confirm(task, first, old)

    def _report(self, task: Task, page: Page) -> Outcome:
        gone = not_found_by_answer(page, self.home_url)
        if gone:
            return Gone(task, gone, page.raw)
        if page.status != 200:
            return Unreadable(task, f"HTTP {page.status}")
        report = extractor.extract_report(page, self.selectors)
        template = not_found_page(page, report if report.usable else None)
        if template:
            return Gone(task, template, page.raw)
        if report.usable:
            version = extractor.EXTRACTOR_VERSION
            return Extracted(task, report, page.etag, page.last_modified, extractor_version=version, raw=page.raw)
        return Unreadable(task, "extraction failed: " + "; ".join(report.blocking_problems or report.problems))

    def _confirm(self, task: Task, first: Extracted, old: dict[str, Any]) -> Outcome:
        """Fetch once more: what differs between the two fetches is noise; what differs from the
        stored version in both is a change."""
        self.confirms += 1
        try:
            page = self.fetcher.get(task.url, listed=True)
        except CrawlError as exc:
            return Unreadable(task, f"the change could not be confirmed: {exc}")
        second = self._report(task, page)
        if isinstance(second, Unreadable):
            return Unreadable(task, f"the change could not be confirmed: {second.error}")
        if not isinstance(second, Extracted):
            return second
        assert task.known is not None
        noise = task.known.noise | noisy_shapes(first.fields["text"], second.fields["text"])
        changed = not same_content(second.fields, old, noise)
        return _with(second, noise=noise, changed=changed, confirmed=True)


def _with(outcome: Extracted, **changes: Any) -> Extracted:
    return replace(outcome, **changes)
