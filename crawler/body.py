"""The report's body: which element holds it, and which of its lines are the report's own.

Chrome is recognised by where it stands and what surrounds it, never by one word: a line
that opens with 主办单位： or 联系电话： is body text when the report's prose goes on after
it, and the footer it could also belong to comes after the last line of prose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from selectolax.lexbor import LexborNode

from crawler import clean
from crawler.clean import collapse, remove_spaces
from crawler.dates import DATE_RE
from crawler.dom import with_block_inside, with_link_inside
from crawler.labels import CREDITS, Meaning, fields_in

_PARAGRAPH_TAGS = "p, div, td, li, section, article, blockquote, pre, center, font, span, dd, h4, h5, h6, strong"
# A closing attribution under the prose: （万载县统计局）, (县监察委员会供稿).
_ATTRIBUTION = re.compile(r"^[（(][^（()）。，,；;]{2,30}[）)]$")


def find_body(root: LexborNode) -> LexborNode | None:
    """The element that directly holds the most paragraph text.

    Each paragraph-like leaf (no block inside) credits its text, links and chrome
    lines excluded, to its parent; text nodes count for the element they sit in.
    The winner is the element whose own paragraphs carry the most text, which is
    the article body rather than the page wrapper around it; widened to its parent
    when the editor split the body (an introduction beside an inner container).
    """
    scores: dict[int, float] = {}
    nodes: dict[int, LexborNode] = {}
    lengths: dict[str, int] = {}  # the same text is measured as a node's own and its parent's

    def prose(text: str) -> int:
        if text not in lengths:
            lengths[text] = prose_length(text)
        return lengths[text]

    containers = with_block_inside(root)
    linked = with_link_inside(root)
    for node in root.css(_PARAGRAPH_TAGS):
        node_id = node.mem_id
        direct = node.text(deep=False)  # its direct text: <td>line<br>line</td>
        own = prose(direct)
        if own:
            scores[node_id] = scores.get(node_id, 0) + own
            nodes[node_id] = node
        if node_id in containers:
            continue
        parent = node.parent
        if parent is None:
            continue
        deep = node.text(deep=True)
        length = own if deep == direct else prose(deep)
        if length and node_id in linked:
            length -= sum(len(remove_spaces(a.text(deep=True))) for a in node.css("a"))
        if length > 0:
            scores[parent.mem_id] = scores.get(parent.mem_id, 0) + length
            nodes[parent.mem_id] = parent
    if not scores:
        return None
    best = max(scores, key=lambda k: scores[k])  # first maximum: outer element on a tie
    return _widened(nodes[best], scores, root) if scores[best] >= 10 else None


def _widened(body: LexborNode, scores: dict[int, float], root: LexborNode) -> LexborNode:
    """The body's parent when what the parent adds is its own paragraphs of prose (TRS_Editor
    holding an introduction <p>, then a <div> with the rest), up to three levels."""
    for _ in range(3):
        parent = body.parent
        if parent is None or parent.mem_id == root.mem_id:
            break
        own = scores.get(parent.mem_id, 0)
        added = len(remove_spaces(parent.text(deep=True))) - len(remove_spaces(body.text(deep=True)))
        if own < 20 or own < 0.7 * added:
            break
        body = parent
    return body


def prose_length(text: str) -> int:
    """Characters of prose: furniture lines and bare dates (list-box dates) count nothing."""
    line = collapse(text)
    if not line:
        return 0
    if len(line) > 200:  # furniture is short; a long line is prose
        return len(line) - line.count(" ")
    if is_furniture(line):
        return 0
    return len(remove_spaces(DATE_RE.sub("", line)))


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
        if clean.is_chrome_line(line) or (clean.is_meta_line(line) and not body):
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
    last_prose = max((i for i, line in enumerate(body) if _is_prose(line)), default=-1)
    for i in range(1, len(body)):
        if i > last_prose and _opens_tail(body[i]):
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
