"""Has a report page been taken down? 404/410, a "page not found" page served with
200, or a redirect to the home page all mean yes.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.dom import lines_of, parse, strip_invisible, text_of
from crawler.models import Page

_NOT_FOUND = re.compile(
    r"页面不存在|您访问的页面不存在|页面未找到|找不到(该|您要的)?页面|信息不存在|文章不存在|内容不存在|已被删除|已删除"
    r"|页面已失效|404\s*Not\s*Found|Page\s+Not\s+Found|抱歉.{0,10}(不存在|找不到)",
    re.I,
)
# A report redirected to a site or section index page ("/", "/web/index.asp", "/jdgz/") is gone.
_HOME_PATHS = re.compile(r"(^|/)((index|default|main)\.(s?html?|asp|aspx|php|jsp))?$", re.I)


def not_found_reason(page: Page, home_url: str | None = None) -> str | None:
    """Why this answer means "the report is gone", or None when it is a live page."""
    if page.status in (404, 410):
        return f"HTTP {page.status}"
    if page.redirected:
        final = urlsplit(page.final_url)
        home = urlsplit(home_url) if home_url else None
        if _HOME_PATHS.search(final.path) or (home and final.path == home.path and not final.query):
            return f"redirected to the home page ({page.final_url})"
    if page.status == 200 and len(page.text) < 40_000:
        tree = parse(page.text)
        title = text_of(tree.css_first("title"))
        if _NOT_FOUND.search(title):
            return "a not-found page"
        strip_invisible(tree)
        lines = lines_of(tree.body) if tree.body else []
        # The phrase on a page without a paragraph of prose: a template page saying "not found".
        if any(_NOT_FOUND.search(line) for line in lines) and max(map(len, lines), default=0) < 100:
            return "a not-found page"
    return None
