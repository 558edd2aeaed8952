"""Plain data passed between the crawler's stages: fetch -> parse -> clean.

Every stage takes and returns frozen dataclasses, so each can be tested on its own
with saved HTML and no server. The report, the page and a list's entry are the
domain's (domain/report.py); the two below are the crawler's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.evidence import Raw
from domain.report import CREDIT_KEYS, MIN_BODY_CHARS, Attachment, ListingEntry, Page, Report
from domain.trouble import Problem

__all__ = ["CREDIT_KEYS", "MIN_BODY_CHARS", "Attachment", "Listing", "ListingEntry", "Page", "Report", "SectionLink"]


@dataclass(frozen=True)
class SectionLink:
    """Where the section's list starts and how it was found (for `section`)."""

    url: str
    how: str


@dataclass(frozen=True)
class Listing:
    """What one list page says: its items and the further list pages it points to."""

    url: str
    items: tuple[ListingEntry, ...]
    next_pages: tuple[str, ...] = ()
    total_pages: int | None = None
    problems: tuple[Problem, ...] = ()
    container: str | None = None  # where the items sit, to find the same list on the next page
    raw: Raw | None = field(default=None, repr=False, compare=False)  # the page as it came (evidence)

    def as_dict(self) -> dict:
        return {
            "url": self.url,
            "items": [{"title": i.title, "url": i.url, "date": i.date} for i in self.items],
            "next_pages": list(self.next_pages),
            "total_pages": self.total_pages,
            "problems": list(self.problems),
        }
