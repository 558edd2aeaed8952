"""Report page -> Report fields, on markup never seen before.

The page is read three ways: its ``<head>`` (``<title>``, meta tags), the body
container (the element that directly holds the most paragraph text, chrome
excluded) and the page as lines of text, split into what comes before, inside
and after the body. Labels (发布时间, 来源, 供稿 …) are searched outside the body
first, so a date or "来源" inside the prose never wins. A site profile's
selectors override any of these guesses.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler import clean
from crawler.attachments import attachments as find_attachments
from crawler.clean import collapse, remove_spaces, squeeze_cjk
from crawler.dates import DATE_RE, parse_date
from crawler.dom import (
    HEADINGS,
    MARK_END,
    MARK_START,
    lines_of,
    parse,
    strip_invisible,
    text_of,
    with_block_inside,
    with_link_inside,
)
from crawler.errors import MarkupTooDeep
from crawler.models import CREDIT_KEYS, MIN_BODY_CHARS, Page, Report
from crawler.profile import Selectors
from domain.report import FIELDS
from domain.trouble import Problem, ProblemKind

# Bumped with every change of what the extractor returns for a page. A version stored by an
# older extractor that reads differently now is stored again silently (jobs/reading.py):
# better extraction is not news. Releases up to 0.4.0 stored extractor 1.
EXTRACTOR_VERSION = 1

_C = r"\s*[:：]\s*"
STRONG_DATE_LABEL = re.compile(
    r"(发布时间|发布日期|发文日期|发表时间|公开日期|上网时间|发稿时间|发布于)" + r"\s*[:：]?\s*[\[【(（]?\s*$"
)
WEAK_DATE_LABEL = re.compile(r"(?<![\u4e00-\u9fff])(时间|日期)\s*[:：]\s*[\[【(（]?\s*$")
UPDATE_DATE_LABEL = re.compile(r"(更新时间|更新日期|修改时间)\s*[:：]\s*[\[【(（]?\s*$")
SOURCE_LABEL = re.compile(r"(?<![\u4e00-\u9fff])(信息来源|文章来源|稿件来源|来源单位|来源|发布机构|发布单位)" + _C)
# Where a source value ends: the next label on the line.
_VALUE_END = re.compile(
    r"\s{2,}|\s*[|｜【\[]|\s*(发布时间|发布日期|时间|日期|作者|浏览|点击|阅读|字号|字体|编辑|责任编辑|打印|关闭|分享)\s*[:：]?"
)
CREDIT_LABELS = {"供稿": "contributor", "责任编辑": "editor", "编辑": "editor", "审核": "reviewer", "终审": "approver"}
_CREDIT = re.compile(r"(?<![\u4e00-\u9fff])(供稿|责任编辑|编辑|审核|终审)\s*[:：]")
_EMPTY_VALUES = {"", "无", "暂无", "-", "--", "未知", "null", "none"}
_TITLE_SPLIT = re.compile(r"\s*(?:__|_|\||｜| - | – | — |--)\s*")
_PARAGRAPH_TAGS = "p, div, td, li, section, article, blockquote, pre, center, font, span, dd, h4, h5, h6, strong"
_META_DATE_NAMES = ("pubdate", "publishdate", "articlepubdate", "publish_date", "article:published_time", "dc.date")
_META_TITLE_NAMES = ("articletitle", "og:title", "dc.title")
_META_SOURCE_NAMES = ("contentsource", "source", "articlesource")


def extract_report(page: Page, selectors: Selectors | None = None) -> Report:
    """Every field of the report on this page, with problems found on the way."""
    sel = selectors or Selectors()
    try:
        tree = parse(page.text)
    except MarkupTooDeep as exc:
        return Report.unusable(page.final_url, Problem(str(exc), ProblemKind.TOO_DEEP))
    meta = _meta_tags(tree)
    title_tag = text_of(tree.css_first("title"))
    strip_invisible(tree)
    for selector in sel.remove:
        for node in tree.css(selector):
            node.decompose()
    root = tree.body
    if root is None:
        return Report.unusable(page.final_url, Problem("no body: the page has no <body>", ProblemKind.NO_BODY))

    body_node = _select(tree, sel.body) or find_body(root)
    doc = lines_of(root, body_node)
    before, inside, after = _split(doc)
    outside = before + after

    title = _title(tree, sel, meta, title_tag, before, inside)
    text_lines = clean_body_lines(inside, title)
    published = _published(tree, sel, meta, before, after, title)
    source = _source(tree, sel, meta, outside + inside[-5:])
    credits = _credits(inside + after)
    attachments = find_attachments(tree, sel, body_node, page.final_url, "附件" in page.text)

    text = "\n".join(text_lines)
    problems = []
    if not title:
        problems.append(Problem("no title found", ProblemKind.NO_TITLE))
    if not published:
        problems.append(Problem("no date found", ProblemKind.NO_DATE))
    if not text:
        problems.append(Problem("no body: no report text on the page", ProblemKind.NO_BODY))
    elif len(text) < MIN_BODY_CHARS:
        problems.append(Problem(f"body under {MIN_BODY_CHARS} characters ({len(text)})", ProblemKind.SHORT_BODY))
    return Report(
        url=page.final_url,
        title=title,
        published=published,
        source=source,
        text=text,
        attachments=tuple(attachments),
        credits=credits,
        problems=tuple(problems),
        extra={f.name: f.extract(page, tree) for f in FIELDS if f.extract is not None},
    )


# -- the body container ------------------------------------------------------------------------------
def find_body(root: LexborNode) -> LexborNode | None:
    """The element that directly holds the most paragraph text.

    Each paragraph-like leaf (no block inside) credits its text, links and chrome
    lines excluded, to its parent; text nodes count for the element they sit in.
    The winner is the element whose own paragraphs carry the most text, which is
    the article body rather than the page wrapper around it.
    """
    scores: dict[int, float] = {}
    nodes: dict[int, LexborNode] = {}
    lengths: dict[str, int] = {}  # the same text is measured as a node's own and its parent's

    def prose(text: str) -> int:
        if text not in lengths:
            lengths[text] = _prose_length(text)
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
            length -= _link_length(node)
        if length > 0:
            scores[parent.mem_id] = scores.get(parent.mem_id, 0) + length
            nodes[parent.mem_id] = parent
    if not scores:
        return None
    best = max(scores, key=lambda k: scores[k])  # first maximum: outer element on a tie
    return nodes[best] if scores[best] >= 10 else None


def _prose_length(text: str) -> int:
    """Characters of prose: furniture lines and bare dates (list-box dates) count nothing."""
    line = collapse(text)
    if not line:
        return 0
    if len(line) > 200:  # furniture is short; a long line is prose
        return len(line) - line.count(" ")
    if _is_furniture(line):
        return 0
    return len(remove_spaces(DATE_RE.sub("", line)))


def _link_length(node: LexborNode) -> int:
    return sum(len(remove_spaces(a.text(deep=True))) for a in node.css("a"))


def _is_furniture(line: str) -> bool:
    return clean.might_be_furniture(line) and (
        clean.is_chrome_line(line)
        or clean.is_meta_line(line)
        or clean.is_footer_line(line)
        or clean.is_credit_line(line)
        or bool(clean.ATTACHMENTS.match(line) and len(line) < 40)
    )


def _split(doc: list[str]) -> tuple[list[str], list[str], list[str]]:
    if MARK_START not in doc:
        return doc, [], []
    start, end = doc.index(MARK_START), doc.index(MARK_END)
    return doc[:start], doc[start + 1 : end], doc[end + 1 :]


def clean_body_lines(lines: list[str], title: str | None) -> list[str]:
    """The report's own paragraphs: chrome before and after the prose cut away.

    Leading breadcrumb/title/meta lines go; the text ends at the first credits,
    相关附件, prev/next or footer line; print/close links and counters go wherever
    they are. A title repeated *inside* the prose (its heading block) stays.
    """
    lines = [line for line in lines if line]
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
    body: list[str] = []
    for line in lines[start:]:
        if body and (
            clean.is_credit_line(line)
            or (clean.ATTACHMENTS.match(line) and len(line) < 60)
            or clean.PREV_NEXT.match(line)
            or clean.is_footer_line(line)
        ):
            break
        if clean.is_chrome_line(line) or (clean.is_meta_line(line) and not body):
            continue
        body.append(line)
    while body and (clean.is_chrome_line(body[-1]) or clean.is_meta_line(body[-1])):
        body.pop()
    return body


# -- title --------------------------------------------------------------------------------------------
def _title(
    tree: LexborHTMLParser, sel: Selectors, meta: dict[str, str], title_tag: str, before: list[str], inside: list[str]
) -> str | None:
    if sel.title:
        return squeeze_cjk(text_of(tree.css_first(sel.title))) or None
    meta_title = next((meta[n] for n in _META_TITLE_NAMES if meta.get(n)), "")
    segments = [s for s in _TITLE_SPLIT.split(title_tag) if len(remove_spaces(s)) >= 4]
    wanted = {remove_spaces(s) for s in [*segments, title_tag, meta_title] if s}
    meta_index = _first_meta_line(before)
    matched = _lines_matching(before + inside[:12], wanted)
    if matched and _near_meta(matched, before, meta_index):
        return matched
    if meta_title:
        return squeeze_cjk(meta_title)
    if meta_index is not None:
        for line in reversed(before[:meta_index]):
            if clean.is_chrome_line(line) or clean.BREADCRUMB.match(line):
                continue
            if len(line) >= 5 and not clean.is_meta_line(line):
                return squeeze_cjk(line)
            break
    for tag in HEADINGS[:3]:
        for node in tree.css(tag):
            text = text_of(node)
            if len(text) >= 5 and node.css_first("a") is None:
                return squeeze_cjk(text)
    if matched:
        return matched
    return squeeze_cjk(max(segments, key=len)) if segments else None


def _lines_matching(lines: list[str], wanted: set[str]) -> str | None:
    """The page's own text that says exactly the <title> (or one part of it): one line, or a
    heading broken over up to four lines, which comes back joined.

    The page's heading keeps its characters where <title> may add U+3000 or a site suffix."""
    best = None
    longest = max((len(w) for w in wanted), default=0)
    keys = [remove_spaces(line) for line in lines]
    for i in range(len(lines)):
        joined = ""
        for j in range(i, min(i + 4, len(lines))):
            joined += keys[j]
            if len(joined) > longest:
                break
            if joined in wanted and len(joined) >= 4 and (best is None or len(joined) > len(remove_spaces(best))):
                best = squeeze_cjk(" ".join(lines[i : j + 1]))
    return best


