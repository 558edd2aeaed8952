"""A report's attachment files: downloaded, kept, and watched.

Network first, database second, as for report pages: ``FileChecker.check`` makes the requests
a report's attachments need while the poll reads, and returns one ``FileCheck`` per file;
the recorder keeps them in the transaction that stores the report (jobs/record.py).

When a file is asked for:
- the first time a report lists it: with the version that lists it;
- at every re-check of its report: conditionally (If-None-Match / If-Modified-Since);
- while it has no hash (the download failed): again when its retry is due, backing off
  (jobs/poll.py), on any poll. A failure never holds back the version.
Only http(s) on the site's host or ``[evidence] attachment_hosts``; at most
``[evidence] max_attachment`` bytes; through the poll's fetcher (its delay, robots, lock).

A different hash for a file already hashed is believed only when a second download moments
later gives it again (as a changed page is confirmed); then the report has changed, and the
version's entry for the file keeps ``previous_sha256``. A first hash (null to a hash) is a
chain link of its own and never a change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from crawler.download import Download, FileSink
from crawler.errors import CrawlError, FetchError, OffSiteError, RobotsDisallowed, TooLargeError
from crawler.fetch import Fetcher
from domain.report import FACT_KEYS
from storage.attachments import AttachmentFiles, FileState

UNSTABLE = "a different file on every download: no change believed"


@dataclass(frozen=True)
class FileRules:
    """[evidence]'s rules for files."""

    hosts: frozenset[str] = frozenset()  # besides the site's host
    cap: int = 50_000_000
    keep: bool = True  # keep the bytes (else only the hash, size and type)


@dataclass
class FileCheck:
    """What one poll learnt of one attachment file."""

    state: FileState  # what the archive keeps of it now
    sink: FileSink | None = None  # a download to keep (a first hash, or a confirmed new one)
    download: Download | None = None
    previous: FileState | None = None  # a confirmed change: the file as it was
    asked: bool = True  # False: nothing was asked this poll (known hash, or a retry not due): nothing to save

    @property
    def url(self) -> str:
        return self.state.url

    @property
    def first(self) -> bool:
        """A hash the archive did not have for this file: a link, never a change."""
        return self.sink is not None and self.previous is None

    def facts(self) -> dict[str, Any]:
        """What the version's attachment entry says of the file."""
        facts = self.state.facts()
        if self.previous is not None:
            facts["previous_sha256"] = self.previous.sha256
        if self.state.sha256 is None and self.state.error:
            facts["not_kept"] = self.state.error
        return facts

    def close(self) -> None:
        if self.sink is not None:
            self.sink.close()


def with_facts(fields: dict[str, Any], checks: Iterable[FileCheck]) -> dict[str, Any]:
    """The fields with each checked attachment's facts in its entry (others as they were)."""
    by_url = {c.url: c for c in checks}
    entries = fields.get("attachments")
    if not by_url or not isinstance(entries, list):
        return fields
    filled = []
    for entry in entries:
        check = by_url.get(entry.get("url")) if isinstance(entry, dict) else None
        if check is None:
            filled.append(entry)
        else:
            filled.append({**{k: v for k, v in entry.items() if k not in FACT_KEYS}, **check.facts()})
    return {**fields, "attachments": filled}


def file_changes(checks: Iterable[FileCheck]) -> list[dict[str, Any]]:
    """The confirmed new files, as ``changes["attachments"]["files"]`` lists them."""
    return [
        {
            "name": c.state.name,
            "url": c.url,
            "old_sha256": c.previous.sha256,
            "new_sha256": c.state.sha256,
            "old_size": c.previous.size,
            "new_size": c.state.size,
            "old_content_type": c.previous.content_type,
            "new_content_type": c.state.content_type,
        }
        for c in checks
        if c.previous is not None
    ]


