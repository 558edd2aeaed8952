"""Which due reports a poll re-checks, and what re-checks and walks may cost.

By age (the default; domain.schedule says when a report is due): each poll earns
``[crawl] requests_per_poll`` requests of credit (kept between polls, at most CREDIT_POLLS
polls' worth) and spends it on everything but news: its page 1 check, the slice of a complete
walk, re-checks and their attachment files, confirmations. The re-checks it may make are what
is left, youngest due reports first. New reports are never held back and never charged; nor is
the baseline. A report whose list entry changed (its title or date on the list) is re-checked by
the next poll whatever the credit (up to FLAGGED_PER_POLL a poll), and charged. So on average a
poll costs at most ``requests_per_poll`` plus its news, whatever the section's size; a long walk
spends ahead and the next polls re-check less.

Release 0.1.0's policy (``recheck_by_age = false``): enough re-checks to re-fetch every report and
its files once per ``recheck``, with room to catch up. ``recheck = "0s"``: every report, every poll.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from crawler.fetch import Fetcher
from domain.schedule import NOW_DUE
from storage.archive import Archive
from storage.reports import KnownReport

CREDIT_KEY = "request_credit"
CREDIT_POLLS = 4  # credit kept for at most this many polls: an idle hour does not buy a burst
FLAGGED_PER_POLL = 20  # re-checks a changed list entry asks for, made whatever the credit


@dataclass
class Rechecks:
    archive: Archive  # one watch's part
    fetcher: Fetcher  # the poll's: what it has spent so far
    interval: float
    recheck: float
    by_age: bool = True
    per_poll: float = 3.0  # [crawl] requests_per_poll
    credit: float | None = None  # this poll's, once the re-checks are chosen

    def select(self, now: str, queued: int) -> list[KnownReport]:
        """The re-checks of this poll; ``queued``: requests already waiting (not news)."""
        if not self.archive.reports.any_due(now):
            return []
        if not self.recheck:
            return self.archive.reports.due_for_recheck(now, max(self.archive.reports.count_active(), 1))
        if not self.by_age:
            budget = self.budget()
            return self._by_cost(self.archive.reports.due_for_recheck(now, budget), budget)
        self.credit = self._earned()
        allowance = math.floor(self.credit - self.fetcher.requests - queued)
        flagged = self.archive.reports.due_for_recheck(NOW_DUE, FLAGGED_PER_POLL)  # a list entry changed
        if allowance <= len(flagged):
            return flagged
        return self._by_cost(self.archive.reports.due_by_tier(now, allowance), allowance)

    def charge(self, news_requests: int, now: str) -> None:
        """After the poll: its requests, news aside, come off the credit."""
        if not self.recheck or not self.by_age:
            return
        if self.credit is None:
            self.credit = self._earned()
        left = self.credit - (self.fetcher.requests - news_requests)
        self.archive.state.set(CREDIT_KEY, f"{left:.3f}", now)

    def _earned(self) -> float:
        """The credit left by the last poll plus this poll's, kept for at most CREDIT_POLLS polls."""
        saved = self.archive.state.get(CREDIT_KEY)
        left = float(saved) if saved is not None else self.per_poll
        return min(left + self.per_poll, self.per_poll * CREDIT_POLLS)

    def budget(self) -> int:
        """Release 0.1.0's: enough to re-fetch every report and its files once per `recheck`,
        twice over (room to catch up after downtime)."""
        active = self.archive.reports.count_active()
        per_poll = (active + self.archive.files.count()) * self.interval / self.recheck
        return max(1, math.ceil(per_poll * 2))

    def _by_cost(self, due: list[KnownReport], allowance: int) -> list[KnownReport]:
        """As many as the allowance pays for: a re-check costs its page and each of its files."""
        files = self.archive.files.counts([k.url for k in due])
        chosen, spent = [], 0
        for known in due:
            cost = 1 + files.get(known.url, 0)
            if chosen and spent + cost > allowance:
                break
            chosen.append(known)
            spent += cost
        return chosen
