"""The report and the one declaration of its fields.

``FIELDS`` says what a report holds. The stored columns, both exports, the content hash,
the field diff and what messages show all derive from it: a new field is one ``Field``
here (with its extractor) and touches nothing else. The first six are read by the
crawler's heuristics; a field beyond them brings its own ``extract``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.evidence import Raw
from domain.trouble import Problem

CREDIT_KEYS = ("contributor", "editor", "reviewer", "approver")
CREDIT_LABELS = {"contributor": "供稿", "editor": "编辑", "reviewer": "审核", "approver": "终审"}  # what readers see
MIN_BODY_CHARS = 30
FILE_FACTS = ("sha256", "size", "content_type")  # what a kept download adds to an attachment entry
# every key the archive adds to an attachment entry (the page gives name and url): left out of
# comparisons; "previous_sha256" marks a confirmed change of the file (domain/change.py)
FACT_KEYS = (*FILE_FACTS, "previous_sha256", "not_kept")


@dataclass(frozen=True)
class Attachment:
    name: str
    url: str


def _attachments(value: Any) -> list[dict[str, str]]:
    return [{"name": a.name, "url": a.url} if isinstance(a, Attachment) else dict(a) for a in value or ()]


def _credits(value: Any) -> dict[str, str]:
    value = value or {}
    return {k: value[k] for k in (*CREDIT_KEYS, *sorted(set(value) - set(CREDIT_KEYS))) if k in value}


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Field:
    """One field of a report."""

    name: str
    label: str  # what a reader sees in messages
    empty: Any = None  # the value when the page shows none
    structured: bool = False  # a list or a mapping: JSON text in the archive and in CSV cells
    meta: bool = False  # shown on a line of its own ("label: value") where messages list a report's facts
    plain: Callable[[Any], Any] = _same  # to plain data (JSON-ready), from what the extractor gives
    extract: Callable[[Any, Any], Any] | None = None  # beyond the built-in six: (page, tree) -> value


FIELDS: list[Field] = [
    Field("title", "标题"),
    Field("published", "发布时间", meta=True),
    Field("source", "来源", meta=True),
    Field("text", "正文", empty=""),
    Field("attachments", "相关附件", empty=[], structured=True, plain=_attachments),
    Field("credits", "供稿/编辑/审核/终审", empty={}, structured=True, plain=_credits),
]
BUILT_IN = ("title", "published", "source", "text", "attachments", "credits")


def field_named(name: str) -> Field:
    return next(f for f in FIELDS if f.name == name)


@dataclass(frozen=True)
class Page:
    """One fetched HTML document, already decoded to ``str``."""

    url: str  # the URL we asked for
    final_url: str  # after same-origin redirects; relative links resolve against it
    status: int
    text: str  # decoded HTML ("" for a 304)
    encoding: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    nbytes: int = 0
    redirected: bool = False
    raw: Raw | None = field(default=None, repr=False, compare=False)  # the response as it came (evidence)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class ListingEntry:
    """One report as a list page shows it. ``url`` is the report's identity."""

    title: str
    url: str
    date: str | None  # YYYY-MM-DD or None


@dataclass(frozen=True)
class KnownListPage:
    """A list page as a walk last read it, with its validators: a 304 means these items again,
    and the list pages it queued then (``added``) are its further pages."""

    url: str
    etag: str | None
    last_modified: str | None
    items: tuple[ListingEntry, ...]
    added: tuple[str, ...]
    total_pages: int | None


@dataclass(frozen=True)
class Report:
    """The fields of one report page, as the extractor read them. The built-in fields are
    attributes; a declared field beyond them is in ``extra``."""

    url: str
    title: str | None
    published: str | None  # YYYY-MM-DD
    source: str | None
    text: str
    attachments: tuple[Attachment, ...] = ()
    credits: dict[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def unusable(cls, url: str, problem: Problem) -> Report:
        return cls(url, None, None, None, "", problems=(problem,))

    @property
    def usable(self) -> bool:
        """A report worth storing: it has a title and a real body."""
        return bool(self.title) and len(self.text) >= MIN_BODY_CHARS and not self.blocking_problems

    @property
    def blocking_problems(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.blocking)

    def value(self, f: Field) -> Any:
        raw = getattr(self, f.name) if f.name in BUILT_IN else self.extra.get(f.name, f.empty)
        return f.plain(raw)

    def fields(self) -> dict[str, Any]:
        """The stored fields (the export/webhook names), without problems."""
        return {"url": self.url, **{f.name: self.value(f) for f in FIELDS}}

    def as_dict(self) -> dict[str, Any]:
        return {**self.fields(), "problems": [str(p) for p in self.problems]}


def stored_value(f: Field, value: Any) -> Any:
    """A field's value as an archive column holds it (structured fields as JSON text)."""
    return json.dumps(value, ensure_ascii=False) if f.structured else value


def loaded_value(f: Field, value: Any) -> Any:
    """A field's value read back from its column."""
    if value is None:
        return f.empty
    return json.loads(value) if f.structured else value