@dataclass
class FileChecker:
    """Checks a report's files with one poll's fetcher. ``retry_after(failures)``: seconds
    until a file with no hash is tried again."""

    fetcher: Fetcher
    files: AttachmentFiles
    rules: FileRules
    retry_after: Callable[[int], float]
    later: Callable[[float], str]  # the ISO time that many seconds from now
    confirms: int = 0  # second downloads made to confirm a new hash

    def check(self, report_url: str, attachments: Any, purpose: str, now: str) -> list[FileCheck]:
        """One check per attachment URL of the report. ``purpose`` "recheck" asks again for
        every file (conditionally); otherwise only new files and those whose retry is due."""
        known = self.files.of(report_url)
        checks: dict[str, FileCheck] = {}
        for entry in attachments if isinstance(attachments, list) else []:
            url = entry.get("url") if isinstance(entry, dict) else None
            if not url or url in checks:
                continue
            name = entry.get("name")
            checks[url] = self._one(known.get(url) or FileState(report_url, url, name), name, purpose, now)
        return list(checks.values())

    def _one(self, known: FileState, name: str | None, purpose: str, now: str) -> FileCheck:
        known = replace(known, name=name or known.name)
        asked_before = known.checked_at is not None
        if asked_before and purpose != "recheck":
            waiting = known.sha256 is not None or known.retry_at is None or known.retry_at > now
            if waiting:
                return FileCheck(known, asked=False)
        hashed = known.sha256 is not None
        try:
            got, sink = self._fetch(known.url, known if hashed else None)
        except (CrawlError, OSError) as exc:
            return FileCheck(self._failed(known, exc, now))
        if got.not_modified:
            sink.close()
            return FileCheck(replace(known, checked_at=now, failures=0, error=None, retry_at=None))
        fresh = replace(
            known, sha256=sink.sha256, size=sink.size, content_type=got.content_type, etag=got.etag,
            last_modified=got.last_modified, fetched_at=now, checked_at=now, failures=0, error=None, retry_at=None,
        )  # fmt: skip
        if not hashed:
            return FileCheck(fresh, sink, got)
        if sink.sha256 == known.sha256:
            sink.close()
            return FileCheck(replace(fresh, response_id=known.response_id, fetched_at=known.fetched_at))
        return self._confirm(known, fresh, got, sink, now)

    def _confirm(self, known: FileState, fresh: FileState, got: Download, sink: FileSink, now: str) -> FileCheck:
        """Download once more: the new hash is believed when the second download gives it too."""
        self.confirms += 1
        try:
            _, again = self._fetch(known.url, None)
        except (CrawlError, OSError) as exc:
            sink.close()
            return FileCheck(replace(known, checked_at=now, error=f"a new hash could not be confirmed: {exc}"))
        second = again.sha256
        again.close()
        if second == sink.sha256:
            return FileCheck(fresh, sink, got, previous=known)
        sink.close()
        error = None if second == known.sha256 else UNSTABLE
        return FileCheck(replace(known, checked_at=now, error=error))

    def _fetch(self, url: str, known: FileState | None) -> tuple[Download, FileSink]:
        sink = FileSink(self.rules.cap)
        try:
            got = self.fetcher.download(
                url, sink, hosts=self.rules.hosts, etag=known.etag if known else None,
                last_modified=known.last_modified if known else None,
            )  # fmt: skip
        except BaseException:
            sink.close()
            raise
        return got, sink

    def _failed(self, known: FileState, exc: Exception, now: str) -> FileState:
        """Why there is no (new) hash, and when to try again: a refused file (off-site, robots,
        too large) at its report's next re-check; a failing one sooner, backing off."""
        refused = isinstance(exc, OffSiteError | RobotsDisallowed | TooLargeError)
        error = self._reason(known.url, exc)
        failures = known.failures if refused else known.failures + 1
        retry = None if refused or known.sha256 is not None else self.later(self.retry_after(failures))
        return replace(known, checked_at=now, failures=failures, error=error, retry_at=retry)

    def _reason(self, url: str, exc: Exception) -> str:
        """Why a file has no hash, short (the entry sits beside the file's URL)."""
        if isinstance(exc, TooLargeError):
            return f"larger than max_attachment ({self.rules.cap} bytes): not kept"
        if isinstance(exc, OffSiteError) and exc.url == url:
            parts = urlsplit(url)
            if parts.scheme.lower() not in ("http", "https"):
                return "not an http(s) link"
            return f"host {parts.hostname} is neither the site's nor in [evidence] attachment_hosts"
        if isinstance(exc, RobotsDisallowed):
            return "disallowed by robots.txt"
        if isinstance(exc, FetchError) and exc.status is not None:
            return f"HTTP {exc.status} (tried again later)"
        if isinstance(exc, OSError):
            return f"could not be written to a temporary file ({exc.strerror or exc})"
        return str(exc)
