"""The fixture site works over real HTTP: every layout serves its pages, validators, noise and faults."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from fixturesite import LAYOUTS, FixtureReport, FixtureServer, FixtureSite
from fixturesite.content import GBK_TITLE, LONG_TITLE, SEED_TITLE

SECTION = "监督工作"


@pytest.fixture(params=sorted(LAYOUTS))
def site(request: pytest.FixtureRequest) -> FixtureSite:
    return FixtureSite(request.param)


@pytest.fixture
def server(site: FixtureSite) -> Iterator[FixtureServer]:
    with FixtureServer(site) as srv:
        yield srv


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as c:
        yield c


def decode(resp: httpx.Response) -> str:
    """Charset from the header, else gb18030 (the table-gbk site only declares it in a <meta>)."""
    return resp.content.decode("utf-8" if "utf-8" in resp.headers.get("content-type", "") else "gb18030")


def visible_lines(html: str) -> list[str]:
    """The page's visible text, one trimmed non-empty line per block/line break."""
    tree = HTMLParser(html)
    for node in tree.css("script, style"):
        node.decompose()
    text = tree.body.text(separator="\n") if tree.body else ""
    lines = (re.sub(r"\s+", " ", line).strip() for line in text.split("\n"))
    return [line for line in lines if line]


def links(html: str, page_url: str) -> list[tuple[str, str]]:
    """(absolute url, link text) of every <a href> that is not javascript:."""
    out = []
    for a in HTMLParser(html).css("a[href]"):
        href = a.attributes.get("href") or ""
        if not href.startswith("javascript"):
            out.append((urljoin(page_url, href), a.text(strip=True)))
    return out


def seed(site: FixtureSite) -> FixtureReport:
    return next(r for r in site.sections[SECTION] if r.title == SEED_TITLE)


# --- content ---------------------------------------------------------------------------------------------


def test_content_is_deterministic_and_has_the_awkward_cases() -> None:
    a, b = FixtureSite("modern"), FixtureSite("modern")
    assert a.sections == b.sections
    reports = a.sections[SECTION]
    assert len(reports) == 23 and a.page_count() == 3
    assert [r.published for r in reports] == sorted((r.published for r in reports), reverse=True)
    assert len({r.slug for rs in a.sections.values() for r in rs}) == sum(map(len, a.sections.values()))
    assert len(a.sections) >= 4
    titles = [r.title for r in reports]
    assert GBK_TITLE in titles and LONG_TITLE in titles and len(LONG_TITLE) > 40
    assert any(set("（）《》“”") <= set(t) for t in titles)
    assert any(r.source is None for r in reports)
    assert any(r.attachments for r in reports)
    assert any(set(r.credits) < {"contributor", "editor", "reviewer", "approver"} for r in reports)
    assert all(4 <= len(r.paragraphs) <= 12 for r in reports if r.title != SEED_TITLE)


def test_seed_report_is_the_real_one() -> None:
    s = FixtureSite("trs")
    r = seed(s)
    assert (r.published, r.source, r.attachments) == ("2022-12-02", "县监察委员会", [])
    assert r.paragraphs[0] == "安岳县监察委员会" and r.paragraphs[1] == SEED_TITLE
    assert r.paragraphs[3] == "县监察委员会主任 金家文"
    assert r.paragraphs[-1].startswith("(五)加强队伍自身建设")
    assert all(p == p.strip() and "\xa0" not in p and "  " not in p for p in r.paragraphs)
    url = "http://x.test" + s.report_path(r.slug)
    exp = r.expected(url)
    assert exp["credits"] == {
        "contributor": "县监察委员会",
        "editor": "易钊颉",
        "reviewer": "鲁超",
        "approver": "罗亮",
    }
    assert exp["text"] == "\n".join(r.paragraphs) and exp["attachments"] == []
    with_files = next(x for x in s.sections[SECTION] if x.attachments)
    name, path = with_files.attachments[0]
    assert with_files.expected(url)["attachments"][0] == {"name": name, "url": "http://x.test" + path}


# --- serving -----------------------------------------------------------------------------------------


def test_every_page_is_served_and_listed_once(site: FixtureSite, server: FixtureServer, client: httpx.Client):
    home = client.get(server.url("/"), follow_redirects=True)
    assert home.status_code == 200 and urlsplit(str(home.url)).path == urlsplit(server.url(site.home_path())).path
    nav = [url for url, text in links(decode(home), str(home.url)) if text == SECTION]
    assert server.url(site.list_path(1)) in nav

    report_urls = {server.url(site.report_path(r.slug)): r for r in site.sections[SECTION]}
    seen: list[str] = []
    for page in range(1, site.page_count() + 1):
        url = server.url(site.list_path(page))
        resp = client.get(url)
        assert resp.status_code == 200, url
        on_page = [u for u, _ in links(decode(resp), url) if u in report_urls]
        assert len(on_page) == len(set(on_page)) == len(site.page_items(SECTION, page))
        seen += on_page
    assert sorted(seen) == sorted(report_urls)  # each report exactly once, on exactly one page
    assert seen == [server.url(site.report_path(r.slug)) for r in site.sections[SECTION]]  # newest first

    for url, report in report_urls.items():
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert report.title in decode(resp)
    assert client.get(server.url("/no/such/page.html")).status_code == 404


