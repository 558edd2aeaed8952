"""Report page -> Report fields, on markup never seen before.

The page is read three ways: its ``<head>`` (``<title>``, meta tags), the body
container (crawler/body.py) and the page as lines of text, split into what comes
before, inside and after the body. Labelled fields (发布时间, 来源, 编辑 …, read by
crawler/labels.py) are searched outside the body's prose, so a date or "来源" inside
the prose never wins; what the page shows wins over what its meta tags say. A site
profile's selectors override any of these guesses.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler import clean
from crawler.attachments import attachments as find_attachments
from crawler.body import clean_body_lines, find_body, head_lines
from crawler.clean import collapse, join_lines, remove_spaces
from crawler.dates import DATE_RE, parse_date
from crawler.dom import HEADINGS, MARK_END, MARK_START, lines_of, parse, strip_invisible, text_of
from crawler.errors import MarkupTooDeep
from crawler.labels import CREDITS, DATES, Meaning, clean_value, credit_value, fields_in
from crawler.layout import read_layout
from crawler.models import CREDIT_KEYS, MIN_BODY_CHARS, Page, Report
from crawler.profile import Selectors
from domain.report import FIELDS
from domain.trouble import Problem, ProblemKind

# Bumped with every change of what the extractor returns for a page. A version stored by an
# older extractor that reads differently now is stored again silently (jobs/reading.py):
# better extraction is not news. Releases up to 0.4.0 stored extractor 1.
EXTRACTOR_VERSION = 3
BEFORE_WINDOW, AFTER_WINDOW = 60, 100  # lines above and below the body where fields are looked for

# A date label written without a colon: 发布时间 2021-03-08.
_BARE_DATE_LABEL = re.compile(
    r"(发布时间|发布日期|发文日期|发表时间|公开日期|上网时间|发稿时间|发布于)\s*[\[【(（]?\s*$"
)
DATE_AT_START = re.compile(r"\s*[\[【(（]?\s*" + DATE_RE.pattern)
_TITLE_SPLIT = re.compile(r"\s*(?:__|_|\||｜| - | – | — |--)\s*")
_META_DATE_NAMES = ("pubdate", "publishdate", "articlepubdate", "publish_date", "article:published_time", "dc.date")
_META_TITLE_NAMES = ("articletitle", "og:title", "dc.title")


def extract_report(page: Page, selectors: Selectors | None = None) -> Report:
    """Every field of the report on this page, with problems found on the way."""
    sel = selectors or Selectors()
    try:
        tree = parse(page.text)
    except MarkupTooDeep as exc:
        return Report.unusable(page.final_url, Problem(str(exc), ProblemKind.TOO_DEEP))
    meta = _meta_tags(tree)
    title_tag = text_of(tree.css_first("title"))
    strip_invisible(tree, page.text)
    for selector in sel.remove:
        for node in tree.css(selector):
            node.decompose()
    root = tree.body
    if root is None:
        return Report.unusable(page.final_url, Problem("no body: the page has no <body>", ProblemKind.NO_BODY))

    body_node = _select(tree, sel.body)
    if body_node is not None:  # a profile's selector may name any element: mark it in the lines
        before, inside, after = _split(lines_of(root, body_node))
    else:
        layout = read_layout(root)
        body = find_body(layout)
        before, inside, after = layout.split(body) if body is not None else (layout.lines, [], [])
        body_node = layout.blocks[body].node if body is not None else None
    # A report's title and fields stand near its body: the header's menus above and the footer's
    # link lists below are not read line by line.
    before, after = before[-BEFORE_WINDOW:], after[:AFTER_WINDOW]
    title = _title(tree, sel, meta, title_tag, before, inside)
    head = head_lines(inside, title)  # the meta lines at the top of the body's container
    shown = before + head + after  # where the page shows its fields, the prose aside
    attachments = find_attachments(tree, sel, body_node, page.final_url, "附件" in page.text)
    text = "\n".join(clean_body_lines(inside, title, [a.name for a in attachments]))
    published = _published(tree, sel, meta, before + head, after, title)
    source = _source(tree, sel, shown + inside[-5:])
    credits = _credits(inside + after)

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


def _split(doc: list[str]) -> tuple[list[str], list[str], list[str]]:
    if MARK_START not in doc:
        return doc, [], []
    start, end = doc.index(MARK_START), doc.index(MARK_END)
    return doc[:start], doc[start + 1 : end], doc[end + 1 :]


# -- title --------------------------------------------------------------------------------------------
def _title(
    tree: LexborHTMLParser, sel: Selectors, meta: dict[str, str], title_tag: str, before: list[str], inside: list[str]
) -> str | None:
    """The heading the page shows (its inner spaces kept), found by what <title> or the meta
    title say; else the line above the meta line, a heading, or the best part of <title>."""
    if sel.title:
        node = tree.css_first(sel.title)
        return join_lines(lines_of(node)) if node is not None else None
    meta_title = next((meta[n] for n in _META_TITLE_NAMES if meta.get(n)), "")
    segments = [s for s in _TITLE_SPLIT.split(title_tag) if len(remove_spaces(s)) >= 4]
    wanted = {remove_spaces(s) for s in [*segments, title_tag, meta_title] if s}
    meta_index = _first_meta_line(before)
    matched = _lines_matching(before + inside[:12], wanted)
    if matched and _near_meta(matched, before, meta_index):
        return matched
    if meta_title:
        return meta_title
    if meta_index is not None:
        for line in reversed(before[:meta_index]):
            if clean.is_chrome_line(line) or clean.BREADCRUMB.match(line):
                continue
            if len(line) >= 5 and not clean.is_meta_line(line):
                return line
            break
    for tag in HEADINGS[:3]:
        for node in tree.css(tag):
            text = join_lines(lines_of(node))
            if len(text) >= 5 and node.css_first("a") is None:
                return text
    if matched:
        return matched
    return max(segments, key=len) if segments else None


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
                best = join_lines(lines[i : j + 1])
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
        if clean.is_meta_line(line) and (parse_date(line) or _has(line, Meaning.SOURCE)):
            return i
    return None


def _has(line: str, meaning: Meaning) -> bool:
    return any(f.meaning is meaning for f in fields_in(line))


# -- date ---------------------------------------------------------------------------------------------
def _published(
    tree: LexborHTMLParser, sel: Selectors, meta: dict[str, str], top: list[str], after: list[str], title: str | None
) -> str | None:
    """The date shown with the report: labelled above the body (发布时间 before 成文日期 before a
    bare 日期), else standing under the title, else labelled below the body, else an update time;
    a meta tag's date (often the time the page was generated) only when the page shows none."""
    if sel.published:
        return parse_date(text_of(tree.css_first(sel.published)))
    top, after = _without_today(top), _without_today(after)
    found = _labelled(top, DATES[:3]) or _bare_date_near_title(top, title) or _labelled(after, DATES[:3])
    found = found or _labelled(top + after, (Meaning.UPDATED,))
    for name in _META_DATE_NAMES if not found else ():
        found = parse_date(meta.get(name, ""))
        if found:
            break
    return found


