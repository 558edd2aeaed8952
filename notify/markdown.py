"""The story (notify/story.py) as chat markdown: what DingTalk and WeCom robots and Apprise show.

Their markdown has no strike-through, so a change is written with the plain-text marks
``[-删去的-]{+新增的+}``; WeCom may colour them (``<font color="warning">`` for what was
deleted, ``"info"`` for what was added). Text from the page is escaped so that a ``*`` or a
``[`` in a title stays a character. A message over the channel's size limit is cut at a
paragraph and ends with the link to the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.events import Notice
from domain.marks import Segment
from notify.story import Story, by_kind, headline, story

_SPECIAL = re.compile(r"([\\`*_#\[\]<>|~])")


def escape(text: str) -> str:
    """Markdown's special characters as characters."""
    return _SPECIAL.sub(r"\\\1", text)


@dataclass(frozen=True)
class Style:
    """How a channel's markdown writes marks."""

    colours: bool = False  # WeCom: <font color="warning">…</font>, <font color="info">…</font>
    max_bytes: int | None = None  # the channel's limit on a message (UTF-8 bytes)

    def segments(self, line: list[Segment]) -> str:
        out = []
        for op, text in line:
            if op == "-":
                marked = f"[-{escape(text)}-]"
                out.append(f'<font color="warning">{marked}</font>' if self.colours else marked)
            elif op == "+":
                marked = f"{{+{escape(text)}+}}"
                out.append(f'<font color="info">{marked}</font>' if self.colours else marked)
            elif op == "…":
                out.append("…")
            else:
                out.append(escape(text))
        return "".join(out)


def title(notice: Notice) -> str:
    """The message's title (DingTalk shows it in the chat list)."""
    told_title = notice.field("title") if notice.is_report else notice.message
    return f"{headline(notice)}: {told_title or ''}"[:120]


def message(notice: Notice, zone: str, style: Style) -> str:
    """One event as markdown, cut to the channel's limit with the link kept."""
    return fit(_blocks(story(notice, zone), style), style.max_bytes, _link(notice))


def _blocks(told: Story, style: Style) -> list[str]:
    blocks = [f"### {escape(told.headline)}: {escape(told.title)}", f"检测时间: {escape(told.detected)}"]
    if told.changes:
        blocks.append("**修改内容**（[-删去-]{+新增+}）:")
        for change in told.changes:
            lines = [f"> {style.segments(line)}" for line in change.lines]
            if change.more:
                lines.append(f"> …（另有 {change.more} 段修改，见原文）")
            blocks.append(f"**{escape(change.label)}**:\n" + "\n>\n".join(lines))
    if told.unchanged_note:
        blocks.append(escape(told.unchanged_note))
    if not told.url and not told.facts:
        return blocks
    blocks.append("  \n".join(f"**{escape(label)}**: {escape(value)}" for label, value in told.facts))
    blocks.append(f"[查看原文]({told.url})")
    if told.attachments:
        blocks.append(
            "**相关附件**:\n"
            + "\n".join(f"- [{escape(a.name)}]({a.url})" + (f"（{escape(a.detail)}）" if a.detail else "")
                        for a in told.attachments)
        )  # fmt: skip
    if told.paragraphs:
        blocks.append(f"**{escape(told.paragraphs_label)}**:")
        blocks += [escape(paragraph) for paragraph in told.paragraphs]
    return blocks


def _link(notice: Notice) -> str:
    url = notice.field("url") if notice.is_report else ""
    return f"[查看原文]({url})" if url else ""


def fit(blocks: list[str], max_bytes: int | None, link: str = "") -> str:
    """The blocks joined, or as many as fit in ``max_bytes`` with ``…`` and the link after them."""
    whole = "\n\n".join(blocks)
    if max_bytes is None or len(whole.encode("utf-8")) <= max_bytes:
        return whole
    tail = "\n\n…（内容过长，已截断）" + (f"\n\n{link}" if link else "")
    budget = max_bytes - len(tail.encode("utf-8"))
    kept: list[str] = []
    used = 0
    for block in blocks:
        size = len(block.encode("utf-8")) + 2
        if used + size > budget:
            room = budget - used - 2
            if room > 60:  # a useful part of the block: cut it at a character
                kept.append(block.encode("utf-8")[:room].decode("utf-8", "ignore"))
            break
        kept.append(block)
        used += size
    return "\n\n".join(kept) + tail


def digest(notices: list[Notice], zone: str, style: Style) -> str:
    """Several events as one message: the titles under each kind, each with its link and, for a
    change, its first marked line."""
    blocks = [f"### 本次共 {len(notices)} 条更新"]
    for kind, _ in by_kind(notices):
        lines = [f"**{escape(kind)}**:"]
        for notice in (n for n in notices if headline(n) == kind):
            lines.append(_digest_line(notice, zone, style))
        blocks.append("\n".join(lines))
    return fit(blocks, style.max_bytes)


def _digest_line(notice: Notice, zone: str, style: Style) -> str:
    if not notice.is_report:
        return f"- {escape(notice.message)}"
    told = story(notice, zone)
    line = f"- [{escape(told.title or told.url)}]({told.url})"
    first = next((c for c in told.changes if c.lines), None)
    if first:
        line += f"  \n  {escape(first.label)}: {style.segments(first.lines[0])}"
    return line
