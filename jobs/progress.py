"""How far the poll in flight is: a log line at least every ``progress_every`` seconds, and the
figures `status --json` shows (saved in the archive by the poll, read by `status`).

A first poll of a large section takes hours at a polite delay; silence for that long
looks like a hang. The ticker is a thread of its own, so a request that hangs does not
silence it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("ayrdw.poll")


@dataclass
class Progress:
    """Counters the poll moves forward; read (never written) by the ticker thread."""

    monotonic: Callable[[], float] = time.monotonic
    phase: str = "list"  # "list" (reading list pages), then "reports" (fetching report pages)
    pages: int = 0
    total_pages: int | None = None
    listed: int = 0
    done: int = 0
    total: int = 0
    _reports_started: float | None = field(default=None, repr=False)

    def start_reports(self, total: int) -> None:
        self.phase, self.total, self.done = "reports", total, 0
        self._reports_started = self.monotonic()

    def eta_seconds(self) -> int | None:
        if self.phase != "reports" or not self.done or self._reports_started is None:
            return None
        per_report = (self.monotonic() - self._reports_started) / self.done
        return round(per_report * (self.total - self.done))

    def as_dict(self) -> dict[str, Any]:
        if self.phase == "list":
            return {"phase": "list", "done": self.pages, "total": self.total_pages, "eta_seconds": None}
        return {"phase": "reports", "done": self.done, "total": self.total, "eta_seconds": self.eta_seconds()}

    def line(self) -> str:
        if self.phase == "list":
            of = f" of {self.total_pages}" if self.total_pages else ""
            return f"poll: list page {self.pages}{of} read, {self.listed} reports listed"
        eta = self.eta_seconds()
        left = "" if eta is None else f", about {_duration(eta)} left"
        return f"poll: {self.done}/{self.total} reports{left}"


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


class Ticker:
    """Logs ``progress.line()`` every ``every`` seconds until stopped."""

    def __init__(self, progress: Progress, every: float) -> None:
        self.progress = progress
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="poll-progress", daemon=True)

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            p = self.progress
            log.info(p.line(), extra={"fields": {"event": "progress", **p.as_dict()}})
