"""What one event tells a reader, before any channel dresses it: the ``Story``.

Every channel renders the same story (email as text and HTML, later chat markdown and
the web view), so what a watcher learns does not depend on where they read it:

- new: title, date, source, link, credits, attachments, the first paragraphs;
- changed: what changed first, marked character by character (domain.marks), then the same;
- removed: first seen, last seen live, how the removal was confirmed, and its last text;
- restored: what came back, and what differs from its last version, marked;
- every one: when it was detected, in the configured time zone, named.

A ``Notice`` is a stored payload read back, so an older payload (no ``inline`` marks, no
``watch``) still tells its story: the marks are computed from its ``old`` and ``new``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain import marks
from domain.events import Notice
from domain.marks import Segment
from domain.report import CREDIT_LABELS, FIELDS
from domain.times import local_text

HEADLINES = {
    "report.new": "新报告",
    "report.changed": "报告已修改",
    "report.removed": "报告已删除",
    "report.restored": "报告已恢复",
    "alert.trouble": "监测异常",
    "alert.recovered": "监测已恢复",
    "ping": "测试消息",
}
FIRST_CHARS = 300  # the opening paragraphs shown, about this many characters
LAST_TEXT_CHARS = 5000  # a removed report's last text: all of it, up to this
NONE = "（无）"
CONFIRMED_BY = {  # crawler.gone.NotFoundKind, as a reader reads it
    "http_404": "页面返回 404（未找到）",
    "http_410": "页面返回 410（已删除）",
    "redirect": "页面跳转到首页或栏目页",
    "not_found_page": "页面显示“不存在/已删除”",
}


@dataclass(frozen=True)
class Link:
    name: str
    url: str
    detail: str = ""  # an attachment's kept file: type, size, the start of its hash


def file_detail(entry: Mapping[str, Any]) -> str:
    """What the archive knows of an attachment's file, short: "PDF，9.4 KB，sha256 b5890a11e345"."""
    sha = entry.get("sha256")
    if not sha:
        return "未保存：" + str(entry["not_kept"]) if entry.get("not_kept") else ""
    kind = str(entry.get("content_type") or "").split("/")[-1].upper()
    kind = {"MSWORD": "DOC", "OCTET-STREAM": ""}.get(kind, kind if len(kind) <= 6 else "")
    return "，".join(part for part in (kind, _size(entry.get("size")), f"sha256 {str(sha)[:12]}") if part)


