"""Small helpers over selectolax's lexbor tree: parse, drop what is not visible,
and read an element as the lines a browser would show.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.clean import collapse
from crawler.errors import MarkupTooDeep

INVISIBLE_TAGS = [
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "select", "button", "textarea", "input", "head",
]  # fmt: skip
BLOCK_TAGS = frozenset([
    "address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "dir", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
    "hr", "li", "main", "menu", "nav", "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "td",
    "th", "ul", "caption", "summary",
])  # fmt: skip
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_HIDDEN = (
    '[style*="display:none"], [style*="display: none"], [style*="DISPLAY: none"], [style*="display:NONE"],'
    ' [style*="visibility:hidden"], [style*="visibility: hidden"], [hidden]'
)


MAX_DEPTH = 4000  # real pages nest a few dozen levels; the parser's cost grows with the square of depth
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
# Elements that need no end tag (void, or closed by the next one): they do not nest in practice.
_NO_NESTING = frozenset([
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    "p", "li", "dt", "dd", "td", "th", "tr", "option", "optgroup", "tbody", "thead", "tfoot", "colgroup", "rt", "rp",
    "html", "head", "body",
])  # fmt: skip


def too_deep(html: str, limit: int = MAX_DEPTH) -> bool:
    """Whether the markup nests deeper than ``limit``: one linear scan of the tags, done only
    when the page has enough tags to get there. A page nested 200,000 levels deep would
    otherwise cost minutes of CPU in the parser."""
    if html.count("<") <= limit:
        return False
    depth = 0
    for closing, name, self_closing in _TAG.findall(html):
        if self_closing or name.lower() in _NO_NESTING:
            continue
        depth += -1 if closing else 1
        if depth > limit:
            return True
    return False


def parse(html: str) -> LexborHTMLParser:
    """The tree of a page; MarkupTooDeep for markup no page needs (see ``too_deep``)."""
    if too_deep(html):
        raise MarkupTooDeep(f"markup nested deeper than {MAX_DEPTH} levels")
    return LexborHTMLParser(html)


def strip_invisible(tree: LexborHTMLParser, html: str | None = None) -> None:
    """Remove scripts, styles, form controls and hidden elements: none of it is content.
    With the page's ``html``, the search for hidden elements is skipped when the page never
    says display, visibility or hidden (most pages): the selectors are the slow part."""
    tree.strip_tags(INVISIBLE_TAGS)
    if html is not None and not _may_hide(html):
        return
    for node in tree.css(_HIDDEN):
        node.decompose()


def _may_hide(html: str) -> bool:
    return any(word in html for word in ("display", "DISPLAY", "visibility", " hidden>", " hidden ", " hidden="))


def text_of(node: LexborNode | None) -> str:
    """Visible text of an element on one line, whitespace collapsed."""
    return collapse(node.text(deep=True, separator="", strip=False)) if node is not None else ""


MARK_START = "\x00start"
MARK_END = "\x00end"


def lines_of(node: LexborNode, mark: LexborNode | None = None) -> list[str]:
    """The element's text as a browser lays it out: one line per block element or <br>.

    With ``mark``, the lines of that descendant are framed by MARK_START / MARK_END,
    so a caller can tell what lies before, inside and after it. Iterative (a stack of
    child iterators), since real pages nest tables deeper than recursion likes.
    """
    mark_id = mark.mem_id if mark is not None else None
    mark_tag = mark.tag if mark is not None else None
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            line = collapse("".join(current))
            if line:
                lines.append(line)
            current.clear()

    stack: list = [node.iter(include_text=True)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            if stack and stack[-1] is _FLUSH:
                stack.pop()
                flush()
            elif stack and stack[-1] is _END_MARK:
                stack.pop()
                flush()
                lines.append(MARK_END)
            continue
        tag = child.tag
        if tag == "-text":
            current.append(child.text_content or "")
        elif tag == "br":
            flush()
        elif tag == mark_tag and child.mem_id == mark_id:
            flush()
            lines.append(MARK_START)
            stack.append(_END_MARK)
            stack.append(child.iter(include_text=True))
        elif tag in BLOCK_TAGS:
            flush()
            stack.append(_FLUSH)  # marker: flush when this element's iterator ends
            stack.append(child.iter(include_text=True))
        elif tag and not tag.startswith(("_", "!", "-")):
            stack.append(child.iter(include_text=True))
    flush()
    return lines


_FLUSH = object()  # stack marker: the block element below it ends a line
_END_MARK = object()  # stack marker: the marked element ends here


def with_block_inside(root: LexborNode) -> set[int]:
    """mem_ids of the elements that have a block element somewhere inside them."""
    return _ancestors_of(node for node in root.traverse(include_text=False) if node.tag in BLOCK_TAGS)


def with_link_inside(root: LexborNode) -> set[int]:
    """mem_ids of the elements that have a link somewhere inside them."""
    return _ancestors_of(root.css("a"))


def _ancestors_of(nodes: Iterable[LexborNode]) -> set[int]:
    """One pass: each node marks its ancestors, stopping at the first one already marked
    (whose own ancestors are marked too), so the cost is linear in the tree."""
    marked: set[int] = set()
    for node in nodes:
        parent = node.parent
        while parent is not None and parent.mem_id not in marked:
            marked.add(parent.mem_id)
            parent = parent.parent
    return marked
