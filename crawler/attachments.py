"""A report's attachments: the links under 相关附件 / 附件, and document links in the body.

Only http(s) links are kept: a file:, data: or javascript: link is never stored or sent.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler import clean
from crawler.clean import collapse
from crawler.models import Attachment
from crawler.profile import Selectors

DOC_EXTENSIONS = (
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".et", ".ppt", ".pptx", ".zip", ".rar", ".7z",
    ".ofd", ".txt", ".csv", ".tif",
)  # fmt: skip


def attachments(
    tree: LexborHTMLParser, sel: Selectors, body: LexborNode | None, base: str, labelled: bool = True
) -> list[Attachment]:
    """Links under 相关附件 / 附件 (looked for only when the page says 附件), and document
    links (pdf, doc, xls …) in the body."""
    links: list[LexborNode] = []
    if sel.attachments:
        links = [a for node in tree.css(sel.attachments) for a in ([node] if node.tag == "a" else node.css("a"))]
    else:
        label = _attachment_label(tree) if labelled else None
        if label is not None:
            links.extend(_links_after_label(label))
        if body is not None:
            links.extend(a for a in body.css("a[href]") if _is_document(a.attributes.get("href") or ""))
    found: dict[str, Attachment] = {}
    for a in links:
        href = (a.attributes.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        url = urljoin(base, href).split("#", 1)[0]
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            continue  # file:, data:, javascript:, mailto: ... never stored, never sent
        name = collapse(a.text(deep=True)) or collapse(a.attributes.get("title") or "")
        if not name and a.css_first("img") is None and not _is_document(href):
            continue  # nothing to click: an empty anchor a template left (…/undefined.undefined)
        name = name or urlsplit(url).path.rsplit("/", 1)[-1]
        found.setdefault(url, Attachment(name, url))
    return list(found.values())


def _is_document(href: str) -> bool:
    return urlsplit(href.strip()).path.lower().endswith(DOC_EXTENSIONS)


_FILE_HINTS = re.compile(r"download|upload|attach|fujian|file|fj|DownFile", re.I)


def _looks_like_file(a: LexborNode) -> bool:
    href = a.attributes.get("href") or ""
    name = collapse(a.text(deep=True)).lower()
    return _is_document(href) or name.endswith(DOC_EXTENSIONS) or bool(_FILE_HINTS.search(href))


def _attachment_label(tree: LexborHTMLParser) -> LexborNode | None:
    for node in tree.css(':lexbor-contains("附件")'):  # lexbor's own text search: only candidates
        own = collapse(node.text(deep=False))
        if own and clean.ATTACHMENTS.match(own) and len(own) < 20:
            return node
    return None


def _links_after_label(label: LexborNode) -> list[LexborNode]:
    """The label's own links, else document links in the siblings that follow it (up to
    2 levels up). Past the label's own element only links that look like files count:
    an empty 相关附件 is often followed by prev/next or related-article links."""
    own = label.css("a[href]")
    if own:
        return own
    node: LexborNode | None = label
    for _ in range(2):
        if node is None:
            break
        links: list[LexborNode] = []
        sibling = node.next
        while sibling is not None:
            if sibling.tag == "a":
                links.append(sibling)
            elif sibling.tag not in ("-text", "_comment"):
                links.extend(sibling.css("a[href]"))
            sibling = sibling.next
        links = [a for a in links if _looks_like_file(a)]
        if links:
            return links
        node = node.parent
    return []