def test_seed_page_shows_every_field(site: FixtureSite, server: FixtureServer, client: httpx.Client):
    r = seed(site)
    lines = visible_lines(decode(client.get(server.url(site.report_path(r.slug)))))
    text = "\n".join(lines)
    for paragraph in r.paragraphs:
        assert paragraph in lines, paragraph
    squeezed = "".join(text.split())
    for needle in (
        "您现在的位置",
        "首页>>监督工作",
        "发布时间",
        "2022-12-02",
        "来源",
        "【打印本稿】【关闭】",
    ):
        assert needle in squeezed
    assert "相关附件" in text and "字号" in text
    assert "蜀ICP备18018333号" in text and "028-24522373" in text and "Copyright" in text
    for label, name in (("供稿", "县监察委员会"), ("编辑", "易钊颉"), ("审核", "鲁超"), ("终审", "罗亮")):
        assert re.search(label + "[:：]" + name, squeezed), label


def test_gbk_layout_is_gbk_under_a_gb2312_label(client: httpx.Client) -> None:
    site = FixtureSite("table-gbk")
    report = next(r for r in site.sections[SECTION] if r.title == GBK_TITLE)
    with FixtureServer(site) as server:
        first = client.get(server.url("/"))
        assert first.status_code == 302 and first.headers["location"] == "/web/index.asp"
        resp = client.get(server.url(site.report_path(report.slug)))
        listing = client.get(server.url(site.list_path(1)))
    assert resp.headers["content-type"] == "text/html"
    assert b'charset=gb2312"' in resp.content
    with pytest.raises(UnicodeDecodeError):
        resp.content.decode("gb2312")
    html = resp.content.decode("gb18030")
    for ch in "镕喆堃昇":
        assert ch in html
    assert GBK_TITLE in html and "陈&nbsp;&nbsp;&nbsp;&nbsp;喆" in html
    page = listing.content.decode("gb18030")
    assert "下一页</a>" in page and "共23条记录" in page and "热点文章" in page


def test_layout_specific_traps(client: httpx.Client) -> None:
    trs, modern = FixtureSite("trs"), FixtureSite("modern")
    with FixtureServer(trs) as server:
        home = decode(client.get(server.url("/")))
        listing = decode(client.get(server.url(trs.list_path(1))))
        assert 'href="./jdgz/"' in home and "人大监督工作专题" in home
        assert 'createPageHTML(3, 0, "index", "html")' in listing
        assert not [text for _, text in links(listing, server.url("/jdgz/")) if text in ("下一页", "2", "尾页")]
        assert client.get(server.url(trs.list_path(3))).status_code == 200
        assert client.get(server.url("/jdgz/index_3.html")).status_code == 404
        paths = [trs.report_path(r.slug) for r in trs.sections[SECTION]]
        assert any(
            f"/t{r.published.replace('-', '')}_" not in p for r, p in zip(trs.sections[SECTION], paths, strict=True)
        )
    with FixtureServer(modern) as server:
        home = HTMLParser(decode(client.get(server.url("/"))))
        dropdown_links = [a.text() for a in home.css("li.dropdown ul.submenu a")]
        assert SECTION in dropdown_links and "人大监督工作专题" in home.html
        listing = decode(client.get(server.url(modern.list_path(1))))
        assert LONG_TITLE[:20] + "…" in listing and "共3页" in listing and "尾页</a>" in listing


# --- validators and noise ---------------------------------------------------------------------------


