"""The polite client against a real local HTTP server (pytest-httpserver)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from crawler.errors import BlockedError, FetchError, OffSiteError, RobotsDisallowed, TooLargeError
from crawler.fetch import Fetcher, FetchSettings, private

HTML = "<html><body><p>安岳县人大常委会 监督工作</p></body></html>"


@pytest.fixture
def fetcher(fast_settings: FetchSettings):
    with Fetcher(fast_settings) as f:
        yield f


def test_sends_our_user_agent_and_decodes(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/p", headers={"User-Agent": "ayrdw-watch-tests/1.0"}).respond_with_data(
        HTML.encode("gbk"), content_type="text/html; charset=gbk"
    )
    page = fetcher.get(httpserver.url_for("/p"))
    assert page.status == 200 and "监督工作" in page.text and page.encoding == "gb18030"


def test_waits_the_delay_between_requests(httpserver: HTTPServer, fast_settings: FetchSettings) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/p").respond_with_data(HTML, content_type="text/html")
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    with Fetcher(replace(fast_settings, delay=0.3), sleep=sleep) as f:
        started = time.monotonic()
        for _ in range(3):
            f.get(httpserver.url_for("/p"))
        elapsed = time.monotonic() - started
    # robots.txt + 3 pages = 4 requests, so 3 pauses of (up to) 0.3 s each.
    assert len(slept) == 3 and all(0 < s <= 0.3 for s in slept)
    assert elapsed >= 0.8


def test_robots_txt_is_honoured_and_read_once(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /admin/\n")
    httpserver.expect_request("/ok").respond_with_data(HTML, content_type="text/html")
    fetcher.get(httpserver.url_for("/ok"))
    with pytest.raises(RobotsDisallowed, match=r"disallowed by robots\.txt"):
        fetcher.get(httpserver.url_for("/admin/secret"))
    fetcher.get(httpserver.url_for("/ok"))
    robots_requests = [r for r, _ in httpserver.log if r.path == "/robots.txt"]
    assert len(robots_requests) == 1
    assert not any(r.path.startswith("/admin") for r, _ in httpserver.log)


def test_retries_a_503_honouring_retry_after(httpserver: HTTPServer, fast_settings: FetchSettings) -> None:
    calls = {"n": 0}

    def flaky(request: Request) -> Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return Response("busy", status=503, headers={"Retry-After": "1"})
        return Response(HTML, content_type="text/html")

    httpserver.expect_request("/p").respond_with_handler(flaky)
    slept: list[float] = []
    with Fetcher(fast_settings, sleep=slept.append) as f:
        page = f.get(httpserver.url_for("/p"))
    assert page.status == 200 and calls["n"] == 2
    assert max(slept) >= 1.0  # Retry-After: 1 beats the 10 ms backoff


def test_gives_up_after_the_configured_retries(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/p").respond_with_data("down", status=503)
    with pytest.raises(FetchError, match="HTTP 503") as err:
        fetcher.get(httpserver.url_for("/p"))
    assert err.value.status == 503
    assert sum(1 for r, _ in httpserver.log if r.path == "/p") == 3  # 1 + retries=2


def test_a_timeout_is_a_one_line_error(httpserver: HTTPServer, fast_settings: FetchSettings) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.6)
        return Response(HTML, content_type="text/html")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with Fetcher(replace(fast_settings, timeout=0.2, retries=1)) as f, pytest.raises(FetchError) as err:
        f.get(httpserver.url_for("/slow"))
    assert "timed out after 0.2s" in str(err.value) and "\n" not in str(err.value)


def test_response_over_max_bytes_is_cut_off(httpserver: HTTPServer, fast_settings: FetchSettings) -> None:
    def big(request: Request) -> Response:
        def chunks():
            for _ in range(100):
                yield b"x" * 10_000

        return Response(chunks(), content_type="text/html")  # streamed, no Content-Length

    httpserver.expect_request("/big").respond_with_handler(big)
    with Fetcher(replace(fast_settings, max_bytes=50_000)) as f, pytest.raises(TooLargeError, match="max_bytes"):
        f.get(httpserver.url_for("/big"))


def test_redirects_stay_on_the_site(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/").respond_with_data("", status=302, headers={"Location": "/web/index.html"})
    httpserver.expect_request("/web/index.html").respond_with_data(HTML, content_type="text/html")
    page = fetcher.get(httpserver.url_for("/"))
    assert page.final_url == httpserver.url_for("/web/index.html") and page.redirected
    off_site = httpserver.url_for("/x").replace("localhost", "127.0.0.1")
    httpserver.expect_request("/away").respond_with_data("", status=302, headers={"Location": off_site})
    with pytest.raises(OffSiteError, match="redirected off the site"):
        fetcher.get(httpserver.url_for("/away"))


def test_conditional_request_gets_304(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/p", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    httpserver.expect_request("/p").respond_with_data(HTML, content_type="text/html", headers={"ETag": '"v1"'})
    first = fetcher.get(httpserver.url_for("/p"))
    again = fetcher.get(httpserver.url_for("/p"), etag=first.etag)
    assert first.etag == '"v1"' and again.not_modified and again.text == ""


@pytest.mark.parametrize(
    ("status", "headers", "body", "waf"),
    [
        (
            521,
            {"Server": "jiasule-waf", "Set-Cookie": "__jsluid_h=abc"},
            "<script>document.cookie='x'</script>",
            "加速乐",
        ),
        (412, {}, "<html><script>var $_ts=window['$_ts'];</script></html>", "瑞数"),
        (200, {"Server": "Safedog"}, "<html><script>location.reload()</script></html>", "安全狗"),
        (200, {}, '<html><body><img src="/ks-waf-error.png"></body></html>', "知道创宇"),
    ],
)
def test_challenge_pages_are_recognised_and_asked_again_only_with_a_cookie_to_send(
    httpserver: HTTPServer, fetcher: Fetcher, status: int, headers: dict, body: str, waf: str
) -> None:
    httpserver.expect_request("/p").respond_with_data(body, status=status, headers=headers, content_type="text/html")
    with pytest.raises(BlockedError, match="challenge page") as err:
        fetcher.get(httpserver.url_for("/p"))
    assert err.value.waf == waf
    asked = sum(1 for r, _ in httpserver.log if r.path == "/p")
    assert asked == (2 if "Set-Cookie" in headers else 1), "once more with the cookie it set, never more"
    if asked == 2:
        assert "__jsluid_h=abc" in httpserver.log[-1][0].headers.get("Cookie", "")
        assert "still there when asked again with the cookies it set" in str(err.value)


def test_a_page_of_another_site_is_read_only_when_the_list_links_to_it(
    httpserver: HTTPServer, fetcher: Fetcher
) -> None:
    httpserver.expect_request("/").respond_with_data(HTML, content_type="text/html")
    httpserver.expect_request("/county/1.html").respond_with_data(HTML, content_type="text/html")
    fetcher.get(httpserver.url_for("/"))  # the watched site: localhost
    other = httpserver.url_for("/county/1.html").replace("localhost", "127.0.0.1")
    with pytest.raises(OffSiteError, match="not on the site"):
        fetcher.get(other)
    assert fetcher.get(other, listed=True).status == 200


def test_private_addresses_are_told_apart() -> None:
    assert private("127.0.0.1") and private("10.1.2.3") and private("192.168.0.1") and private("localhost")
    assert private("169.254.169.254") and private("::1")
    assert not private("www.ayrdw.gov.cn") and not private("8.8.8.8")


def test_a_real_page_behind_safedog_is_not_a_challenge(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    page_html = "<html><body>" + "<p>监督工作报告正文内容。</p>" * 40 + "<script>stats()</script></body></html>"
    httpserver.expect_request("/p").respond_with_data(
        page_html, headers={"Server": "Safedog"}, content_type="text/html"
    )
    assert fetcher.get(httpserver.url_for("/p")).status == 200


def test_not_found_is_returned_for_the_caller_to_judge(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/gone").respond_with_data("<p>页面不存在</p>", status=404, content_type="text/html")
    assert fetcher.get(httpserver.url_for("/gone")).status == 404
