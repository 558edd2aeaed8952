"""Has a report page been taken down? Decided by the answer, never by a phrase in a report.

Not found is: 404 or 410; a redirect to an index page (the home page, a section's index);
or a short template page whose only message is "page not found", served with 200. A page
with a report body is a report, whatever its title or paragraphs say (a notice about
deleted records is still a notice), so the caller asks only after extraction found no
usable report. One verdict removes nothing: the poll confirms it on the next poll.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from crawler.dom import lines_of, parse, strip_invisible, text_of
from crawler.errors import MarkupTooDeep
from crawler.models import Page, Report

_NOT_FOUND = re.compile(
    r"页面不存在|您访问的页面不存在|页面未找到|找不到(该|您要的)?页面|信息不存在|文章不存在|内容不存在|已被删除|已删除"
    r"|页面已失效|404\s*Not\s*Found|Page\s+Not\s+Found|抱歉.{0,10}(不存在|找不到)",
    re.I,
)
# A report redirected to a site or section index page ("/", "/web/index.asp", "/jdgz/") is gone.
_HOME_PATHS = re.compile(r"(^|/)((index|default|main)\.(s?html?|asp|aspx|php|jsp))?$", re.I)
MAX_TEMPLATE_LINE = 100  # a "not found" template has no paragraph of prose
MAX_MESSAGE_LINE = 60  # the line that says "not found" is short
MAX_TEMPLATE_BODY = 200  # a "not found" template says little


class NotFoundKind(StrEnum):
    HTTP_404 = "http_404"
    HTTP_410 = "http_410"
    REDIRECT = "redirect"
    NOT_FOUND_PAGE = "not_found_page"


@dataclass(frozen=True)
class NotFound:
    kind: NotFoundKind
    detail: str

    def __str__(self) -> str:
        return self.detail


def not_found_by_answer(page: Page, home_url: str | None = None) -> NotFound | None:
    """What the answer alone says: 404, 410, or a redirect to an index page."""
    if page.status == 404:
        return NotFound(NotFoundKind.HTTP_404, "HTTP 404")
    if page.status == 410:
        return NotFound(NotFoundKind.HTTP_410, "HTTP 410")
    if page.redirected:
        final = urlsplit(page.final_url)
        home = urlsplit(home_url) if home_url else None
        if _HOME_PATHS.search(final.path) or (home and final.path == home.path and not final.query):
            return NotFound(NotFoundKind.REDIRECT, f"redirected to an index page ({page.final_url})")
    return None


def not_found_page(page: Page, report: Report | None = None) -> NotFound | None:
    """A 200 page that is only a "not found" template. ``report``: what extraction read of the
    page, when it found a usable one. Such a page is still a template when it shows no date,
    no source and no credits (a report does), says little (``MAX_TEMPLATE_BODY``), and says
    "not found" in a short line or its title: a notice about deleted records is a report.
    Without a report, the phrase must stand in the title or a short line of a page with no
    line of prose."""
    if page.status != 200 or len(page.text) >= 40_000:
        return None
    if report is not None and (
        report.published or report.source or report.credits or len(report.text) > MAX_TEMPLATE_BODY
    ):
        return None
    try:
        tree = parse(page.text)
    except MarkupTooDeep:
        return None
    title = text_of(tree.css_first("title"))
    if report is not None:
        lines = report.text.split("\n")
    else:
        strip_invisible(tree, page.text)
        lines = lines_of(tree.body) if tree.body else []
    if max(map(len, lines), default=0) >= MAX_TEMPLATE_LINE:
        return None
    message = next((line for line in lines if len(line) <= MAX_MESSAGE_LINE and _NOT_FOUND.search(line)), None)
    if message is None and _NOT_FOUND.search(title):
        message = title
    return NotFound(NotFoundKind.NOT_FOUND_PAGE, f"a not-found page ({message})") if message else None