def _without_today(lines: list[str]) -> list[str]:
    return [clean.TODAY.sub(" ", line) if clean.TODAY.search(line) else line for line in lines]


def _labelled(lines: list[str], meanings: tuple[Meaning, ...]) -> str | None:
    """The first date under one of these labels, strongest label first. A label alone on its
    line takes the next line as its value (a table: 生成日期： | 2023-05-11)."""
    joined = [f"{line} {lines[i + 1]}" if i + 1 < len(lines) and _ends_with_label(line) else line
              for i, line in enumerate(lines)]  # fmt: skip
    for meaning in meanings:
        for line in joined:
            found = _labelled_date(line, meaning)
            if found:
                return found
    return None


def _ends_with_label(line: str) -> bool:
    fields = fields_in(line) if len(line) < 40 else []
    return bool(fields) and not fields[-1].value.strip()


def _labelled_date(line: str, meaning: Meaning) -> str | None:
    if len(line) > 200:
        return None
    for f in fields_in(line):
        if f.meaning is meaning:
            m = DATE_AT_START.match(f.value)
            if m:
                return parse_date(m.group(0))
    if meaning is Meaning.PUBLISHED:
        for m in DATE_RE.finditer(line):
            if _BARE_DATE_LABEL.search(line[: m.start()][-16:]):
                return parse_date(m.group(0))
    return None


def _bare_date_near_title(lines: list[str], title: str | None) -> str | None:
    """A date standing alone under the title, or opening a line of it: "2022-12-02",
    "[2022-12-02 10:30]", "2021年03月08日 10时05分"."""
    key = remove_spaces(title or "")
    start = 0
    if key:
        for i, line in enumerate(lines):
            if remove_spaces(line) == key:
                start = i + 1
    for line in lines[start : start + 4]:
        if clean.TODAY.search(line) or len(line) > 60:
            continue
        m = DATE_AT_START.match(line)
        if m:
            return parse_date(m.group(0))
    return None


# -- source and credits -------------------------------------------------------------------------------
def _source(tree: LexborHTMLParser, sel: Selectors, lines: list[str]) -> str | None:
    """The source the page shows (来源, 信息来源, 发布机构 …); an empty one is no source. The
    meta tag ContentSource is not shown to readers (often a department or the site itself)."""
    if sel.source:
        node = tree.css_first(sel.source)
        if node is None:
            return None
        text = text_of(node)
        labelled = [f for f in fields_in(text) if f.meaning is Meaning.SOURCE]
        return clean_value(labelled[0].value if labelled else text)
    for line in lines:
        if len(line) > 150:
            continue
        for f in fields_in(line):
            if f.meaning is Meaning.SOURCE:
                value = clean_value(f.value)
                if value:
                    return value
    return None


def _credits(lines: list[str]) -> dict[str, str]:
    """供稿 / 编辑 / 审核 / 终审 as shown, all whitespace removed ("鲁    超" -> "鲁超"), from lines
    that open with labels (several may share one line)."""
    found: dict[str, str] = {}
    for line in lines:
        if len(line) > 150:
            continue
        fields = fields_in(line)
        if not fields or len(line[: fields[0].start].strip(" [【(（")) > 4:
            continue
        for f in fields:
            key = CREDITS.get(f.meaning)
            value = credit_value(f.value) if key and key not in found else None
            if key and value:
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