def _size(size: Any) -> str:
    if not isinstance(size, int):
        return ""
    for unit, scale in (("MB", 1_000_000), ("KB", 1000)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


@dataclass(frozen=True)
class Marked:
    """One changed field: its label and its marked lines (elided for the body text)."""

    label: str
    lines: list[list[Segment]]
    more: int = 0  # changed paragraphs not shown


@dataclass(frozen=True)
class Story:
    headline: str  # 新报告, 报告已修改 ...
    title: str  # the report's title, or an alert's message
    detected: str  # when it was detected, local time with the zone named
    url: str = ""
    changes: list[Marked] = field(default_factory=list)
    unchanged_note: str = ""  # a restore that brought back its last version as it was
    facts: list[tuple[str, str]] = field(default_factory=list)  # (label, value): date, source, credits, times
    attachments: list[Link] = field(default_factory=list)
    paragraphs_label: str = ""
    paragraphs: list[str] = field(default_factory=list)


def headline(notice: Notice) -> str:
    return HEADLINES.get(notice.event, notice.event)


def story(notice: Notice, zone: str) -> Story:
    """The story of one notice, times written in ``zone`` (an IANA name)."""
    detected = local_text(notice.occurred_at, zone)
    if not notice.is_report:
        return Story(headline(notice), notice.message, detected)
    text = notice.field("text") or ""
    removed = notice.event == "report.removed"
    facts = _facts(notice, zone)
    if removed:
        label, paragraphs = "删除前的正文", _opening(text, LAST_TEXT_CHARS)
    else:
        label, paragraphs = "正文开头", _opening(text, FIRST_CHARS)
    unchanged = "内容与删除前的最后版本相同" if notice.event == "report.restored" and not notice.changes else ""
    return Story(
        headline=headline(notice),
        title=notice.field("title") or "",
        detected=detected,
        url=notice.field("url") or "",
        changes=[_marked(name, change) for name, change in notice.changes.items()],
        unchanged_note=unchanged,
        facts=facts,
        attachments=[
            Link(str(a.get("name") or a.get("url")), str(a.get("url") or ""), file_detail(a))
            for a in _attachments(notice)
        ],
        paragraphs_label=label,
        paragraphs=paragraphs,
    )


def _facts(notice: Notice, zone: str) -> list[tuple[str, str]]:
    """The report's meta fields in declared order, its credits, then the archive's times."""
    facts = [(f.label, shown(notice.field(f.name))) for f in FIELDS if f.meta]
    credits = notice.field("credits") or {}
    if isinstance(credits, dict):
        facts += [(CREDIT_LABELS.get(k, k), str(v)) for k, v in credits.items() if v]
    facts.append(("首次发现", local_text(notice.field("first_seen"), zone) or NONE))
    removal = notice.removal
    if notice.event == "report.removed" and removal:
        facts.append(("最后在线", local_text(removal.get("last_seen_live"), zone) or NONE))
        facts.append(("首次无法访问", local_text(removal.get("first_seen_gone"), zone) or NONE))
        facts.append(("删除确认", confirmation(removal)))
    elif notice.event == "report.removed":
        facts.append(("最后在线", NONE))
    facts.append(("版本", f"第 {notice.field('version')} 版" if notice.field("version") else NONE))
    return facts


def confirmation(removal: Mapping[str, Any]) -> str:
    """How a removal was confirmed, as a reader reads it (messages and the web view)."""
    how = CONFIRMED_BY.get(str(removal.get("confirmed_by")), str(removal.get("confirmed_by") or "删除"))
    detail = str(removal.get("detail") or "")
    detail = f"（{detail}）" if detail and not detail.startswith("HTTP ") else ""
    return f"{how}{detail}，列表中已无此文，间隔后再次访问仍然如此"


def _attachments(notice: Notice) -> list[dict[str, Any]]:
    value = notice.field("attachments") or []
    return [a for a in value if isinstance(a, dict)] if isinstance(value, list) else []


def _marked(name: str, change: Any) -> Marked:
    change = change if isinstance(change, dict) else {}
    label = next((f.label for f in FIELDS if f.name == name), name)
    ops = change.get("inline")
    if not isinstance(ops, list):  # a payload from before the marks, or a structured field
        ops = marks.inline(shown(change.get("old"), ""), shown(change.get("new"), ""))
    if name == "text":
        cut = marks.excerpt(ops)
        return Marked(label, cut.lines, cut.more)
    return Marked(label, marks.whole(ops) or [[("=", NONE)]])


def shown(value: Any, none: str = NONE) -> str:
    """A value as a reader sees it: none is （无）, a list or mapping its items."""
    if not value:
        return none
    if isinstance(value, dict):
        return "，".join(f"{CREDIT_LABELS.get(k, k)}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return "，".join(_item(v) for v in value)
    return str(value)


def _item(value: Any) -> str:
    """A list item: an attachment by its name, with its kept file's hash when there is one."""
    if not isinstance(value, dict):
        return str(value)
    name = str(value.get("name", value))
    return f"{name}（sha256 {str(value['sha256'])[:12]}）" if value.get("sha256") else name


def _opening(text: str, limit: int) -> list[str]:
    """Whole paragraphs from the start, about ``limit`` characters; the last one cut with …."""
    out: list[str] = []
    used = 0
    for paragraph in (p.strip() for p in text.split("\n")):
        if not paragraph:
            continue
        if used + len(paragraph) > limit:
            out.append(paragraph[: max(limit - used, 60)] + "…")
            break
        out.append(paragraph)
        used += len(paragraph)
    return out


def by_kind(notices: list[Notice]) -> list[tuple[str, list[str]]]:
    """A digest's opening: the titles under each kind of event, kinds in order of first appearance."""
    groups: dict[str, list[str]] = {}
    for notice in notices:
        what = (notice.field("title") if notice.is_report else notice.message) or NONE
        groups.setdefault(headline(notice), []).append(str(what))
    return list(groups.items())
