"""Limits that really bound, against hostile servers on loopback: a server that drips a byte at
a time, a gzip bomb, a Retry-After of an hour, redirects to other origins."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from dataclasses import replace

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from crawler.errors import FetchError, OffSiteError, TooLargeError
from crawler.fetch import Fetcher, FetchSettings, redirect_allowed
from crawler.hosts import HostGates

HTML = "<html><body><p>安岳县人大常委会 监督工作</p></body></html>"


class DripServer:
    """Answers every request with headers at once, then one byte every ``every`` seconds."""

    def __init__(
        self, every: float = 0.25, body_bytes: int = 10_000, headers_after: float = 0.0, host: str = "127.0.0.1"
    ) -> None:
        self.every, self.body_bytes, self.headers_after = every, body_bytes, headers_after
        self.sock = socket.create_server((host, 0))
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                self.requests += 1
                time.sleep(self.headers_after)
                head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {self.body_bytes}\r\n\r\n"
                conn.sendall(head.encode())
                for _ in range(self.body_bytes):
                    if self._stop.is_set():
                        return
                    conn.sendall(b"x")
                    time.sleep(self.every)
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


@pytest.fixture
def drip() -> Iterator[DripServer]:
    server = DripServer()
    yield server
    server.close()


def settings(**changes: object) -> FetchSettings:
    base = FetchSettings(user_agent="ayrdw-watch-tests/1.0", delay=0.0, timeout=1.0, backoff=0.01, retries=0)
    return replace(base, **changes)


def test_one_attempt_ends_within_timeout_even_when_the_body_drips(drip: DripServer) -> None:
    robots = {f"http://127.0.0.1:{drip.port}": ""}
    with Fetcher(settings(timeout=1.0, retries=0), robots=robots) as f:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"timed out after 1s"):
            f.get(f"http://127.0.0.1:{drip.port}/slow")
        assert time.monotonic() - started < 1.0 + 0.5


def test_a_fetch_with_retries_ends_within_attempts_times_timeout_plus_the_waits(drip: DripServer) -> None:
    robots = {f"http://127.0.0.1:{drip.port}": ""}
    with Fetcher(settings(timeout=0.8, retries=2, backoff=0.1), robots=robots) as f:
        started = time.monotonic()
        with pytest.raises(FetchError, match="timed out"):
            f.get(f"http://127.0.0.1:{drip.port}/slow")
        elapsed = time.monotonic() - started
    assert drip.requests == 3
    assert elapsed < 3 * 0.8 + (0.1 + 0.2) + 0.8


def test_reads_of_one_process_are_each_cut_at_their_own_deadline() -> None:
    """The process's one watchdog: a read with a later deadline under way does not delay the cut
    of one with an earlier deadline, and neither cuts the other."""
    slow_a, slow_b = DripServer(host="127.0.0.1"), DripServer(host="127.0.0.2")  # two hosts: at once
    shared = HostGates()
    ended: dict[str, float] = {}
    started = time.monotonic()

    def fetch(name: str, server: DripServer, timeout: float) -> None:
        url = f"http://{server.sock.getsockname()[0]}:{server.port}"
        with Fetcher(settings(timeout=timeout), robots={url: ""}, gates=shared) as f, pytest.raises(FetchError):
            f.get(url + "/slow")
        ended[name] = time.monotonic() - started

    try:
        late = threading.Thread(target=fetch, args=("late", slow_a, 2.5))
        late.start()
        time.sleep(0.3)  # the watchdog now waits for the later deadline
        fetch("early", slow_b, 0.6)
        late.join(timeout=10)
    finally:
        slow_a.close()
        slow_b.close()
    assert 0.3 + 0.6 <= ended["early"] < 0.3 + 0.6 + 0.5, ended
    assert 2.5 <= ended["late"] < 2.5 + 0.5, ended


def test_a_fetcher_of_its_own_leaves_no_thread_behind(httpserver: HTTPServer) -> None:
    """A fetcher without the process's gates (a CLI poll, a script) ends its watchdog as it
    closes: a loop of polls in one process does not pile up idle threads."""
    httpserver.expect_request("/page").respond_with_data(HTML, content_type="text/html")
    before = threading.active_count()
    for _ in range(30):
        with Fetcher(settings(), robots={httpserver.url_for("/").rstrip("/"): ""}) as f:
            assert f.get(httpserver.url_for("/page")).status == 200
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= before, [t.name for t in threading.enumerate()]


def test_waiting_for_the_headers_counts_against_the_same_deadline() -> None:
    server = DripServer(every=0.01, body_bytes=400, headers_after=0.7)
    try:
        robots = {f"http://127.0.0.1:{server.port}": ""}
        with Fetcher(settings(timeout=1.0), robots=robots) as f:
            started = time.monotonic()
            with pytest.raises(FetchError, match="timed out"):
                f.get(f"http://127.0.0.1:{server.port}/late")  # 0.7 s for headers + 4 s of body
            assert time.monotonic() - started < 1.5
    finally:
        server.close()


def test_a_retry_after_longer_than_max_retry_wait_fails_at_once(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/busy").respond_with_data("busy", status=503, headers={"Retry-After": "3600"})
    slept: list[float] = []
    expected = r"retry after 3600s \(more than max_retry_wait, 60s\)"
    with (
        Fetcher(settings(retries=3, max_retry_wait=60.0), sleep=slept.append) as f,
        pytest.raises(FetchError, match=expected),
    ):
        f.get(httpserver.url_for("/busy"))
    assert slept == [] and sum(1 for r, _ in httpserver.log if r.path == "/busy") == 1


def test_backoff_waits_are_capped_by_max_retry_wait(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down").respond_with_data("down", status=503)
    slept: list[float] = []
    fetcher = Fetcher(settings(retries=4, backoff=1.0, max_retry_wait=2.5), sleep=slept.append)
    with fetcher as f, pytest.raises(FetchError, match="HTTP 503"):
        f.get(httpserver.url_for("/down"))
    assert slept == [1.0, 2.0, 2.5, 2.5]


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compression_bomb_stops_at_max_bytes_without_being_inflated(httpserver: HTTPServer, encoding: str) -> None:
    zeros = b"\0" * (200 * 1000 * 1000)
    bomb = gzip.compress(zeros, 9) if encoding == "gzip" else zlib.compress(zeros, 9)
    del zeros
    httpserver.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": encoding})
    tracemalloc.start()
    try:
        with Fetcher(settings(max_bytes=5_000_000, timeout=10.0)) as f, pytest.raises(TooLargeError, match="max_bytes"):
            f.get(httpserver.url_for("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 30_000_000, f"peak allocation {peak / 1e6:.0f} MB for a 5 MB cap"


def test_a_compressed_page_under_the_cap_is_read_whole(httpserver: HTTPServer) -> None:
    body = (HTML * 2000).encode()
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    variants = {
        "gzip": gzip.compress(body),
        "deflate": zlib.compress(body),
        "raw-deflate": raw_deflate.compress(body) + raw_deflate.flush(),
    }
    with Fetcher(settings(max_bytes=len(body))) as f:
        for name, data in variants.items():
            encoding = "deflate" if name == "raw-deflate" else name
            httpserver.expect_request(f"/{name}").respond_with_data(
                data, content_type="text/html; charset=utf-8", headers={"Content-Encoding": encoding}
            )
            page = f.get(httpserver.url_for(f"/{name}"))
            assert page.text == body.decode() and page.nbytes == len(body), name


def test_an_unknown_content_encoding_is_a_one_line_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/br").respond_with_data(b"\x1b\x00", headers={"Content-Encoding": "br"})
    with Fetcher(settings()) as f, pytest.raises(FetchError, match="unsupported Content-Encoding 'br'"):
        f.get(httpserver.url_for("/br"))


@pytest.mark.parametrize(
    ("source", "target", "allowed"),
    [
        ("http://www.ayrdw.gov.cn/a", "http://www.ayrdw.gov.cn/b", True),
        ("http://www.ayrdw.gov.cn/a", "https://www.ayrdw.gov.cn/a", True),  # the upgrade
        ("http://www.ayrdw.gov.cn:80/a", "https://www.ayrdw.gov.cn:443/a", True),
        ("https://www.ayrdw.gov.cn/a", "http://www.ayrdw.gov.cn/a", False),  # a downgrade
        ("http://www.ayrdw.gov.cn/a", "http://www.ayrdw.gov.cn:8080/a", False),  # another port
        ("http://www.ayrdw.gov.cn:8080/a", "https://www.ayrdw.gov.cn/a", False),  # not default ports
        ("http://www.ayrdw.gov.cn/a", "http://ayrdw.gov.cn/a", False),  # another host
        ("http://www.ayrdw.gov.cn/a", "http://evil.example/a", False),
    ],
)
def test_redirects_keep_the_origin_or_upgrade_to_https(source: str, target: str, allowed: bool) -> None:
    assert redirect_allowed(source, target) is allowed


def test_a_redirect_to_another_port_on_the_same_host_is_refused(httpserver: HTTPServer) -> None:
    other = HTTPServer(host="127.0.0.1", port=0)
    other.start()
    try:
        other.expect_request("/x").respond_with_data(HTML, content_type="text/html")
        target = other.url_for("/x")
        httpserver.expect_request("/away").respond_with_data("", status=302, headers={"Location": target})
        with Fetcher(settings()) as f, pytest.raises(OffSiteError, match="another origin"):
            f.get(httpserver.url_for("/away").replace("localhost", "127.0.0.1"))
        assert not any(r.path == "/x" for r, _ in other.log)
    finally:
        other.stop()


def test_slow_handler_with_werkzeug_still_times_out(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response(HTML, content_type="text/html")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with Fetcher(settings(timeout=0.5)) as f:
        started = time.monotonic()
        with pytest.raises(FetchError, match="timed out"):
            f.get(httpserver.url_for("/slow"))
        assert time.monotonic() - started < 1.0


def test_markup_nested_200000_levels_is_refused_with_a_problem_in_seconds() -> None:
    """A guard for every later rewrite of the extractor: the parser's cost grows with the square
    of the nesting depth, so such a page is refused before it is parsed."""
    from crawler.extract import extract_report
    from crawler.listing import parse_listing
    from crawler.models import Page

    depth = 200_000
    html = (
        "<html><head><title>t</title></head><body>"
        + "<div>" * depth
        + "<p>正文</p>"
        + "</div>" * depth
        + "</body></html>"
    )
    assert len(html) > 2_000_000
    page = Page("http://127.0.0.1/a.html", "http://127.0.0.1/a.html", 200, html)
    started = time.process_time()
    report = extract_report(page)
    listing = parse_listing(page)
    assert time.process_time() - started < 3.0
    assert not report.usable and "markup nested deeper than 4000 levels" in report.problems
    assert listing.items == () and "markup nested deeper than 4000 levels" in listing.problems


def test_ordinary_sloppy_markup_is_not_mistaken_for_deep_nesting() -> None:
    from crawler.dom import too_deep

    unclosed = "<table>" + "<tr><td><p>行" * 6000 + "</table>"  # end tags the parser supplies itself
    fonts = "<div>" + "<font color=red>x</font>" * 6000 + "</div>"
    assert not too_deep(unclosed) and not too_deep(fonts)
    assert too_deep("<div>" * 4001)


def test_attachment_links_that_are_not_http_are_never_kept() -> None:
    from crawler.extract import extract_report
    from crawler.models import Page

    body = "".join(f"<p>第{i}段，关于县人民政府国有资产管理情况的报告正文内容。</p>" for i in range(5))
    links = (
        '<a href="/uploads/report.pdf">报告.pdf</a> <a href="file:///etc/passwd.pdf">本地.pdf</a>'
        ' <a href="data:application/pdf;base64,JVBERi0=">内嵌.pdf</a> <a href="javascript:down(\'a.pdf\')">下载.pdf</a>'
        ' <a href="ftp://127.0.0.1/a.doc">a.doc</a>'
    )
    html = (
        "<html><head><title>报告</title></head><body><h1>报告</h1>"
        f"<div>{body}<p>相关附件：</p><p>{links}</p></div></body></html>"
    )
    report = extract_report(Page("http://127.0.0.1/a.html", "http://127.0.0.1/a.html", 200, html))
    assert [a.url for a in report.attachments] == ["http://127.0.0.1/uploads/report.pdf"]
