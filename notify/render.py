"""What an email reader sees: subject, plain text and HTML, for one event or a digest.

The content is the event's ``Story`` (notify/story.py); this module only dresses it. In
the plain text a change is written ``[-删去的-]{+新增的+}``; in the HTML it is ``<del>`` and
``<ins>`` styled inline (mail clients drop style sheets): red strike-through, green
underline. Every paragraph is its own ``<p>``, and everything taken from a page is
escaped: a title with ``<script>`` arrives as text.
"""

from __future__ import annotations

import html

from domain.events import Notice
from domain.marks import Segment
from notify.story import Marked, Story, by_kind, headline, story

DEFAULT_ZONE = "Asia/Shanghai"  # [notify] timezone's default
DEL_STYLE = "color:#a40000;background:#fde7e7;text-decoration:line-through"
INS_STYLE = "color:#006100;background:#e3f6e3;text-decoration:underline"
_PAGE = (
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
    "</head><body style=\"margin:0;padding:12px;font-family:-apple-system,'PingFang SC','Microsoft YaHei',"
    'sans-serif;font-size:15px;line-height:1.6;color:#222"><div style="max-width:680px">{}</div></body></html>'
)


def subject(notice: Notice, prefix: str) -> str:
    what = notice.field("title") if notice.is_report else notice.message
    return f"{prefix} {headline(notice)}: {what}".strip()


def digest_subject(notices: list[Notice], prefix: str) -> str:
    counts: dict[str, int] = {}
    for notice in notices:
        counts[headline(notice)] = counts.get(headline(notice), 0) + 1
    parts = "，".join(f"{name} {n}" for name, n in counts.items())
    return f"{prefix} {len(notices)} 条更新（{parts}）"


# -- plain text ---------------------------------------------------------------------------------------
def _text_segments(line: list[Segment]) -> str:
    marks = {"=": "{}", "-": "[-{}-]", "+": "{{+{}+}}", "…": "…"}
    return "".join(marks[op].format(text) for op, text in line)


def _text_change(change: Marked) -> list[str]:
    lines = [f"{change.label}:"] + ["  " + _text_segments(line) for line in change.lines]
    if change.more:
        lines.append(f"  …（另有 {change.more} 段修改，见链接）")
    return lines


def text_body(notice: Notice, zone: str = DEFAULT_ZONE) -> str:
    return _text_story(story(notice, zone))


def _text_story(told: Story) -> str:
    lines = [f"{told.headline}: {told.title}", f"检测时间: {told.detected}", ""]
    if told.changes:
        lines.append("修改内容（[-删去-]{+新增+}）:")
        for change in told.changes:
            lines += _text_change(change)
        lines.append("")
    if told.unchanged_note:
        lines += [told.unchanged_note, ""]
    if not told.url and not told.facts:  # an alert or a test message
        return "\n".join(lines)
    lines += [f"{label}: {value}" for label, value in told.facts]
    lines.append(f"链接: {told.url}")
    if told.attachments:
        lines += ["", "相关附件:"] + [f"- {a.name}{_detail(a.detail)}: {a.url}" for a in told.attachments]
    if told.paragraphs:
        lines += ["", f"{told.paragraphs_label}:"]
        lines += [p for paragraph in told.paragraphs for p in (paragraph, "")][:-1]
    return "\n".join(lines) + "\n"


# -- HTML ---------------------------------------------------------------------------------------------
def _html_segments(line: list[Segment]) -> str:
    out = []
    for op, text in line:
        if op == "-":
            out.append(f'<del style="{DEL_STYLE}">{html.escape(text)}</del>')
        elif op == "+":
            out.append(f'<ins style="{INS_STYLE}">{html.escape(text)}</ins>')
        elif op == "…":
            out.append('<span style="color:#888">…</span>')
        else:
            out.append(html.escape(text))
    return "".join(out)


def html_body(notice: Notice, zone: str = DEFAULT_ZONE) -> str:
    """The HTML of one event: the inside of the page (``page()`` wraps it)."""
    return _html_story(story(notice, zone))


def _html_story(told: Story) -> str:
    e = html.escape
    parts = [
        f'<h3 style="margin:0 0 4px">{e(told.headline)}: {e(told.title)}</h3>',
        f'<p style="margin:0 0 12px;color:#666">检测时间: {e(told.detected)}</p>',
    ]
    if told.changes:
        parts.append('<div style="border-left:3px solid #c90;padding-left:8px;margin:0 0 12px">')
        for change in told.changes:
            parts.append(f'<p style="margin:4px 0"><b>{e(change.label)}修改:</b></p>')
            parts += [f'<p style="margin:4px 0">{_html_segments(line)}</p>' for line in change.lines]
            if change.more:
                parts.append(f'<p style="margin:4px 0;color:#888">…（另有 {change.more} 段修改，见链接）</p>')
        parts.append("</div>")
    if told.unchanged_note:
        parts.append(f"<p>{e(told.unchanged_note)}</p>")
    if not told.url and not told.facts:
        return "\n".join(parts)
    parts.append('<table style="border-collapse:collapse;margin:0 0 12px">')
    cell = 'style="padding:2px 12px 2px 0;vertical-align:top;white-space:nowrap;color:#666"'
    parts += [f"<tr><td {cell}>{e(label)}</td><td>{e(value)}</td></tr>" for label, value in told.facts]
    link = f'<a href="{e(told.url)}" style="word-break:break-all">{e(told.url)}</a>'
    parts += [f"<tr><td {cell}>链接</td><td>{link}</td></tr>", "</table>"]
    if told.attachments:
        items = "".join(
            f'<li><a href="{e(a.url)}">{e(a.name)}</a>{e(_detail(a.detail))}</li>' for a in told.attachments
        )
        parts.append(f"<p><b>相关附件:</b></p><ul>{items}</ul>")
    if told.paragraphs:
        parts.append(f"<p><b>{e(told.paragraphs_label)}:</b></p>")
        parts += [f"<p>{e(paragraph)}</p>" for paragraph in told.paragraphs]
    return "\n".join(parts)


def page(inner: str) -> str:
    """A whole HTML document for mail clients, phones included (viewport, one narrow column)."""
    return _PAGE.format(inner)


# -- digests ------------------------------------------------------------------------------------------
def digest_text(notices: list[Notice], zone: str = DEFAULT_ZONE) -> str:
    head = [f"本次共 {len(notices)} 条更新:"]
    for kind, titles in by_kind(notices):
        head += ["", f"{kind}（{len(titles)}）:"] + [f"- {title}" for title in titles]
    return "\n".join(head) + "\n\n==========\n\n" + "\n\n----------\n\n".join(text_body(n, zone) for n in notices)


def digest_html(notices: list[Notice], zone: str = DEFAULT_ZONE) -> str:
    e = html.escape
    head = [f"<h2>本次共 {len(notices)} 条更新</h2>"]
    for kind, titles in by_kind(notices):
        head.append(f"<p><b>{e(kind)}（{len(titles)}）</b></p><ul>")
        head += [f"<li>{e(title)}</li>" for title in titles]
        head.append("</ul>")
    return "\n".join(head) + "\n<hr>\n" + "\n<hr>\n".join(html_body(n, zone) for n in notices)


def _detail(detail: str) -> str:
    return f"（{detail}）" if detail else ""