def test_noise_changes_etag_does_not(site: FixtureSite, server: FixtureServer, client: httpx.Client):
    r = seed(site)
    url = server.url(site.report_path(r.slug))
    one, two = client.get(url), client.get(url)
    assert one.content != two.content
    assert visible_lines(decode(one)) != visible_lines(decode(two))  # the counter moved
    assert one.headers["etag"] == two.headers["etag"]
    assert one.headers["last-modified"] == two.headers["last-modified"]
    assert client.get(url, headers={"If-None-Match": one.headers["etag"]}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": one.headers["last-modified"]}).status_code == 304

    site.edit_report(r.slug, paragraphs=[*r.paragraphs, "（本文有更新）"])
    three = client.get(url, headers={"If-None-Match": one.headers["etag"]})
    assert three.status_code == 200 and three.headers["etag"] != one.headers["etag"]
    assert "（本文有更新）" in decode(three)
    assert client.get(url, headers={"If-Modified-Since": one.headers["last-modified"]}).status_code == 200

    home = server.url(site.home_path())
    a, b = client.get(home), client.get(home)
    assert a.content != b.content and a.headers["etag"] == b.headers["etag"]


def test_no_validators_never_304(client: httpx.Client) -> None:
    site = FixtureSite("modern", validators=False, noise=False)
    with FixtureServer(site) as server:
        url = server.url(site.list_path(1))
        first = client.get(url)
        again = client.get(url, headers={"If-None-Match": '"x"', "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"})
    assert "etag" not in first.headers and "last-modified" not in first.headers
    assert again.status_code == 200 and again.content == first.content


# --- mutations ------------------------------------------------------------------------------------------


def test_add_edit_remove_unlist(site: FixtureSite, server: FixtureServer, client: httpx.Client):
    reports = site.sections[SECTION]
    gone, soft, moved, home_bound, hidden = (r.slug for r in reports[3:8])
    site.remove_report(gone)
    site.remove_report(soft, how="soft")
    site.remove_report(moved, how="410")
    site.remove_report(home_bound, how="home")
    site.unlist_report(hidden)
    assert client.get(server.url(site.report_path(gone))).status_code == 404
    assert client.get(server.url(site.report_path(moved))).status_code == 410
    soft_resp = client.get(server.url(site.report_path(soft)))
    assert soft_resp.status_code == 200 and "您访问的页面不存在" in decode(soft_resp)
    redirect = client.get(server.url(site.report_path(home_bound)))
    assert redirect.status_code == 302 and redirect.headers["location"] == site.home_path()
    assert client.get(server.url(site.report_path(hidden))).status_code == 200

    fresh = site.add_report(site.new_report(title="关于新近发布的监督报告"))
    assert site.sections[SECTION][0] is fresh
    listing = client.get(server.url(site.list_path(1)))
    urls = [u for u, _ in links(decode(listing), str(listing.url))]
    assert urls.index(server.url(site.report_path(fresh.slug))) >= 0
    all_listed = set()
    for page in range(1, site.page_count() + 1):
        resp = client.get(server.url(site.list_path(page)))
        all_listed |= {u for u, _ in links(decode(resp), str(resp.url))}
    for slug in (gone, soft, moved, home_bound, hidden):
        assert server.url(site.report_path(slug)) not in all_listed
    assert client.get(server.url(site.report_path(fresh.slug))).status_code == 200


# --- faults ---------------------------------------------------------------------------------------------


def test_fail_once_then_recover(site: FixtureSite, server: FixtureServer, client: httpx.Client):
    url = server.url(site.list_path(1))
    site.fail(site.list_path(1), 503)
    assert client.get(url).status_code == 503
    assert client.get(url).status_code == 200
    site.fail("/", 500, times=2)
    assert [client.get(url).status_code for _ in range(3)] == [500, 500, 200]

    site.timeout_sleep = 0.6
    site.fail(site.list_path(1), "timeout")
    with pytest.raises(httpx.ReadTimeout):
        client.get(url, timeout=0.2)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("kind", "status", "server_header", "cookie", "marker"),
    [
        ("jiasule", 521, "jiasule-waf", "__jsluid_h=", "document.cookie"),
        ("ruishu", 412, "nginx", "FSSBBIl1UgzbN7N80S=", "$_ts"),
        ("safedog", 200, "Safedog", "safedog-flow-item=", "WebShieldSessionVerify"),
    ],
)
def test_challenges(client: httpx.Client, kind: str, status: int, server_header: str, cookie: str, marker: str):
    site = FixtureSite("trs")
    with FixtureServer(site) as server:
        site.challenge = kind
        resp = client.get(server.url(site.list_path(1)))
        assert resp.status_code == status and resp.headers["server"] == server_header
        assert resp.headers["set-cookie"].startswith(cookie) and marker in resp.text
        site.challenge = None
        assert client.get(server.url(site.list_path(1))).status_code == 200


def test_robots_attachments_and_request_log(site: FixtureSite, server: FixtureServer, client: httpx.Client):
    robots = client.get(server.url("/robots.txt"))
    assert robots.status_code == 200 and "Disallow: /admin/" in robots.text
    report = next(r for r in site.sections[SECTION] if r.attachments)
    page = decode(client.get(server.url(site.report_path(report.slug))))
    for name, path in report.attachments:
        assert name in page
        resp = client.get(server.url(path))
        assert resp.status_code == 200 and resp.content
    site.reset_log()
    client.get(server.url(site.home_path()), headers={"User-Agent": "probe/1"})
    client.head(server.url(site.home_path()))
    assert [(r.method, r.status) for r in site.requests] == [("GET", 200), ("HEAD", 200)]
    assert site.requests[0].headers["user-agent"] == "probe/1" and site.requests[1].bytes_sent == 0