def _near_meta(title: str, before: list[str], meta_index: int | None) -> bool:
    """A heading that matches <title> but sits far above the meta line is a site name."""
    if meta_index is None:
        return True
    key = remove_spaces(title)
    for i in range(meta_index - 1, max(-1, meta_index - 6), -1):
        if key in remove_spaces(before[i]):
            return True
    return not any(remove_spaces(line) == key for line in before[: max(0, meta_index - 5)])


def _first_meta_line(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if clean.is_meta_line(line) and (parse_date(line) or SOURCE_LABEL.search(line)):
            return i
    return None


# -- date ---------------------------------------------------------------------------------------------
def _published(
    tree: LexborHTMLParser, sel: Selectors, meta: dict[str, str], before: list[str], after: list[str], title: str | None
) -> str | None:
    if sel.published:
        return parse_date(text_of(tree.css_first(sel.published)))
    outside = before + after
    for label in (STRONG_DATE_LABEL, WEAK_DATE_LABEL, UPDATE_DATE_LABEL):
        for line in outside:
            found = _labelled_date(line, label)
            if found:
                return found
    for name in _META_DATE_NAMES:
        found = parse_date(meta.get(name, ""))
        if found:
            return found
    return _bare_date_near_title(before, title)


def _labelled_date(line: str, label: re.Pattern[str]) -> str | None:
    if clean.TODAY.search(line):
        line = clean.TODAY.sub(" ", line)
    for m in DATE_RE.finditer(line):
        if label.search(line[: m.start()][-16:]):
            return parse_date(m.group(0))
    return None


def _bare_date_near_title(before: list[str], title: str | None) -> str | None:
    """A date standing alone under the title: "2022-12-02" or "[2022-12-02 10:30]"."""
    key = remove_spaces(title or "")
    start = 0
    if key:
        for i, line in enumerate(before):
            if remove_spaces(line) == key:
                start = i + 1
    for line in before[start : start + 4]:
        if clean.TODAY.search(line) or len(line) > 60:
            continue
        found = parse_date(line)
        if found:
            return found
    return None


# -- source -------------------------------------------------------------------------------------------
def _source(tree: LexborHTMLParser, sel: Selectors, meta: dict[str, str], lines: list[str]) -> str | None:
    if sel.source:
        node = tree.css_first(sel.source)
        if node is None:
            return None
        text = text_of(node)
        m = SOURCE_LABEL.search(text)
        return _clean_value(text[m.end() :] if m else text)
    for line in lines:
        if len(line) > 150:
            continue
        m = SOURCE_LABEL.search(line)
        if m:
            return _clean_value(line[m.end() :])
    for name in _META_SOURCE_NAMES:
        if meta.get(name):
            return _clean_value(meta[name])
    return None


def _clean_value(text: str) -> str | None:
    end = _VALUE_END.search(text)
    value = (text[: end.start()] if end else text).strip(" ：:（）()【】[]")
    value = collapse(value)
    return None if value.lower() in _EMPTY_VALUES else value


# -- credits ------------------------------------------------------------------------------------------
def _credits(lines: list[str]) -> dict[str, str]:
    """供稿 / 编辑 / 审核 / 终审 as shown, all whitespace removed ("鲁    超" -> "鲁超")."""
    found: dict[str, str] = {}
    for line in lines:
        if len(line) > 150:
            continue
        labels = list(_CREDIT.finditer(line))
        if not labels or (not clean.CREDIT_LABEL.match(line) and labels[0].start() > 2):
            continue
        for i, m in enumerate(labels):
            end = labels[i + 1].start() if i + 1 < len(labels) else len(line)
            value = remove_spaces(line[m.end() : end]).strip("（）()【】[]|｜")
            key = CREDIT_LABELS[m.group(1)]
            if value and key not in found:
                found[key] = value
    return {k: found[k] for k in CREDIT_KEYS if k in found}


# -- helpers ------------------------------------------------------------------------------------------
def _select(tree: LexborHTMLParser, selector: str | None) -> LexborNode | None:
    return tree.css_first(selector) if selector else None


def _meta_tags(tree: LexborHTMLParser) -> dict[str, str]:
    found = {}
    for node in tree.css("meta[content]"):
        name = (node.attributes.get("name") or node.attributes.get("property") or "").strip().lower()
        if name and name not in found:
            found[name] = collapse(node.attributes.get("content") or "")
    return found
