"""List page -> the further list pages it points to.

A small registry of strategies, one per pagination style seen on government
sites; every strategy that recognises its style contributes pages, and the
walker de-duplicates. To support a new style, write a function and add it to
``STRATEGIES``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.clean import collapse, remove_spaces


@dataclass(frozen=True)
class PagerInfo:
    next_pages: tuple[str, ...] = ()
    total_pages: int | None = None


Strategy = Callable[[LexborHTMLParser, str, str], PagerInfo | None]
NEXT_TEXTS = {"下一页", "下页", "下一頁", "后一页", "next", ">", "›", "»", ">>"}
LAST_TEXTS = {"尾页", "末页", "最后一页", "尾頁", "last"}
PAGER_TEXTS = NEXT_TEXTS | LAST_TEXTS | {"首页", "上一页", "上页", "前一页", "第一页", "<", "«", "<<", "‹"}
_TOTAL = re.compile(r"共\s*(\d{1,5})\s*页|页次\s*[:：]?\s*\d+\s*/\s*(\d{1,5})|第\s*\d+\s*/\s*(\d{1,5})\s*页")
_CREATE_PAGE = re.compile(r"createPageHTML\(([^)]*)\)")
_COUNT_PAGE = re.compile(r"\b(?:countPage|totalPage|pageCount|totalPages)\s*=\s*(\d+)", re.I)
# A number standing alone in a pager: not "共3页", "第2页", "23条" or "1/3".
_PAGER_NUMBER = re.compile(r"(?<![\d共第/])(?<![共第/] )(\d+)(?!\d)(?! ?[条页/])")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_CURRENT_PAGE = re.compile(r"\b(?:currentPage|curPage|pageIndex)\s*=\s*(\d+)", re.I)


def _usable_href(href: str | None) -> bool:
    return bool(href) and not href.strip().lower().startswith(("javascript", "#", "mailto:"))


def _anchors(tree: LexborHTMLParser) -> list[tuple[str, str]]:
    """(visible text without spaces, href) of every usable link."""
    out = []
    for a in tree.css("a[href]"):
        href = a.attributes.get("href")
        if _usable_href(href):
            out.append((remove_spaces(a.text(deep=True)), href.strip()))
    return out


def next_link(tree: LexborHTMLParser, html: str, url: str) -> PagerInfo | None:
    """ "下一页" (and 尾页, for the total when the URL carries a page number)."""
    pages = [urljoin(url, href) for text, href in _anchors(tree) if text.lower() in NEXT_TEXTS]
    return PagerInfo(tuple(pages)) if pages else None


def numbered_links(tree: LexborHTMLParser, html: str, url: str) -> PagerInfo | None:
    """Links whose text is a page number, "1 2 3 …": the pages after the current one.

    The current page is the number in the pager that is not a link; when it cannot be
    told, every numbered page is returned (the walker skips pages it has seen).
    """
    numbered = []
    for a in tree.css("a[href]"):
        text, href = remove_spaces(a.text(deep=True)), a.attributes.get("href")
        if text.isdigit() and len(text) < 5 and _usable_href(href):
            numbered.append((int(text), urljoin(url, href.strip()), a))
    if not numbered or all(1900 <= n <= 2100 for n, _, _ in numbered):
        return None  # none, or years (a 2008 2009 … archive menu), not page numbers
    current = _current_in_pager(numbered[0][2])
    pages = [u for n, u, _ in sorted(numbered, key=lambda t: t[0]) if current is None or n > current]
    return PagerInfo(tuple(dict.fromkeys(pages)))


def _current_in_pager(anchor: LexborNode) -> int | None:
    """The bare number (not a link) next to the numbered links, e.g. "1 <a>2</a> <a>3</a>"."""
    pager = anchor.parent
    for _ in range(3):
        if pager is None:
            return None
        text = collapse(pager.text(deep=True, separator=" "))
        links = {remove_spaces(a.text(deep=True)) for a in pager.css("a")}
        bare = [t for t in _PAGER_NUMBER.findall(text) if t not in links and len(t) < 5]
        if bare and len(text) < 300:
            return int(bare[0])
        pager = pager.parent
    return None


def script_pager(tree: LexborHTMLParser, html: str, url: str) -> PagerInfo | None:
    """A pager whose links all run a script (``href="javascript:;"``, a search page): no URL to
    follow, but its highest page number is the total."""
    for nxt in tree.css("a[href]"):
        if remove_spaces(nxt.text(deep=True)) not in NEXT_TEXTS or _usable_href(nxt.attributes.get("href")):
            continue
        pager = nxt.parent
        if pager is None:
            continue
        numbers = [int(t) for t in (remove_spaces(a.text(deep=True)) for a in pager.css("a")) if t.isdigit()]
        if len(numbers) >= 2 and max(numbers) < 100_000:
            return PagerInfo((), max(numbers))
    return None


def total_text(tree: LexborHTMLParser, html: str, url: str) -> PagerInfo | None:
    """ "共3页" / "页次：1/3" give the page count, not URLs."""
    text = collapse(tree.body.text(deep=True)) if tree.body else ""
    m = _TOTAL.search(text)
    if not m:
        return None
    total = int(next(g for g in m.groups() if g))
    return PagerInfo((), total) if 0 < total < 100_000 else None


def trs_create_page_html(tree: LexborHTMLParser, html: str, url: str) -> PagerInfo | None:
    """TRS WCM: ``createPageHTML(total, current, "index", "html")`` draws the pager in
    the browser; pages are index.html, index_1.html, ... (current is 0-based)."""
    for m in _CREATE_PAGE.finditer(html):
        args = [a.strip().strip("\"'") for a in m.group(1).split(",")]
        numbers = [int(a) for a in args if a.isdigit()]
        names = [a for a in args if a and not a.isdigit()]
        if len(numbers) < 2 or len(names) < 2:
            continue
        # Newer templates put a div id first: createPageHTML('page_div', 3, 0, 'index', 'html', 60).
        if len(names) >= 3:
            names = names[1:]
        total, current = numbers[0], numbers[1]
        name, ext = names[0], names[1]
        if "/" in name or "?" in name or "#" in name:
            pages = tuple(urljoin(url, _trs_page(name, ext, i)) for i in range(current + 1, total))
        else:  # one join for the folder: a list of 1,000 pages names 1,000 pages on each of them
            folder = urljoin(url, _trs_page(name, ext, 0)).rsplit("/", 1)[0] + "/"
            pages = tuple(folder + _trs_page(name, ext, i) for i in range(current + 1, total))
        return PagerInfo(pages, total)
    return None


def trs_count_page(tree: LexborHTMLParser, html: str, url: str) -> PagerInfo | None:
    """Older TRS templates: ``var currentPage = 0; var countPage = 2`` then document.write."""
    count = _COUNT_PAGE.search(html)
    if not count or "document.write" not in html:
        return None
    total = int(count.group(1))
    current_m = _CURRENT_PAGE.search(html)
    current = int(current_m.group(1)) if current_m else 0
    name, ext = _trs_name(url)
    pages = tuple(urljoin(url, _trs_page(name, ext, i)) for i in range(current + 1, total))
    return PagerInfo(pages, total)


STRATEGIES: dict[str, Strategy] = {
    "next-link": next_link,
    "numbered-links": numbered_links,
    "script-pager": script_pager,
    "total-text": total_text,
    "trs-createPageHTML": trs_create_page_html,
    "trs-countPage": trs_count_page,
}


def find_pages(tree: LexborHTMLParser, html: str, url: str) -> PagerInfo:
    """Every strategy's answer merged: pages in order of first mention, the largest total."""
    pages: dict[str, None] = {}
    totals = []
    current = url.split("#", 1)[0]
    live = _COMMENT.sub("", html) if "<!--" in html else html  # a pager call commented out is no pager
    for strategy in STRATEGIES.values():
        info = strategy(tree, live, url)
        if info is None:
            continue
        for page in info.next_pages:
            page = page.split("#", 1)[0]
            if page != current:
                pages.setdefault(page, None)
        if info.total_pages:
            totals.append(info.total_pages)
    return PagerInfo(tuple(pages), max(totals) if totals else None)


def _trs_page(name: str, ext: str, index: int) -> str:
    return f"{name}.{ext}" if index == 0 else f"{name}_{index}.{ext}"


def _trs_name(url: str) -> tuple[str, str]:
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    m = re.fullmatch(r"([A-Za-z]+)(?:_\d+)?\.(s?html?)", last)
    return (m.group(1), m.group(2)) if m else ("index", "html")
