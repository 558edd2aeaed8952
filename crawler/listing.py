"""List page -> the section's own items (title, url, date), nothing else.

Nav bars, sidebars, "热点" boxes and pagers are lists of links too. The items
are the group of links that repeat in one container, carry dates, have real
titles and do not sit in a container whose class or heading says nav / hot /
footer. A site profile can name the item selector instead.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.clean import collapse, remove_spaces
from crawler.dates import DATE_RE, parse_date
from crawler.dom import parse, strip_invisible
from crawler.errors import MarkupTooDeep
from crawler.fetch import same_site
from crawler.models import Listing, ListingEntry, Page
from crawler.paging import PAGER_TEXTS, find_pages
from domain.trouble import Problem, ProblemKind

ROW_TAGS = ("li", "tr", "dd", "dt")
ELLIPSIS = ("…", "...", "..", "⋯")
_BULLET = re.compile(r"^[·•■□◆◇●○▪▶►>\-\s]+")
_NEGATIVE = re.compile(
    r"nav|menu|head|foot|side|hot|rank|crumb|friend|link|banner|top|share|tool|related|xgwz|recommend|rdph|rmwz",
    re.I,
)
_POSITIVE = re.compile(r"list|news|article|content|main|con\b|lb|xxgk|wz|zw", re.I)
_NEGATIVE_HEADINGS = re.compile(r"热点|热门|排行|推荐|相关|友情|链接|图片|专题|最新动态")
_SCRIPT_LISTS = (
    "x-handlebars-template",
    "loadPageData",
    "listData",
    "articleList",
    "$.ajax",
    "$.get(",
    "$.post(",
    "XMLHttpRequest",
    "fetch(",
    "jpage",
)
MIN_TITLE_CHARS = 4


@dataclass
class _Group:
    rows: dict[int, tuple[LexborNode, LexborNode]] = field(default_factory=dict)  # row id -> (row, anchor)
    container: LexborNode | None = None


def parse_listing(page: Page, item_selector: str | None = None, prefer: str | None = None) -> Listing:
    """Items, further pages and problems of one list page. ``prefer`` is the container
    path of the list on an earlier page of the same list (see ``Listing.container``)."""
    try:
        tree = parse(page.text)
    except MarkupTooDeep as exc:
        return Listing(page.final_url, (), problems=(Problem(str(exc), ProblemKind.TOO_DEEP),))
    pager = find_pages(tree, page.text, page.final_url)
    strip_invisible(tree, page.text)
    pager_pages = set(pager.next_pages)
    if item_selector:
        anchors = _selected_anchors(tree, item_selector)
        items = _entries([(a.parent or a, a) for a in anchors], page.final_url, pager_pages)
        container = None
    else:
        items, container = _heuristic_items(tree, page.final_url, pager_pages, prefer)
    problems = []
    if not items:
        if any(marker in page.text for marker in _SCRIPT_LISTS) or _commented_list(page.text):
            problems.append(Problem("items loaded by script: the page has no item markup", ProblemKind.ITEMS_BY_SCRIPT))
        else:
            problems.append(Problem("no items found on the list page", ProblemKind.NO_ITEMS))
    elif all(i.date is None for i in items):
        problems.append(Problem("no dates found next to the items", ProblemKind.NO_ITEM_DATES))
    here = _host(page.final_url)
    next_pages = tuple(p for p in pager.next_pages if same_site(_host(p), here))
    return Listing(page.final_url, tuple(items), next_pages, pager.total_pages, tuple(problems), container)


def _commented_list(html: str) -> bool:
    """Items kept inside an HTML comment (a template's sample rows) while a script draws the
    list the browser shows."""
    return any(
        len(_LINK.findall(comment)) >= 3 and len(DATE_RE.findall(comment)) >= 3 for comment in _COMMENT.findall(html)
    )


_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_LINK = re.compile(r"<a\s[^>]*href", re.I)


@functools.lru_cache(maxsize=8192)
def _host(url: str) -> str:
    """A URL's host; cached: every page of a long list names the same pages again."""
    return urlsplit(url).hostname or ""


def _selected_anchors(tree: LexborHTMLParser, selector: str) -> list[LexborNode]:
    anchors = []
    for node in tree.css(selector):
        anchors.append(node if node.tag == "a" else node.css_first("a[href]"))
    return [a for a in anchors if a is not None]


def _heuristic_items(
    tree: LexborHTMLParser, base: str, pager_pages: set[str], prefer: str | None
) -> tuple[list[ListingEntry], str | None]:
    body = tree.body
    if body is None:
        return [], None
    same_tag_counts: dict[int, dict[str, int]] = {}
    groups: dict[tuple, _Group] = {}
    for a in body.css("a[href]"):
        href = (a.attributes.get("href") or "").strip()
        if not href or href.lower().startswith(("javascript", "#", "mailto:")):
            continue
        title = anchor_title(a)
        if len(title) < MIN_TITLE_CHARS or remove_spaces(title).lower() in PAGER_TEXTS:
            continue
        row = _row_of(a, same_tag_counts)
        container = row.parent or row
        grand = container.parent
        key = (grand.mem_id if grand is not None else 0, container.tag, _classes(container), row.tag)
        group = groups.setdefault(key, _Group(container=container))
        previous = group.rows.get(row.mem_id)  # a row's first link is its title, unless a later one
        if previous is None or 2 * len(anchor_title(previous[1])) < len(title):  # says far more
            group.rows[row.mem_id] = (row, a)
    best, best_score = None, 0.0
    for group in groups.values():
        score = _score(group)
        if score > 0 and prefer and group.container is not None and container_path(group.container) == prefer:
            best, best_score = group, float("inf")  # the same list as on the earlier page
        if score > best_score:
            best, best_score = group, score
    if best is None or best.container is None:
        return [], None
    return _entries(list(best.rows.values()), base, pager_pages), container_path(best.container)


def _row_of(a: LexborNode, counts: dict[int, dict[str, int]]) -> LexborNode:
    """The element that is one item of the list: the nearest li/tr/dd, else the nearest
    ancestor-or-self that repeats among its siblings."""
    node: LexborNode | None = a
    for _ in range(6):
        if node is None:
            break
        if node.tag in ROW_TAGS:
            return node
        node = node.parent
    node = a
    for _ in range(5):
        parent = node.parent
        if parent is None or parent.tag in ("body", "html"):
            break
        tags = counts.get(parent.mem_id)
        if tags is None:
            tags, hrefs = {}, set()
            for child in parent.iter(include_text=False):
                tags[child.tag] = tags.get(child.tag, 0) + 1
                if child.tag == "a":
                    hrefs.add(child.attributes.get("href"))
            tags["a"] = len(hrefs)  # a title link and its source link to one report are one item
            counts[parent.mem_id] = tags
        if tags.get(node.tag, 0) >= 2:
            return node
        node = parent
    return a


def _classes(node: LexborNode) -> str:
    return re.sub(r"\d+", "", node.attributes.get("class") or "")


def _context_words(node: LexborNode | None, levels: int = 6) -> str:
    """class and id of the node and its ancestors: where it sits on the page."""
    words = []
    for _ in range(levels):
        if node is None or node.tag in ("body", "html"):
            break
        words.append(f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}")
        node = node.parent
    return " ".join(words)


def _box_headings(container: LexborNode) -> str:
    """Texts that title the box the list sits in, e.g. 热点文章: the element just before
    the list (up to 3 levels up), or a first row without links inside it."""
    found = []
    first = container.child
    while first is not None and first.tag in ("-text", "_comment"):
        first = first.next
    if first is not None and first.css_first("a") is None:
        found.append(collapse(first.text(deep=True))[:20])
    node: LexborNode | None = container
    for _ in range(3):
        if node is None:
            break
        prev = node.prev
        while prev is not None and prev.tag in ("-text", "_comment") and not (prev.text_content or "").strip():
            prev = prev.prev
        if prev is not None:
            found.append(collapse(prev.text(deep=True))[:20])
            break
        node = node.parent
    return " ".join(found)


def container_path(node: LexborNode) -> str:
    """Where an element sits: tag and position among same-tag siblings, from the root.
    List pages of one site share it, so page 1's list container finds page N's."""
    parts = []
    current: LexborNode | None = node
    while current is not None and current.tag not in ("html", "-document"):
        index, sibling = 0, current.prev
        while sibling is not None:
            if sibling.tag == current.tag:
                index += 1
            sibling = sibling.prev
        parts.append(f"{current.tag}[{index}]")
        current = current.parent
    return ">".join(reversed(parts))


def _score(group: _Group) -> float:
    rows = list(group.rows.values())
    n = len(rows)
    dated = sum(1 for row, a in rows if _row_date(row, a))
    avg_len = sum(len(anchor_title(a)) for _, a in rows) / n
    if dated == 0 and (n < 3 or avg_len < 8):
        return 0.0
    score = (n + 2 * dated) * min(avg_len, 30) / 30
    context = _context_words(group.container)
    if _NEGATIVE.search(context):
        score *= 0.3
    elif _POSITIVE.search(context):
        score *= 1.5
    if _NEGATIVE_HEADINGS.search(_box_headings(group.container)):
        score *= 0.3
    if dated == 0:
        score *= 0.3
    return score


def anchor_title(a: LexborNode) -> str:
    """A link's title: its text without a date span inside it, the full ``title=`` when
    the text is cut short with an ellipsis."""
    parts = []
    for child in a.iter(include_text=True):
        text = child.text_content if child.tag == "-text" else child.text(deep=True)
        if child.tag != "-text" and DATE_RE.fullmatch(collapse(text).strip("[]【】()（） ")):
            continue
        parts.append(text or "")
    visible = _BULLET.sub("", collapse("".join(parts)))
    full = collapse(a.attributes.get("title") or "")
    if full and (not visible or _is_cut(visible, full) or _has_tag_before(visible, full)):
        return full
    return visible


def _has_tag_before(visible: str, full: str) -> bool:
    """A type tag shown before the title inside the link ("政务信息 棉花种植…" titled "棉花种植…")."""
    shown, title = remove_spaces(visible), remove_spaces(full)
    return shown.endswith(title) and 0 < len(shown) - len(title) <= 8


def _is_cut(visible: str, full: str) -> bool:
    stem = visible
    for mark in ELLIPSIS:
        stem = stem.removesuffix(mark)
    return stem != visible and remove_spaces(full).startswith(remove_spaces(stem)) and len(full) > len(stem)


def _row_date(row: LexborNode, a: LexborNode) -> str | None:
    """The row's date outside the title (the title itself may name a date)."""
    row_text = collapse(row.text(deep=True, separator=" "))
    title = anchor_title(a)
    outside = row_text.replace(title, " ") if title else row_text
    return parse_date(outside) or (parse_date(row_text) if DATE_RE.search(title) is None else None)


def _entries(rows: list[tuple[LexborNode, LexborNode]], base: str, pager_pages: set[str]) -> list[ListingEntry]:
    entries: dict[str, ListingEntry] = {}
    for row, a in rows:
        url = urljoin(base, (a.attributes.get("href") or "").strip()).split("#", 1)[0]
        if url in pager_pages or url == base or urlsplit(url).scheme not in ("http", "https"):
            continue  # an item may live on another site (a city's list of its counties' reports)
        if url not in entries:
            entries[url] = ListingEntry(anchor_title(a), url, _row_date(row, a))
    return list(entries.values())
