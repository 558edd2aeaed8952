"""FixtureSite: the state of a fake county People's Congress site, its routing, validators and faults.

Tests mutate the site (add, edit, remove reports; inject failures) between crawls
and compare what the crawler saw with the FixtureReport truth.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import random
import secrets
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import parse_qsl, unquote, urlsplit

from . import content
from .layout_base import Layout, Noise
from .layouts import LAYOUTS
from .model import (
    SECTION,
    SECTIONS,
    SECTIONS_BY_NAME,
    FixtureReport,
    ReportMeta,
    RequestRecord,
)

CHINA = timezone(timedelta(hours=8))
REMOVE_MODES = ("404", "410", "soft", "home")
CHALLENGES = ("jiasule", "ruishu", "safedog")
ROBOTS = b"User-agent: *\nDisallow: /admin/\n"
ATTACHMENT_TYPES = {
    "pdf": ("application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
    "doc": ("application/msword", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
}
REASONS = {412: "Precondition Failed", 521: "Web Server Is Down"}


@dataclass
class _Fault:
    prefix: str
    status: int | str
    remaining: int


Response = tuple[int, dict[str, str], bytes]


class FixtureSite:
    """A whole fake site in one of the LAYOUTS; `handle()` answers requests, the rest is scenario control."""

    def __init__(
        self,
        layout: str = "modern",
        *,
        reports_per_section: int = 23,
        page_size: int | None = None,
        validators: bool = True,
        noise: bool = True,
        attachment_bytes: int = 0,
        dated_until: date | None = None,
        reports_per_other_section: int = content.OTHER_SECTION_SIZE,
    ) -> None:
        """``attachment_bytes``: the mean size of a report's attachment files (0: a line of text each);
        their bytes are random (PDFs and DOCX files compress little), fixed per path."""
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; choose from {sorted(LAYOUTS)}")
        self.layout = layout
        self._layout: Layout = LAYOUTS[layout]()
        self.page_size = page_size or self._layout.default_page_size
        self.validators = validators
        self.noise = noise
        self.attachment_bytes = attachment_bytes
        self.timeout_sleep = 3.0
        self.latency = 0.0  # seconds every answer takes (a slow server: requests overlap in time)
        self.robots = ROBOTS  # what /robots.txt says (a test may ask for a Crawl-delay)
        self.requests: list[RequestRecord] = []  # answered requests, in order
        self.in_flight = 0  # requests being answered now
        self.max_in_flight = 0  # the most answered at once (politeness: one at a time)
        self.stalled: list[str] = []  # paths of "timeout" faults, recorded when the stall begins
        self.sections: dict[str, list[FixtureReport]] = content.build_sections(
            reports_per_section, [s.name for s in SECTIONS], dated_until, reports_per_other_section
        )
        self._challenge: str | None = None
        self.token_lines: set[str] = set()  # slugs whose body shows a fresh random token on every request
        self.files: dict[str, bytes | Callable[[], bytes]] = {}  # /uploads/ paths served as given (set_file)
        self._lock = threading.RLock()
        self._reports: dict[str, FixtureReport] = {}
        self._meta: dict[str, ReportMeta] = {}
        self._docids: dict[int, str] = {}
        self._gone: dict[str, str] = {}
        self._faults: list[_Fault] = []
        self._cookie_challenges: dict[str, tuple[str, str]] = {}  # path prefix -> (cookie value, kind)
        self._views: dict[str, int] = {}
        self._stamps: dict[str, tuple[str, int]] = {}
        self._created = int(time.time())
        self._today = date.today()
        self._cookie = secrets.token_hex(12).upper()
        self._next_new = 1
        everything = [r for items in self.sections.values() for r in items]
        for report in sorted(everything, key=lambda r: r.slug):
            self._register(report)

    # --- paths ---------------------------------------------------------------------------------------

    def home_path(self) -> str:
        """Site-absolute path of the home page (the one the nav lives on, after any redirect)."""
        return self._layout.home_path()

    def list_path(self, page: int = 1, section: str = SECTION) -> str:
        """Site-absolute path of a section's list page; page 1 is what the nav links to."""
        return self._layout.list_path(SECTIONS_BY_NAME[section], page)

    def report_path(self, slug: str) -> str:
        """Site-absolute path of a report page, as the list links resolve."""
        report = self._reports[slug]
        return self._layout.report_path(SECTIONS_BY_NAME[report.section], self._meta[slug])

    def page_count(self, section: str = SECTION) -> int:
        """How many list pages the section currently has (at least 1)."""
        return max(1, math.ceil(len(self.sections[section]) / self.page_size))

    # --- read helpers for layouts -----------------------------------------------------------------

    def page_items(self, section: str, page: int) -> list[FixtureReport]:
        """Reports listed on one list page, newest first."""
        start = (page - 1) * self.page_size
        return self.sections[section][start : start + self.page_size]

    def report(self, slug: str) -> FixtureReport:
        return self._reports[slug]

    def meta(self, slug: str) -> ReportMeta:
        return self._meta[slug]

    def is_seed(self, report: FixtureReport) -> bool:
        return report.title == content.SEED_TITLE and report.published == content.SEED_PUBLISHED

    def neighbors(self, report: FixtureReport) -> tuple[FixtureReport | None, FixtureReport | None]:
        """(older, newer) report in its section's listing, for 上一篇 / 下一篇 links."""
        items = self.sections.get(report.section, [])
        for i, item in enumerate(items):
            if item.slug == report.slug:
                older = items[i + 1] if i + 1 < len(items) else None
                newer = items[i - 1] if i > 0 else None
                return older, newer
        return None, None

    def hot(self, exclude: str | None = None, count: int = 6) -> list[FixtureReport]:
        """热点: the latest reports of the other sections, newest first."""
        pool = [r for name, items in self.sections.items() if name != exclude for r in items[:count]]
        return sorted(pool, key=lambda r: (r.published, r.slug), reverse=True)[:count]

    # --- mutations -------------------------------------------------------------------------------------

    def add_report(self, report: FixtureReport, section: str | None = None) -> FixtureReport:
        """Publish a report at the top of a section (default: report.section, i.e. 监督工作).

        Later reports move down, to later list pages. A removed or unlisted report can be added back.
        """
        section = section or report.section
        if section not in SECTIONS_BY_NAME:
            raise ValueError(f"unknown section {section!r}")
        with self._lock:
            if any(r.slug == report.slug for items in self.sections.values() for r in items):
                raise ValueError(f"report {report.slug!r} is already listed")
            report.section = section
            self._gone.pop(report.slug, None)
            if report.slug in self._meta:
                self._reports[report.slug] = report
            else:
                self._register(report)
            self.sections[section].insert(0, report)
        return report

    def new_report(self, **overrides: object) -> FixtureReport:
        """A fresh deterministic report (new slug, today's date) NOT yet added: pass it to add_report()."""
        with self._lock:
            seq = max(self._next_new, 1 + max((int(s[1:]) for s in self._reports if s[1:].isdigit()), default=0))
            self._next_new = seq + 1
        section = str(overrides.pop("section", SECTION))
        return content.new_report(seq, section, date.today(), **overrides)

    def edit_report(self, slug: str, **changes: object) -> FixtureReport:
        """Change fields of a report in place (its URL stays)."""
        fields = {f.name for f in dataclasses.fields(FixtureReport)} - {"slug", "section"}
        unknown = set(changes) - fields
        if unknown:
            raise TypeError(f"cannot edit {sorted(unknown)}; editable: {sorted(fields)}")
        with self._lock:
            report = self._reports[slug]
            for key, value in changes.items():
                setattr(report, key, value)
        return report

    def remove_report(self, slug: str, how: str = "404") -> None:
        """Unlist a report and make its page answer 404 / 410 / a soft 200 not-found page / a 302 home."""
        if how not in REMOVE_MODES:
            raise ValueError(f"how must be one of {REMOVE_MODES}")
        with self._lock:
            self._unlist(slug)
            self._gone[slug] = how

    def unlist_report(self, slug: str) -> None:
        """Drop a report from its list pages while its page still answers 200."""
        with self._lock:
            self._unlist(slug)
            self._gone.pop(slug, None)

    def _unlist(self, slug: str) -> None:
        items = self.sections[self._reports[slug].section]
        items[:] = [r for r in items if r.slug != slug]  # in place: callers may hold the list

    # --- faults ------------------------------------------------------------------------------------------

    def fail(self, path_prefix: str, status: int | str = 503, times: int = 1) -> None:
        """The next `times` requests whose path starts with the prefix answer `status` ("timeout": stall;
        "empty": HTTP 200 and a page with nothing in it, as a site in the middle of a deploy)."""
        if status not in ("timeout", "empty") and not isinstance(status, int):
            raise ValueError("status must be an int, 'timeout' or 'empty'")
        with self._lock:
            self._faults.append(_Fault(path_prefix, status, times))

    def clear_faults(self) -> None:
        """The site is healthy again: pending faults and cookie challenges are dropped."""
        with self._lock:
            self._faults = []
            self._cookie_challenges = {}

    def cookie_challenge(self, path_prefix: str, kind: str = "literal") -> str:
        """Requests under the prefix that lack the cookie ``ayrdw_clr`` get HTTP 200 and a tiny
        page whose script sets it and reloads, as a WAF does. ``kind``: "literal" (the cookie is
        string literals), "computed" (from the clock), "unrelenting" (literal, but the page never
        lets anyone in). Returns the cookie's value."""
        if kind not in ("literal", "computed", "unrelenting"):
            raise ValueError("kind must be 'literal', 'computed' or 'unrelenting'")
        token = secrets.token_hex(8)
        with self._lock:
            self._cookie_challenges[path_prefix] = (token, kind)
        return token

    @property
    def challenge(self) -> str | None:
        """WAF challenge answering every request: None, "jiasule", "ruishu" or "safedog"."""
        return self._challenge

    @challenge.setter
    def challenge(self, value: str | None) -> None:
        if value is not None and value not in CHALLENGES:
            raise ValueError(f"challenge must be None or one of {CHALLENGES}")
        self._challenge = value

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    # --- request handling ------------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Mapping[str, str]) -> Response:
        """Answer one request: (status, headers, body). `path` includes the query string."""
        hdrs = {k.lower(): v for k, v in headers.items()}
        method = method.upper()
        started = time.monotonic()
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            status, out, body = self._respond(method, path, hdrs)
        finally:
            with self._lock:
                self.in_flight -= 1
        if method == "HEAD":
            body = b""
        with self._lock:
            self.requests.append(RequestRecord(method, path, hdrs, status, len(body), started, time.monotonic()))
        return status, out, body

    def _respond(self, method: str, path: str, hdrs: dict[str, str]) -> Response:
        stall = False
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and path.startswith(fault.prefix):
                    fault.remaining -= 1
                    if fault.status == "timeout":
                        stall = True
                        break
                    if fault.status == "empty":
                        body = b'<html><head><title></title></head><body><div class="list"></div></body></html>'
                        return 200, {"Content-Type": "text/html", "Content-Length": str(len(body))}, body
                    return self._fault_response(int(fault.status))
            self._faults = [f for f in self._faults if f.remaining > 0]
        if stall:
            with self._lock:
                self.stalled.append(path)
            time.sleep(self.timeout_sleep)
        if self._challenge:
            return self._challenge_response(self._challenge)
        for prefix, (token, kind) in list(self._cookie_challenges.items()):
            let_in = kind != "unrelenting" and f"ayrdw_clr={token}" in hdrs.get("cookie", "")
            if path.startswith(prefix) and not let_in:
                return self._cookie_challenge_response(token, kind == "computed")
        if method not in ("GET", "HEAD"):
            return (
                405,
                {"Allow": "GET, HEAD", "Content-Type": "text/plain", "Content-Length": "18"},
                b"Method Not Allowed",
            )
        with self._lock:
            return self._serve(path, hdrs)

    def _serve(self, raw_path: str, hdrs: dict[str, str]) -> Response:
        parts = urlsplit(raw_path)
        path = unquote(parts.path) or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if path == "/robots.txt":
            return self._ok(raw_path, hdrs, self.robots, "text/plain", self._created)
        if path.startswith("/uploads/"):
            return self._attachment(raw_path, path, hdrs)
        route = self._layout.route(path, query)
        if route is None:
            return self._not_found(404)
        if route.kind == "redirect":
            return self._redirect(route.location, route.status)
        count = self._views[raw_path] = self._views.get(raw_path, 0) + 1
        base = 100 + zlib.crc32(raw_path.encode()) % 900
        stable = Noise(False, base, self._today)
        live = Noise(True, base + count, self._today) if self.noise else stable
        lm_start = self._created
        if route.kind == "home":
            pages = [self._layout.render_home(self, n) for n in (stable, live)]
        elif route.kind == "topic":
            pages = [self._layout.render_topic(self, n, raw_path) for n in (stable, live)]
        elif route.kind == "list":
            assert route.section is not None
            last = self.page_count(route.section.name)
            page = route.page
            if page > last or page < 1:
                if not self._layout.clamp_pages:
                    return self._not_found(404)
                page = min(max(page, 1), last)
            pages = [self._layout.render_list(self, n, route.section, page, raw_path) for n in (stable, live)]
        else:
            slug = self._docids.get(route.docid or -1)
            if slug is None:
                return self._not_found(404)
            report = self._reports[slug]
            if route.section is not None and route.section.name != report.section:
                return self._not_found(404)
            if self._layout.strict_report_paths and self.report_path(slug) != path:
                return self._not_found(404)
            how = self._gone.get(slug)
            if how == "home":
                return self._redirect(self.home_path(), 302)
            if how in ("404", "410"):
                return self._not_found(int(how))
            if how == "soft":
                pages = [self._layout.render_not_found(self, n) for n in (stable, live)]
            else:
                if slug in self.token_lines:  # the token is in the body and in the ETag: a dynamic page
                    line = f"页面校验码：{secrets.token_hex(4)}"
                    report = dataclasses.replace(
                        report, paragraphs=[*report.paragraphs[:2], line, *report.paragraphs[2:]]
                    )
                pages = [self._layout.render_report(self, n, report, raw_path) for n in (stable, live)]
                stamp = datetime.fromisoformat(f"{report.published}T{self._meta[slug].clock}:00").replace(tzinfo=CHINA)
                lm_start = int(stamp.timestamp())
        stable_bytes, live_bytes = (self._layout.encode(p) for p in pages)
        return self._ok(raw_path, hdrs, live_bytes, self._layout.content_type, lm_start, stable_bytes)

    # --- responses -------------------------------------------------------------------------------------

    def _headers(self, content_type: str, length: int) -> dict[str, str]:
        out = dict(self._layout.server_headers())
        out["Content-Type"] = content_type
        out["Content-Length"] = str(length)
        if self.layout == "table-gbk":
            out["Set-Cookie"] = f"ASPSESSIONIDQQTRDBCS={self._cookie}; path=/"
        return out

    def _ok(
        self,
        key: str,
        hdrs: dict[str, str],
        body: bytes,
        ctype: str,
        lm_start: int,
        stable: bytes | None = None,
    ) -> Response:
        out = self._headers(ctype, len(body))
        if not self.validators:
            return 200, out, body
        etag = '"' + hashlib.sha1(body if stable is None else stable).hexdigest()[:20] + '"'
        old = self._stamps.get(key)
        if old is None:
            stamp = lm_start
        elif old[0] != etag:
            stamp = max(int(time.time()), old[1] + 1)  # strictly later, even within the same second
        else:
            stamp = old[1]
        self._stamps[key] = (etag, stamp)
        out["ETag"] = etag
        out["Last-Modified"] = formatdate(stamp, usegmt=True)
        if self._not_modified(hdrs, etag, stamp):
            kept = {k: v for k, v in out.items() if k not in ("Content-Type", "Content-Length")}
            return 304, kept, b""
        return 200, out, body

    @staticmethod
    def _not_modified(hdrs: dict[str, str], etag: str, stamp: int) -> bool:
        inm = hdrs.get("if-none-match")
        if inm is not None:
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            return "*" in tags or etag in tags
        ims = hdrs.get("if-modified-since")
        if ims:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            return stamp <= since.timestamp()
        return False

    def set_file(self, path: str, body: bytes | Callable[[], bytes]) -> None:
        """Serve these bytes at an /uploads/ path (a callable: new bytes on every request), listed
        by a report or not: an attachment edited in place, a file that differs every time."""
        with self._lock:
            self.files[path] = body

    def _attachment(self, key: str, path: str, hdrs: dict[str, str]) -> Response:
        given = self.files.get(path)
        if given is not None:
            ext = path.rsplit(".", 1)[-1].lower()
            ctype = ATTACHMENT_TYPES.get(ext, ("application/octet-stream", b""))[0]
            return self._ok(key, hdrs, given() if callable(given) else given, ctype, self._created)
        for report in self._reports.values():
            for _, apath in report.attachments:
                if apath == path:
                    ext = path.rsplit(".", 1)[-1].lower()
                    ctype, magic = ATTACHMENT_TYPES.get(ext, ("application/octet-stream", b""))
                    body = magic + b"fixture attachment " + path.encode() + b"\n" + self._padding(path)
                    stamp = int(datetime.fromisoformat(report.published).replace(tzinfo=CHINA).timestamp())
                    return self._ok(key, hdrs, body, ctype, stamp)
        return self._not_found(404)

    def _padding(self, path: str) -> bytes:
        """Random bytes, fixed per path, between half and one and a half times attachment_bytes."""
        if not self.attachment_bytes:
            return b""
        rng = random.Random(path)
        return rng.randbytes(int(self.attachment_bytes * (0.5 + rng.random())))

    def _not_found(self, status: int) -> Response:
        stable = Noise(False, 0, self._today)
        live = Noise(True, 0, self._today) if self.noise else stable
        body = self._layout.encode(self._layout.render_not_found(self, live))
        return status, self._headers(self._layout.content_type, len(body)), body

    def _redirect(self, location: str, status: int) -> Response:
        body = f'<html><head><title>Object moved</title></head><body><a href="{location}">here</a></body></html>'
        data = body.encode()
        out = self._headers("text/html", len(data))
        out["Location"] = location
        return status, out, data

    def _fault_response(self, status: int) -> Response:
        text = {503: "503 Service Temporarily Unavailable"}.get(status, f"{status} Error")
        body = f"<html><body><h1>{text}</h1></body></html>".encode()
        return (
            status,
            {"Server": "nginx", "Content-Type": "text/html", "Content-Length": str(len(body))},
            body,
        )

    def _challenge_response(self, kind: str) -> Response:
        token = secrets.token_hex(16)
        if kind == "jiasule":
            body = (
                "<script>document.cookie=('_')+('_jsl_clearance_s=')+(+new Date()/1000|0)+('.')"
                f"+('{token[:8]}')+(';max-age=3600;path=/');"
                "location.href=location.pathname+location.search</script>"
            )
            status, server = 521, "jiasule-waf"
            cookie = f"__jsluid_h={token}; max-age=31536000; path=/; HttpOnly"
        elif kind == "ruishu":
            body = (
                '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
                f"<script type=\"text/javascript\" r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={{}};"
                f'$_ts.nsd=48121;$_ts.cd="{token}qrGfLWy3sO0C";</script>'
                '<script type="text/javascript" charset="utf-8" '
                "src=\"/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js\" r='m'>"
                "</script></head><body></body></html>"
            )
            status, server = 412, "nginx"
            cookie = f"FSSBBIl1UgzbN7N80S={token}; Path=/; expires=Fri, 01 Jan 2100 00:00:00 GMT; HttpOnly"
        else:
            body = (
                f'<html><head><script>window.location.href="/?WebShieldSessionVerify={token}";'
                "</script></head><body></body></html>"
            )
            status, server = 200, "Safedog"
            cookie = f"safedog-flow-item={token.upper()}; expires=Sat, 16-Jan-2100 00:00:00 GMT; path=/"
        data = body.encode()
        out = {
            "Server": server,
            "Content-Type": "text/html",
            "Content-Length": str(len(data)),
            "Set-Cookie": cookie,
        }
        return status, out, data

    @staticmethod
    def _cookie_challenge_response(token: str, computed: bool) -> Response:
        value = '"ayrdw_clr=" + (+new Date())' if computed else f'"ayrdw" + "_clr=" + "{token}" + "; path=/"'
        body = f"<html><head><script>document.cookie = {value};\nlocation.reload();</script></head></html>".encode()
        return 200, {"Server": "nginx", "Content-Type": "text/html", "Content-Length": str(len(body))}, body

    # --- registration ----------------------------------------------------------------------------------

    def _register(self, report: FixtureReport) -> None:
        seq = len(self._meta) + 1
        docid = 48121 if self.is_seed(report) and 48121 not in self._docids else 48000 + 7 * seq
        while docid in self._docids:
            docid += 7
        published = date.fromisoformat(report.published)
        url_day = published
        if seq % 4 == 1 and not self.is_seed(report):
            url_day = published - timedelta(days=2 + seq % 9)  # drafted earlier than published
        clock = "16:30" if self.is_seed(report) else f"{8 + seq * 5 % 10:02d}:{seq * 17 % 60:02d}"
        self._meta[report.slug] = ReportMeta(seq=seq, docid=docid, url_date=f"{url_day:%Y%m%d}", clock=clock)
        self._docids[docid] = report.slug
        self._reports[report.slug] = report
