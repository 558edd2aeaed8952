"""The page as a reader sees it, from one walk of the tree.

Its lines (one per block element or <br>, as a browser lays them out), the block element
that holds each line directly, how much of each line is link text, and where each block's
lines start and end. The body is chosen on this (crawler/body.py) and the fields are read
off the lines, so the tree is walked once, in one loop of plain Python over its nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborNode

from crawler.clean import collapse
from crawler.dom import BLOCK_TAGS


@dataclass
class Block:
    """A block element and the range of lines inside it."""

    node: LexborNode
    tag: str
    parent: int  # index of the enclosing block in Layout.blocks (-1 for the root)
    start: int  # index of its first line
    end: int = -1  # one past its last line
    leaf: bool = True  # no block element inside: a paragraph


@dataclass
class Layout:
    lines: list[str]
    owners: list[int]  # per line: the block that holds it directly
    link_chars: list[int]  # per line: non-space characters of link text in it
    blocks: list[Block]

    def split(self, block: int) -> tuple[list[str], list[str], list[str]]:
        """The lines before, inside and after a block."""
        b = self.blocks[block]
        return self.lines[: b.start], self.lines[b.start : b.end], self.lines[b.end :]


_END_LINK = object()  # stack marker: a link ends here


def read_layout(root: LexborNode) -> Layout:
    """Lines, owners, link text and block ranges of the element ``root`` (iterative: real
    pages nest tables deeper than recursion likes)."""
    lines: list[str] = []
    owners: list[int] = []
    link_chars: list[int] = []
    blocks = [Block(root, root.tag or "", -1, 0, leaf=False)]
    parts: list[str] = []
    in_link = linked = 0
    current = 0

    def flush() -> None:
        nonlocal linked
        line = collapse("".join(parts))
        if line:
            lines.append(line)
            owners.append(current)
            link_chars.append(linked)
        parts.clear()
        linked = 0

    stack: list = [root.iter(include_text=True)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            if stack:
                top = stack[-1]
                if top.__class__ is int:  # a block ends
                    stack.pop()
                    if parts:
                        flush()
                    blocks[top].end = len(lines)
                    current = blocks[top].parent
                elif top is _END_LINK:
                    stack.pop()
                    in_link -= 1
            continue
        tag = child.tag
        if tag == "-text":
            text = child.text_content
            if text and (parts or not text.isspace()):  # leading space of a line is no text
                parts.append(text)
                if in_link:
                    linked += len("".join(text.split()))
        elif tag == "br":
            if parts:
                flush()
        elif tag in BLOCK_TAGS:
            if parts:
                flush()
            blocks[current].leaf = False
            blocks.append(Block(child, tag, current, len(lines)))
            current = len(blocks) - 1
            stack.append(current)
            stack.append(child.iter(include_text=True))
        elif tag == "a":
            in_link += 1
            stack.append(_END_LINK)
            stack.append(child.iter(include_text=True))
        elif tag and tag[0] not in "_!-":
            stack.append(child.iter(include_text=True))
    if parts:
        flush()
    blocks[0].end = len(lines)
    return Layout(lines, owners, link_chars, blocks)
