"""What a watcher reads: subject, plain text and HTML for one event or a digest.

Everything taken from the page is escaped in the HTML part: a title with
``<script>`` arrives as text.
"""

from __future__ import annotations

import html
from typing import Any

HEADLINES = {
    "report.new": "新报告",
    "report.changed": "报告已修改",
    "report.removed": "报告已删除",
    "report.restored": "报告已恢复",
    "alert.trouble": "监测异常",
    "alert.recovered": "监测已恢复",
    "ping": "测试消息",
}
FIELD_NAMES = {
    "title": "标题",
    "published": "发布时间",
    "source": "来源",
    "text": "正文",
    "credits": "供稿/编辑/审核/终审",
    "attachments": "相关附件",
}
EXCERPT_CHARS = 300


def headline(data: dict[str, Any]) -> str:
    return HEADLINES.get(data.get("event", ""), data.get("event", ""))


def subject(data: dict[str, Any], prefix: str) -> str:
    report = data.get("report")
    what = report.get("title") if report else data.get("message", "")
    return f"{prefix} {headline(data)}: {what}".strip()


def digest_subject(items: list[dict[str, Any]], prefix: str) -> str:
    counts: dict[str, int] = {}
    for data in items:
        counts[headline(data)] = counts.get(headline(data), 0) + 1
    parts = "，".join(f"{name} {n}" for name, n in counts.items())
    return f"{prefix} {len(items)} 条更新（{parts}）"


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def text_body(data: dict[str, Any]) -> str:
    report = data.get("report")
    if not report:
        return f"{headline(data)}: {data.get('message', '')}\n时间: {data.get('occurred_at', '')}\n"
    lines = [
        f"{headline(data)}: {report.get('title') or ''}",
        f"发布时间: {report.get('published') or '（无）'}",
        f"来源: {report.get('source') or '（无）'}",
        f"链接: {report['url']}",
        f"版本: {report.get('version')}  状态: {report.get('status')}",
        "",
    ]
    changes = data.get("changes") or {}
    for name, change in changes.items():
        if name == "text":
            lines += ["正文修改:", change.get("diff", ""), ""]
        else:
            lines += [f"{FIELD_NAMES.get(name, name)}: {change.get('old')} -> {change.get('new')}", ""]
    if data.get("event") != "report.removed":
        lines += ["正文开头:", _excerpt(report.get("text") or ""), ""]
    return "\n".join(lines)


def html_body(data: dict[str, Any]) -> str:
    e = html.escape
    report = data.get("report")
    if not report:
        return f"<p><b>{e(headline(data))}</b>: {e(data.get('message', ''))}</p><p>{e(data.get('occurred_at', ''))}</p>"
    parts = [
        f"<h3>{e(headline(data))}: {e(report.get('title') or '')}</h3>",
        "<table>",
        f"<tr><td>发布时间</td><td>{e(report.get('published') or '（无）')}</td></tr>",
        f"<tr><td>来源</td><td>{e(report.get('source') or '（无）')}</td></tr>",
        f'<tr><td>链接</td><td><a href="{e(report["url"])}">{e(report["url"])}</a></td></tr>',
        "</table>",
    ]
    for name, change in (data.get("changes") or {}).items():
        label = e(FIELD_NAMES.get(name, name))
        if name == "text":
            parts.append(f"<p>{label}修改:</p><pre>{e(change.get('diff', ''))}</pre>")
        else:
            parts.append(
                f"<p>{label}: <del>{e(str(change.get('old')))}</del> → <ins>{e(str(change.get('new')))}</ins></p>"
            )
    if data.get("event") != "report.removed":
        parts.append(f"<p>{e(_excerpt(report.get('text') or ''))}</p>")
    return "\n".join(parts)


def digest_text(items: list[dict[str, Any]]) -> str:
    return "\n\n----------\n\n".join(text_body(d) for d in items)


def digest_html(items: list[dict[str, Any]]) -> str:
    return "\n<hr>\n".join(html_body(d) for d in items)
