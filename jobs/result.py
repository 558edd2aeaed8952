"""What one poll did: the counts of its summary line and its row in the polls table, and the
failure that makes a poll untrustworthy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.trouble import Trouble


class PollFailed(Exception):
    """The poll cannot be trusted (walk failed, most pages failed): nothing is changed.
    ``trouble``: the kind operators hear about at once, if it is one."""

    def __init__(self, message: str, trouble: Trouble | None = None) -> None:
        super().__init__(message)
        self.trouble = trouble


@dataclass
class PollResult:
    watch: str = ""
    status: str = "ok"
    mode: str = "incremental"
    pages: int = 0
    found: int = 0
    new: int = 0
    changed: int = 0
    restored: int = 0
    removed: int = 0
    failed: int = 0
    confirms: int = 0  # second fetches that confirmed (or dismissed) a change
    reextracted: int = 0  # versions stored silently because a newer extractor read them differently
    attachments: int = 0  # attachment files kept: first hashes and confirmed new ones
    requests: int = 0
    bytes: int = 0
    seconds: float = 0.0
    error: str | None = None
    trouble: Trouble | None = None  # the kind of a failure operators hear about at once
    problems: list[str] = field(default_factory=list)
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, url, title)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def summary(self) -> str:
        line = (
            f"poll: {self.status} watch={self.watch} pages={self.pages} found={self.found} new={self.new}"
            f" changed={self.changed} restored={self.restored} removed={self.removed} failed={self.failed}"
            f" confirms={self.confirms} requests={self.requests} seconds={self.seconds:.1f}"
        )
        if self.reextracted:
            line += f" reextracted={self.reextracted}"
        if self.attachments:
            line += f" attachments={self.attachments}"
        return f"{line} error={self.error}" if self.error else line

    def counts(self) -> dict[str, Any]:
        """The poll's row in the polls table: every field but the problem and event lists."""
        counts = {k: v for k, v in self.__dict__.items() if k not in ("problems", "events", "trouble")}
        counts["seconds"] = round(self.seconds, 3)
        return counts
