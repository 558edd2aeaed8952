"""Plain data of the fixture site: reports, sections and the request log.

The dataclasses here are the *truth* the crawler's output is compared with, so
they stay free of any markup concern: layouts decide how a report looks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

CREDIT_LABELS: dict[str, str] = {
    "contributor": "供稿",
    "editor": "编辑",
    "reviewer": "审核",
    "approver": "终审",
}
SECTION = "监督工作"


@dataclass
class FixtureReport:
    """One report as published: what a perfect extractor would read off its page."""

    slug: str
    title: str
    published: str
    source: str | None
    paragraphs: list[str]
    credits: dict[str, str]
    attachments: list[tuple[str, str]] = field(default_factory=list)
    section: str = SECTION

    def expected(self, report_url: str) -> dict:
        """What a perfect extractor returns for this report's page fetched at report_url."""
        return {
            "title": self.title,
            "published": self.published,
            "source": self.source,
            "text": "\n".join(self.paragraphs),
            "attachments": [{"name": name, "url": urljoin(report_url, path)} for name, path in self.attachments],
            "credits": {key: "".join(value.split()) for key, value in self.credits.items()},
        }


@dataclass(frozen=True)
class SectionInfo:
    """A column of the site: its display name, the path segment and the ASP class id."""

    name: str
    key: str
    classid: int


# Nav order. Only sections listed here can hold reports.
SECTIONS: tuple[SectionInfo, ...] = (
    SectionInfo("工作动态", "gzdt", 2),
    SectionInfo("监督工作", "jdgz", 5),
    SectionInfo("代表工作", "dbgz", 6),
    SectionInfo("法制建设", "fzjs", 7),
    SectionInfo("通知公告", "tzgg", 9),
)
SECTIONS_BY_NAME: dict[str, SectionInfo] = {s.name: s for s in SECTIONS}
SECTIONS_BY_KEY: dict[str, SectionInfo] = {s.key: s for s in SECTIONS}
SECTIONS_BY_CLASSID: dict[int, SectionInfo] = {s.classid: s for s in SECTIONS}


@dataclass
class ReportMeta:
    """Per-report facts fixed when the report is first published (URL parts never move on edit)."""

    seq: int  # registration order, drives per-report markup variations
    docid: int  # CMS document id used in URLs
    url_date: str  # "YYYYMMDD" of the TRS-style URL; not always the publish date
    clock: str  # "HH:MM" shown next to the date by layouts that show a time


@dataclass
class RequestRecord:
    """One request the site answered (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    status: int
    bytes_sent: int
    started: float = 0.0  # time.monotonic() when the request arrived
    ended: float = 0.0  # and when its answer was ready
