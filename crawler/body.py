"""The report's body: which element holds it, and which of its lines are the report's own.

Chrome is recognised by where it stands and what surrounds it, never by one word: a line
that opens with 主办单位： or 联系电话： is body text when the report's prose goes on after
it, and the footer it could also belong to comes after the last line of prose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from crawler import clean
from crawler.clean import remove_spaces
from crawler.dates import DATE_RE
from crawler.labels import CREDITS, Meaning, fields_in
from crawler.layout import Block, Layout

# A closing attribution under the prose: （万载县统计局）, (县监察委员会供稿).
_ATTRIBUTION = re.compile(r"^[（(][^（()）。，,；;]{2,30}[）)]$")


def find_body(layout: Layout) -> int | None:
    """The block that holds the most paragraph text (its index in ``layout.blocks``).

    Each line's prose (furniture, link text and bare dates count nothing) is credited to
    the block that holds it directly; a paragraph (a block with no block inside) credits
    its prose to its enclosing block too. The winner is the block whose own lines and
    paragraphs carry the most prose, which is the article body rather than the page
    wrapper around it; widened to its parent when the editor split the body (an
    introduction beside an inner container).
    """
    blocks, owners = layout.blocks, layout.owners
    own = [0] * len(blocks)
    headings = {i for i, block in enumerate(blocks) if block.tag in ("h1", "h2", "h3")}  # titles, not prose
    for i, line in enumerate(layout.lines):
        prose = prose_length(line, layout.link_chars[i]) if owners[i] not in headings else 0
        if prose:
            own[owners[i]] += prose
    score = own[:]
    for i, block in enumerate(blocks):
        if block.leaf and own[i] and block.parent >= 0:
            score[block.parent] += own[i]
    best = max(range(len(blocks)), key=lambda i: (score[i], own[i]))
    return _widened(layout, best, score) if score[best] >= 10 else None


def _widened(layout: Layout, body: int, score: list[int]) -> int:
    """The body's parent when what the parent adds is its own paragraphs of prose (TRS_Editor
    holding an introduction <p>, then a <div> with the rest), up to three levels."""
    blocks, lines = layout.blocks, layout.lines

    def size(block: Block) -> int:
        return sum(len(line) - line.count(" ") for line in lines[block.start : block.end])

    for _ in range(3):
        parent = blocks[body].parent
        if parent <= 0 or score[parent] < 40:  # none, the page's <body>, or no prose of its own
            break
        if score[parent] < 0.7 * (size(blocks[parent]) - size(blocks[body])):
            break
        body = parent
    return body


def prose_length(line: str, link_chars: int = 0) -> int:
    """Characters of prose in a line: link text, furniture lines and bare dates count nothing."""
    chars = len(line) - line.count(" ") - link_chars
    if chars <= 0:
        return 0
    if len(line) > 200:  # furniture is short; a long line is prose
        return chars
    return _short_prose(line, chars)


@lru_cache(maxsize=8192)  # a site's menus, meta and footer lines repeat on every page of it
def _short_prose(line: str, chars: int) -> int:
    if is_furniture(line):
        return 0
    if "19" in line or "20" in line:
        chars -= len(line) - len(DATE_RE.sub("", line))
    return max(chars, 0)


def is_furniture(line: str) -> bool:
    return clean.might_be_furniture(line) and (
        clean.is_chrome_line(line)
        or clean.is_meta_line(line)
        or clean.is_footer_line(line)
        or clean.is_credit_line(line)
        or bool(clean.ATTACHMENTS.match(line) and len(line) < 40)
    )


def clean_body_lines(lines: Sequence[str], title: str | None, attachment_names: Sequence[str] = ()) -> list[str]:
    """The report's own paragraphs: chrome before and after the prose cut away.

    Leading breadcrumb/title/meta lines go; the text ends where what follows the report starts
    (credits, 附件, prev/next, related links, comments, the footer) once no prose comes after it;
    print/close links and counters go wherever they are. A title repeated *inside* the prose
    (its heading block) stays.
    """
    lines = [line for line in lines if line]
    start = len(head_lines(lines, title))
    body: list[str] = []
    for line in lines[start:]:
        if clean.is_chrome_line(line) or (not body and clean.is_meta_line(line)):
            continue
        body.append(line)
    body = body[: _tail_start(body)]
    names = {remove_spaces(name) for name in attachment_names}
    while body and _trailing_furniture(body[-1], names):
        body.pop()
    return body


def head_lines(lines: Sequence[str], title: str | None) -> list[str]:
    """The leading lines of the body container that are not the report: breadcrumbs, the title
    line above its meta line, meta lines, chrome."""
    title_key = remove_spaces(title or "")
    start = 0
    while start < len(lines):
        line = lines[start]
        following = lines[start + 1] if start + 1 < len(lines) else ""
        if clean.is_chrome_line(line) or clean.is_meta_line(line) or clean.is_footer_line(line):
            start += 1
        elif title_key and remove_spaces(line) == title_key and clean.is_meta_line(following):
            start += 1  # the page's title line, followed by its meta line
        else:
            break
    return list(lines[:start])


def _tail_start(body: list[str]) -> int:
    """Where what follows the report starts: the first line that opens such a block (credits,
    附件, prev/next, related links, a footer mark, a label line) with no prose after it."""
    last_prose = next((i for i in range(len(body) - 1, -1, -1) if _is_prose(body[i])), -1)
    for i in range(max(1, last_prose + 1), len(body)):
        if _opens_tail(body[i]):
            while i - 1 > max(last_prose, 0) and clean.is_footer_line(body[i - 1]) and _is_footer_start(body[i]):
                i -= 1  # 主办单位：… just above 版权所有: the footer's first line
            return i
    return len(body)


def _is_footer_start(line: str) -> bool:
    return clean.is_footer_line(line) or bool(clean.STRONG_FOOTER.search(line))


def _is_prose(line: str) -> bool:
    return (len(line) > 80 or "。" in line) and not (is_furniture(line) or _opens_tail(line))


def _opens_tail(line: str) -> bool:
    return bool(
        clean.is_credit_line(line)
        or (clean.ATTACHMENTS.match(line) and len(line) < 60)
        or clean.PREV_NEXT.match(line)
        or clean.AFTER_BODY.match(line)
        or (len(line) < 200 and clean.STRONG_FOOTER.search(line))
        or (len(line) < 120 and _opens_with_field(line))
    )


_TAIL_FIELDS = (Meaning.SOURCE, Meaning.PUBLISHED, Meaning.UPDATED, *CREDITS)


def _opens_with_field(line: str) -> bool:
    """来源：, 发布时间：, 编辑： … opening a line: fields shown after a report. (名称：, 地址： and
    时间： open lines of a notice's own text.)"""
    fields = fields_in(line)
    return bool(fields) and fields[0].meaning in _TAIL_FIELDS and not line[: fields[0].start].strip(" [【(（")


def _trailing_furniture(line: str, attachment_names: set[str]) -> bool:
    """Lines that may end a body's container but not the report: chrome, a meta line, an
    attachment heading or link text, a closing attribution."""
    return bool(
        clean.is_chrome_line(line)
        or clean.is_meta_line(line)
        or (clean.ATTACHMENTS.match(line) and len(line) < 30)
        or remove_spaces(line) in attachment_names
        or _ATTRIBUTION.match(line)
    )
