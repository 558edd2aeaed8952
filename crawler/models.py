"""Plain data passed between the crawler's stages: fetch -> parse -> clean.

Every stage takes and returns these frozen dataclasses, so each can be tested
on its own with saved HTML and no server.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Page:
    """One fetched HTML document, already decoded to ``str``."""

    url: str  # the URL we asked for
    final_url: str  # after same-host redirects; relative links resolve against it
    status: int
    text: str  # decoded HTML ("" for a 304)
    encoding: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    nbytes: int = 0
    redirected: bool = False

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class SectionLink:
    """Where the section's list starts and how it was found (for `section`)."""

    url: str
    how: str


@dataclass(frozen=True)
class ListingEntry:
    """One report as a list page shows it. ``url`` is the report's identity."""

    title: str
    url: str
    date: str | None  # YYYY-MM-DD or None


@dataclass(frozen=True)
class Listing:
    """What one list page says: its items and the further list pages it points to."""

    url: str
    items: tuple[ListingEntry, ...]
    next_pages: tuple[str, ...] = ()
    total_pages: int | None = None
    problems: tuple[str, ...] = ()
    container: str | None = None  # where the items sit, to find the same list on the next page

    def as_dict(self) -> dict:
        return {
            "url": self.url,
            "items": [{"title": i.title, "url": i.url, "date": i.date} for i in self.items],
            "next_pages": list(self.next_pages),
            "total_pages": self.total_pages,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class Attachment:
    name: str
    url: str


CREDIT_KEYS = ("contributor", "editor", "reviewer", "approver")


@dataclass(frozen=True)
class Report:
    """The fields of one report page, as they will be stored and exported."""

    url: str
    title: str | None
    published: str | None  # YYYY-MM-DD
    source: str | None
    text: str
    attachments: tuple[Attachment, ...] = ()
    credits: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        """A report worth storing: it has a title and a real body."""
        return bool(self.title) and len(self.text) >= MIN_BODY_CHARS and not self.blocking_problems

    @property
    def blocking_problems(self) -> tuple[str, ...]:
        return tuple(p for p in self.problems if p.startswith(BLOCKING_PREFIXES))

    def fields(self) -> dict:
        """The stored fields (the export/webhook names), without problems."""
        return {
            "url": self.url,
            "title": self.title,
            "published": self.published,
            "source": self.source,
            "text": self.text,
            "attachments": [{"name": a.name, "url": a.url} for a in self.attachments],
            "credits": {k: self.credits[k] for k in CREDIT_KEYS if k in self.credits},
        }

    def as_dict(self) -> dict:
        return {**self.fields(), "problems": list(self.problems)}


MIN_BODY_CHARS = 30
# Problems that make a page unusable as a report (others, like a missing date, are warnings).
BLOCKING_PREFIXES = ("no title", "no body", "body under", "challenge page", "not found", "markup nested")
