"""What every layout shares: the routing result, the noise source and small HTML helpers.

A layout only turns site state into markup and parses its own URL scheme; the
site (site.py) owns state, status codes, validators and faults.
"""

from __future__ import annotations

import html
import posixpath
import random
import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from .model import FixtureReport, ReportMeta, SectionInfo

if TYPE_CHECKING:
    from .site import FixtureSite

WEEKDAYS = "一二三四五六日"
FOOTER_LINES = (
    "Copyright 2015 www.ayrdw.gov.cn All Rights Reserved",
    "版权所有:安岳县人大常委会办公室",
    "联系电话(举报电话):028-24522373",
    "未经书面允许不得转载信息内容、建立镜像 建议将电脑显示屏的分辨率调为1024*768",
    "蜀ICP备18018333号",
)
SITE_NAME = "安岳县人大常委会"
DECOY_TEXT = "人大监督工作专题"


@dataclass
class Route:
    """What a request path designates in a layout's URL scheme."""

    kind: str  # "home" | "list" | "report" | "topic" | "redirect"
    section: SectionInfo | None = None
    page: int = 1
    docid: int | None = None
    location: str = ""
    status: int = 302


class Noise:
    """Per-request variation. `live=False` gives the stable rendering the ETag is computed from."""

    def __init__(self, live: bool, views: int, today: date) -> None:
        self.live = live
        self._views = views
        self._today = date.today() if live else today
        self._rng = random.Random(secrets.randbits(64)) if live else random.Random(0)

    def views(self) -> str:
        """The view counter value (increments per request of the page)."""
        return str(self._views)

    def today(self) -> str:
        """The 今天是 banner, from the real current date."""
        d = self._today
        return f"今天是{d.year}年{d.month}月{d.day}日 星期{WEEKDAYS[d.weekday()]}"

    def token(self) -> str:
        """A random token as session/CSRF values look."""
        return secrets.token_hex(16) if self.live else "0" * 32

    def tag(self) -> str:
        """A random extra CSS class (with its leading space), as CSS-in-JS builds emit."""
        return f" v-{self._rng.getrandbits(24):06x}" if self.live else ""

    def ws(self) -> str:
        """Whitespace between block tags; varies between requests, never visible."""
        return self._rng.choice(("\n", "\r\n", "\n\n", "\n    ", "\n\t\t")) if self.live else "\n"

    def flip(self) -> bool:
        """Coin for markup-only choices such as attribute order."""
        return self._rng.random() < 0.5 if self.live else False


def esc(text: str) -> str:
    """Text node escaping."""
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    """Attribute value escaping."""
    return html.escape(text, quote=True)


def nbsp_runs(value: str, alternate: bool = False) -> str:
    """A credit name as CMS editors type it: every space an &nbsp; (or '&nbsp; ' pairs, as browsers save)."""
    if not alternate:
        return esc(value).replace(" ", "&nbsp;")
    return re.sub(r" +", lambda m: "".join("&nbsp;" if j % 2 == 0 else " " for j in range(len(m[0]))), esc(value))


def truncate(title: str, limit: int, ellipsis: str) -> str:
    """List pages cut long titles; the full title is only on the report page (and maybe a title=)."""
    return title if len(title) <= limit else title[:limit] + ellipsis


def relpath(from_page: str, to_path: str) -> str:
    """Relative href from the page at `from_page` to the site-absolute `to_path`."""
    base = from_page.split("?", 1)[0]
    directory = base if base.endswith("/") else posixpath.dirname(base) + "/"
    rel = posixpath.relpath(to_path.split("?", 1)[0], directory)
    if to_path.endswith("/") and not rel.endswith("/"):
        rel += "/"
    query = "?" + to_path.split("?", 1)[1] if "?" in to_path else ""
    return ("./" if rel == "." else rel) + query


def spacer_after(report: FixtureReport, index: int) -> bool:
    """Where editors left an empty (&nbsp;) paragraph: after the heading lines of long reports."""
    return len(report.paragraphs) >= 8 and index in (1, 3)


class Layout:
    """Base of the three layouts; subclasses fill in URL scheme and templates."""

    name: ClassVar[str] = ""
    codec: ClassVar[str] = "utf-8"
    content_type: ClassVar[str] = "text/html; charset=utf-8"
    default_page_size: ClassVar[int] = 10
    clamp_pages: ClassVar[bool] = False  # ASP lists answer the last page for any page beyond it
    strict_report_paths: ClassVar[bool] = False  # static sites: the whole report path must match

    def server_headers(self) -> dict[str, str]:
        return {"Server": "nginx"}

    def encode(self, text: str) -> bytes:
        return text.encode(self.codec, errors="xmlcharrefreplace")

    # URL scheme
    def home_path(self) -> str:
        raise NotImplementedError

    def list_path(self, section: SectionInfo, page: int) -> str:
        raise NotImplementedError

    def report_path(self, section: SectionInfo, meta: ReportMeta) -> str:
        raise NotImplementedError

    def route(self, path: str, query: dict[str, str]) -> Route | None:
        raise NotImplementedError

    # pages
    def render_home(self, site: FixtureSite, noise: Noise) -> str:
        raise NotImplementedError

    def render_list(self, site: FixtureSite, noise: Noise, section: SectionInfo, page: int, path: str) -> str:
        raise NotImplementedError

    def render_report(self, site: FixtureSite, noise: Noise, report: FixtureReport, path: str) -> str:
        raise NotImplementedError

    def render_not_found(self, site: FixtureSite, noise: Noise) -> str:
        raise NotImplementedError

    def render_topic(self, site: FixtureSite, noise: Noise, path: str) -> str:
        return self.render_not_found(site, noise)
