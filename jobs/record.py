"""Storing what a poll found, and announcing it, in one transaction: the transactional outbox.

A version (or a removal, or a restore) is stored together with its event and one delivery
row per watcher that wants it, so a crash leaves either all of it or none: no stored
change is ever unannounced, no announcement points at nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from domain.change import content_hash as hash_of
from domain.events import Event, EventKind, StoredReport, Subscription
from domain.evidence import LinkKind, Raw
from jobs.attachments import FileCheck, with_facts
from storage.archive import Archive
from storage.reports import Listed


@dataclass
class Recorder:
    archive: Archive  # one watch's part of it
    subscriptions: Sequence[Subscription]
    poll_id: int | None = None
    watch: Mapping[str, str] | None = None  # what events say of their watch: {"name", "url", "section"}
    keep_raw: bool = True  # [evidence] keep_raw: the response each change came from is kept
    keep_files: bool = True  # [evidence] keep_attachments: the bytes of attachment files are kept

    def _proof(self, raw: Raw | None) -> tuple[int | None, str | None]:
        """(response id, raw sha256) of the response kept for a change, in its transaction."""
        if raw is None or not self.keep_raw:
            return None, None
        return self.archive.evidence.keep(raw), raw.sha256

    def version(
        self,
        kind: EventKind,
        url: str,
        fields: dict[str, Any],
        *,
        content_hash: str,
        changes: Mapping[str, Any],
        now: str,
        recheck_due_at: str,
        validators: tuple[str | None, str | None],
        listed: Listed | None,
        baseline: bool,
        extractor_version: int,
        raw: Raw | None = None,
        files: Sequence[FileCheck] = (),
    ) -> Event:
        """A new version (new, changed, or restored with changes), its proof, its files and its event."""
        with self.archive.transaction():
            stored = self._save(url, fields, content_hash, changes, now, recheck_due_at, validators, listed,
                                extractor_version, raw, reextracted=False)  # fmt: skip
            self._keep_files(url, stored.version, files, now)
            return self._announce(Event(kind, stored, now, changes, baseline, watch=self.watch))

    def reextracted(
        self,
        url: str,
        fields: dict[str, Any],
        *,
        content_hash: str,
        changes: Mapping[str, Any],
        now: str,
        recheck_due_at: str,
        validators: tuple[str | None, str | None],
        listed: Listed | None,
        extractor_version: int,
        raw: Raw | None = None,
        files: Sequence[FileCheck] = (),
    ) -> None:
        """A version that differs only because a newer extractor read the page: stored, never
        announced (no event, no delivery); ``history`` shows it as re-extracted."""
        with self.archive.transaction():
            stored = self._save(url, fields, content_hash, changes, now, recheck_due_at, validators, listed,
                                extractor_version, raw, reextracted=True)  # fmt: skip
            self._keep_files(url, stored.version, files, now)

    def files(self, url: str, files: Sequence[FileCheck], now: str) -> None:
        """Files checked for a report whose version stays: first hashes are links of their own
        and are filled into the current version's entries, which never re-hashes it."""
        if not any(check.asked for check in files):
            return
        with self.archive.transaction():
            current = self.archive.reports.current_fields(url)
            version = self.archive.reports.version_of(url)
            self._keep_files(url, version, files, now)
            if current is not None:
                filled = with_facts(current, files)
                if filled != current and hash_of(filled) == hash_of(current):
                    self.archive.reports.set_attachments(url, filled["attachments"])

    def _keep_files(self, url: str, version: int, files: Sequence[FileCheck], now: str) -> None:
        """What the checks learnt, in the caller's transaction: each new hash's file (streamed
        into the blob store), its response and its chain link; every file's state."""
        for check in files:
            if not check.asked:
                continue
            state = check.state
            if check.sink is not None and check.download is not None:
                sha = check.sink.sha256
                response_id = None
                if self.keep_files:
                    raw = check.download.raw
                    response_id = self.archive.evidence.keep_file(raw, sha, check.sink.size, check.sink.chunks())
                    state = replace(state, response_id=response_id)
                self.archive.evidence.append(
                    LinkKind.ATTACHMENT, check.url, version, now, sha, sha if response_id else None, response_id
                )
            self.archive.files.save(state)

    def _save(
        self, url: str, fields: dict[str, Any], content_hash: str, changes: Mapping[str, Any], now: str,
        recheck_due_at: str, validators: tuple[str | None, str | None], listed: Listed | None,
        extractor_version: int, raw: Raw | None, reextracted: bool,
    ) -> StoredReport:  # fmt: skip
        """A version, the response it came from and its chain link (in the caller's transaction)."""
        response_id, sha = self._proof(raw)
        stored = self.archive.reports.save_version(
            url=url, fields=fields, content_hash=content_hash, changed=changes, now=now,
            recheck_due_at=recheck_due_at, etag=validators[0], last_modified=validators[1], listed=listed,
            poll_id=self.poll_id, extractor_version=extractor_version, reextracted=reextracted,
            response_id=response_id,
        )  # fmt: skip
        kind = LinkKind.REEXTRACTION if reextracted else LinkKind.VERSION
        self.archive.evidence.append(kind, url, stored.version, now, content_hash, sha, response_id)
        return stored

    def removed(
        self, url: str, now: str, removal: Mapping[str, Any], baseline: bool = False, raw: Raw | None = None
    ) -> Event:
        """A confirmed removal, the answer that confirmed it, and its event."""
        with self.archive.transaction():
            response_id, sha = self._proof(raw)
            stored = self.archive.reports.mark_removed(url, now)
            digest = self.archive.reports.content_hash_of(url)
            self.archive.evidence.append(LinkKind.REMOVAL, url, stored.version, now, digest, sha, response_id)
            return self._announce(Event(EventKind.REMOVED, stored, now, {}, baseline, removal, self.watch))

    def restored(self, url: str, now: str, recheck_due_at: str, listed: Listed | None, raw: Raw | None = None) -> Event:
        """A removed report back with the fields it had: no new version, a link, an event."""
        with self.archive.transaction():
            response_id, sha = self._proof(raw)
            stored = self.archive.reports.restore(url, now, recheck_due_at, listed)
            digest = self.archive.reports.content_hash_of(url)
            self.archive.evidence.append(LinkKind.RESTORE, url, stored.version, now, digest, sha, response_id)
            return self._announce(Event(EventKind.RESTORED, stored, now, watch=self.watch))

    def _announce(self, event: Event) -> Event:
        event_id = self.archive.outbox.add_event(event, self.poll_id)
        wanting = [s.watcher_id for s in self.subscriptions if s.wants(event)]
        self.archive.outbox.enqueue(wanting, event.occurred_at, event_id=event_id)
        return event
