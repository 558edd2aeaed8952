"""What a watcher reads: subject, plain text and HTML for one event or a digest.

Messages are rendered from a ``Notice`` (domain.events): a payload read back, typed, with
the keys an older release did not write left at their defaults. Field names a reader sees
come from the field declaration (domain.report.FIELDS): a report's facts are its ``meta``
fields. Everything taken from the page is escaped in the HTML part: a title with
``<script>`` arrives as text.
"""

from __future__ import annotations

import html
from typing import Any

from domain.events import Notice
from domain.report import FIELDS

HEADLINES = {
    "report.new": "新报告",
    "report.changed": "报告已修改",
    "report.removed": "报告已删除",
    "report.restored": "报告已恢复",
    "alert.trouble": "监测异常",
    "alert.recovered": "监测已恢复",
    "ping": "测试消息",
}
EXCERPT_CHARS = 300
NONE = "（无）"


def label(name: str) -> str:
    return next((f.label for f in FIELDS if f.name == name), name)


def headline(notice: Notice) -> str:
    return HEADLINES.get(notice.event, notice.event)


def subject(notice: Notice, prefix: str) -> str:
    what = notice.field("title") if notice.is_report else notice.message
    return f"{prefix} {headline(notice)}: {what}".strip()


def digest_subject(notices: list[Notice], prefix: str) -> str:
    counts: dict[str, int] = {}
    for notice in notices:
        counts[headline(notice)] = counts.get(headline(notice), 0) + 1
    parts = "，".join(f"{name} {n}" for name, n in counts.items())
    return f"{prefix} {len(notices)} 条更新（{parts}）"


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def _shown(value: Any) -> str:
    """A fact as a reader sees it: none is （无）, a list or mapping its items."""
    if not value:
        return NONE
    if isinstance(value, dict):
        return "，".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return "，".join(str(v.get("name", v)) if isinstance(v, dict) else str(v) for v in value)
    return str(value)


def _facts(notice: Notice) -> list[tuple[str, str]]:
    """(label, value) of the report's meta fields, in declared order."""
    return [(f.label, _shown(notice.field(f.name))) for f in FIELDS if f.meta]


def text_body(notice: Notice) -> str:
    if not notice.is_report:
        return f"{headline(notice)}: {notice.message}\n时间: {notice.occurred_at}\n"
    lines = [f"{headline(notice)}: {notice.field('title') or ''}"]
    lines += [f"{name}: {value}" for name, value in _facts(notice)]
    lines += [
        f"链接: {notice.field('url')}",
        f"版本: {notice.field('version')}  状态: {notice.field('status')}",
        "",
    ]
    for name, change in notice.changes.items():
        if name == "text":
            lines += ["正文修改:", change.get("diff", ""), ""]
        else:
            lines += [f"{label(name)}: {change.get('old')} -> {change.get('new')}", ""]
    if notice.event != "report.removed":
        lines += ["正文开头:", _excerpt(notice.field("text") or ""), ""]
    return "\n".join(lines)


def html_body(notice: Notice) -> str:
    e = html.escape
    if not notice.is_report:
        return f"<p><b>{e(headline(notice))}</b>: {e(notice.message)}</p><p>{e(notice.occurred_at)}</p>"
    url = notice.field("url") or ""
    parts = [f"<h3>{e(headline(notice))}: {e(notice.field('title') or '')}</h3>", "<table>"]
    parts += [f"<tr><td>{e(name)}</td><td>{e(value)}</td></tr>" for name, value in _facts(notice)]
    parts += [f'<tr><td>链接</td><td><a href="{e(url)}">{e(url)}</a></td></tr>', "</table>"]
    for name, change in notice.changes.items():
        field_label = e(label(name))
        if name == "text":
            parts.append(f"<p>{field_label}修改:</p><pre>{e(change.get('diff', ''))}</pre>")
        else:
            old, new = e(str(change.get("old"))), e(str(change.get("new")))
            parts.append(f"<p>{field_label}: <del>{old}</del> → <ins>{new}</ins></p>")
    if notice.event != "report.removed":
        parts.append(f"<p>{e(_excerpt(notice.field('text') or ''))}</p>")
    return "\n".join(parts)


def digest_text(notices: list[Notice]) -> str:
    return "\n\n----------\n\n".join(text_body(n) for n in notices)


def digest_html(notices: list[Notice]) -> str:
    return "\n<hr>\n".join(html_body(n) for n in notices)
