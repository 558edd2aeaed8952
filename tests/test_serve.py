"""`serve`: every route over HTTP (httpx against the ASGI app), the archive made by real polls of
the fixture site; then real `serve` and `run --web` processes on loopback."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from jobs.config import load_config
from tests.conftest import site_config
from tests.procs import Proc, cli, free_port, wait_for
from web.app import create_app

SECTION = "监督工作"


class AppClient:
    """httpx against the ASGI app in this process (starlette.testclient is deprecated over httpx)."""

    def __init__(self, app: object, base_url: str = "http://testserver") -> None:
        self.app, self.base_url = app, base_url

    def get(self, url: str, **kwargs: object) -> httpx.Response:
        return asyncio.run(self._get(url, **kwargs))

    async def _get(self, url: str, **kwargs: object) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as client:
            return await client.get(url, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureServer]:
    with FixtureServer(FixtureSite("modern", validators=False)) as server:
        yield server


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, site: FixtureServer) -> dict:
    """A baseline, a new report, a one-digit edit and a confirmed removal, by the real CLI."""
    folder = tmp_path_factory.mktemp("serve")
    config = folder / "c.toml"
    config.write_text(
        '[crawl]\ndelay = "0s"\nrecheck = "0s"\n[storage]\ndb = "a.db"\n'
        f'[[watch]]\nname = "anyue"\nurl = "{site.url("/")}"\nsection = "{SECTION}"\n',
        encoding="utf-8",
    )
    fixture = site.site
    assert cli(config, "poll").returncode == 0
    added = fixture.add_report(fixture.new_report())
    assert cli(config, "poll").returncode == 0
    edited = fixture.sections[SECTION][3]
    paragraph = next(p for p in edited.paragraphs if re.search(r"\d", p))
    digit = re.search(r"\d", paragraph)
    changed = paragraph[: digit.start()] + str((int(digit.group()) + 1) % 10) + paragraph[digit.end() :]
    fixture.edit_report(edited.slug, paragraphs=[changed if p == paragraph else p for p in edited.paragraphs])
    assert cli(config, "poll").returncode == 0
    removed = fixture.sections[SECTION][-1]
    fixture.remove_report(removed.slug)
    assert cli(config, "poll").returncode == 0 and cli(config, "poll").returncode == 0
    return {"config": config, "added": added, "edited": edited, "removed": removed, "old": digit.group(),
            "new": changed[digit.start()], "edited_text": "\n".join(edited.paragraphs)}  # fmt: skip


@pytest.fixture
def client(story: dict) -> AppClient:
    return AppClient(create_app(load_config(story["config"])), base_url="http://testserver")


def test_reports_page_by_page_cover_every_report_once(client: AppClient) -> None:
    seen, url = [], "/api/reports?limit=7"
    while url:
        page = client.get(url)
        assert page.status_code == 200
        body = page.json()
        seen += [r["id"] for r in body["reports"]]
        assert len(body["reports"]) <= 7
        url = body["next"]
    assert len(seen) == len(set(seen)) == 24, "23 of the site and 1 new, each once"
    first = client.get("/api/reports?limit=1").json()["reports"][0]
    assert set(first) >= {"url", "title", "published", "source", "text", "attachments", "credits", "status",
                          "version", "first_seen", "updated_at", "watch", "id"}  # fmt: skip


def test_reports_filter_by_status_watch_since_and_query(client: AppClient, story: dict) -> None:
    removed = client.get("/api/reports?status=removed").json()["reports"]
    assert [r["title"] for r in removed] == [story["removed"].title]
    assert client.get("/api/reports?watch=anyue&limit=500").json()["reports"].__len__() == 24
    newest = client.get("/api/reports?limit=1").json()["reports"][0]["updated_at"]
    recent = client.get("/api/reports", params={"since": newest}).json()["reports"]
    assert recent and all(r["updated_at"] >= newest for r in recent)
    found = client.get("/api/reports", params={"q": story["added"].title[:6]}).json()["reports"]
    assert found and all(story["added"].title[:6] in r["title"] + r["text"] for r in found) and "snippet" in found[0]
    for bad in ("limit=0", "limit=501", "limit=x", "status=gone", "watch=nosuch", "since=yesterday"):
        answer = client.get(f"/api/reports?{bad}")
        assert answer.status_code == 400 and answer.json()["error"], bad


def test_one_report_with_its_versions_and_events(client: AppClient, story: dict) -> None:
    listed = client.get("/api/reports", params={"q": story["edited"].title}).json()["reports"]
    report = client.get(f"/api/reports/{listed[0]['id']}").json()
    assert report["title"] == story["edited"].title and report["version"] == 2
    assert [v["version"] for v in report["versions"]] == [1, 2]
    assert [e["kind"] for e in report["events"]] == ["new", "changed"]
    assert ["-", story["old"]] in report["events"][1]["changes"]["text"]["inline"]
    assert client.get("/api/reports/999999").status_code == 404


def test_the_feeds_are_valid_atom_newest_first(client: AppClient, story: dict) -> None:
    answer = client.get("/feed.atom")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.content)
    assert feed.bozo is False, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.id == "urn:ayrdw-watch:feed" and feed.feed.title
    assert feed.feed.updated and feed.feed.author
    assert len(feed.entries) == 26, "23 baseline + new + changed + removed"
    kinds = [e.tags[0].term for e in feed.entries]
    assert kinds[:3] == ["removed", "changed", "new"], "newest first"
    for entry in feed.entries:
        assert re.fullmatch(r"urn:ayrdw-watch:anyue:event:\d+", entry.id) and entry.title and entry.updated
        assert entry.link.startswith("http://127.0.0.1:")
    change = feed.entries[1]
    assert "<del" in change.summary and f">{story['old']}</del>" in change.summary
    assert f">{story['new']}</ins>" in change.summary and story["edited"].title in change.title
    assert re.fullmatch(r"chain head anyue: [0-9a-f]{64}", feed.feed.subtitle), "the evidence chain's head"
    one = feedparser.parse(client.get("/w/anyue/feed.atom").content)
    assert one.bozo is False and one.feed.id == "urn:ayrdw-watch:anyue:feed" and len(one.entries) == 26
    assert client.get("/w/nosuch/feed.atom").status_code == 404


def test_feed_links_follow_base_url(story: dict) -> None:
    config = load_config(story["config"])
    from dataclasses import replace

    app = create_app(replace(config, web=replace(config.web, base_url="https://watch.example.org/ayrdw")))
    feed = feedparser.parse(AppClient(app).get("/feed.atom").content)
    assert any(link.href == "https://watch.example.org/ayrdw/feed.atom" for link in feed.feed.links)


def test_healthz_says_what_status_says(client: AppClient, story: dict, site: FixtureServer) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.text == "ok\n"
    assert cli(story["config"], "status").returncode == 0


def test_metrics_are_prometheus_text_from_the_archive(client: AppClient) -> None:
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(answer.text) for s in family.samples}  # fmt: skip
    assert samples[("ayrdw_polls_total", (("result", "ok"), ("watch", "anyue")))] == 5
    assert samples[("ayrdw_events_total", (("kind", "new"), ("watch", "anyue")))] == 24
    assert samples[("ayrdw_events_total", (("kind", "changed"), ("watch", "anyue")))] == 1
    assert samples[("ayrdw_reports", (("status", "removed"), ("watch", "anyue")))] == 1
    assert samples[("ayrdw_reports", (("status", "active"), ("watch", "anyue")))] == 23
    assert samples[("ayrdw_deliveries", (("state", "pending"),))] == 0
    assert samples[("ayrdw_requests_total", (("watch", "anyue"),))] > 30
    assert samples[("ayrdw_bytes_total", (("watch", "anyue"),))] > 10_000
    assert samples[("ayrdw_last_success_timestamp_seconds", (("watch", "anyue"),))] > 1.7e9


def test_basic_auth_covers_everything_but_healthz(story: dict) -> None:
    from dataclasses import replace

    config = load_config(story["config"])
    app = create_app(replace(config, web=replace(config.web, user="reader")), password="s3cret")
    client = AppClient(app)
    for path in ("/api/reports", "/api/reports/1", "/feed.atom", "/metrics"):
        answer = client.get(path)
        assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Basic"), path
    assert client.get("/healthz").status_code == 200
    good = "Basic " + base64.b64encode(b"reader:s3cret").decode()
    bad = "Basic " + base64.b64encode(b"reader:wrong").decode()
    assert client.get("/api/reports", headers={"Authorization": good}).status_code == 200
    assert client.get("/api/reports", headers={"Authorization": bad}).status_code == 401
    assert client.get("/api/reports", headers={"Authorization": "Basic !!!"}).status_code == 401


def test_a_real_serve_process_answers_and_stops_cleanly(story: dict) -> None:
    port = free_port()
    server = Proc(story["config"], "serve", "--port", str(port)).start()
    try:
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/healthz") == 200, what="serve to answer")
        reports = httpx.get(f"http://127.0.0.1:{port}/api/reports?limit=500").json()["reports"]
        assert len(reports) == 24
        feed = feedparser.parse(httpx.get(f"http://127.0.0.1:{port}/feed.atom").content)
        assert feed.bozo is False and f"http://127.0.0.1:{port}/feed.atom" in [link.href for link in feed.feed.links]
    finally:
        code = server.stop(signal.SIGTERM)
    assert code == 0, server.output()
    assert "Traceback" not in server.output()


def test_serve_refuses_an_archive_it_would_have_to_upgrade(tmp_path: Path) -> None:
    import shutil

    from tests.conftest import ROOT

    shutil.copy(ROOT / "tests/fixtures/archive-0.5.1.db", tmp_path / "old.db")
    config = tmp_path / "c.toml"
    config.write_text('[storage]\ndb = "old.db"\n')
    done = cli(config, "serve", "--port", str(free_port()), timeout=30)
    assert done.returncode == 1 and "needs upgrading" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_run_with_web_serves_from_the_service(tmp_path: Path, site: FixtureServer) -> None:
    port = free_port()
    config = tmp_path / "c.toml"
    config.write_text(site_config(site) + '[storage]\ndb = "r.db"\n[web]\nport = 1\n', encoding="utf-8")
    service = Proc(config, "run", "--web", f"127.0.0.1:{port}").start()
    try:
        wait_for(lambda: service.polls(), what="the first poll")
        answer = httpx.get(f"http://127.0.0.1:{port}/api/reports?limit=500")
        assert answer.status_code == 200 and len(answer.json()["reports"]) >= 23
        assert _get(f"http://127.0.0.1:{port}/healthz") == 200
    finally:
        code = service.stop(signal.SIGTERM)
    assert code == 0, service.output()


def test_web_config_mistakes_and_the_open_door_warning(tmp_path: Path, site: FixtureServer) -> None:
    config = tmp_path / "c.toml"
    config.write_text(site_config(site) + '[web]\nuser = "reader"\npassword_env = "NO_SUCH_WEB_PASSWORD"\n')
    done = cli(config, "run", "--web", "127.0.0.1:1")
    assert done.returncode == 2 and "NO_SUCH_WEB_PASSWORD is not set" in done.stderr
    assert cli(config, "run", "--web", "nonsense").returncode == 2
    config.write_text(site_config(site) + '[storage]\ndb = "w.db"\n')
    assert cli(config, "poll").returncode == 0
    port = free_port()
    server = Proc(config, "serve", "--host", "0.0.0.0", "--port", str(port)).start()
    try:
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/healthz") in (200, 503), what="serve")
    finally:
        server.stop()
    warnings = [line for line in server.output().splitlines() if "no [web] user" in line]
    assert len(warnings) == 1 and "0.0.0.0" in warnings[0]


def _get(url: str) -> int:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return 0


def test_healthz_is_503_with_the_reason_status_gives(tmp_path: Path) -> None:
    import json

    config = tmp_path / "c.toml"
    config.write_text(f'[site]\nurl = "http://127.0.0.1:{free_port()}/"\n[crawl]\ndelay = "0s"\nretries = 0\n'
                      '[storage]\ndb = "down.db"\n')  # fmt: skip
    assert cli(config, "poll").returncode == 1, "nobody listens there"
    status = cli(config, "status", "--json")
    assert status.returncode == 1
    reason = json.loads(status.stdout)["problems"][0]
    answer = AppClient(create_app(load_config(config))).get("/healthz")
    assert answer.status_code == 503 and answer.text == f"unhealthy: {reason}\n"


def test_a_thousand_watches_page_the_overview_and_status_says_how_many(tmp_path: Path) -> None:
    """With many watches the overview shows them a page at a time; `status --json` stays quick."""
    from web.pages import WATCHES_PER_PAGE

    watches = "".join(
        f'[[watch]]\nname = "w{i:04d}"\nurl = "http://127.0.0.{2 + i % 200}/"\nsection = "{SECTION}"\n'
        for i in range(1000)
    )
    config_path = tmp_path / "many.toml"
    config_path.write_text(
        f'[crawl]\nretries = 0\ntimeout = "2s"\n[storage]\ndb = "{tmp_path / "a.db"}"\n{watches}', encoding="utf-8"
    )
    assert cli(config_path, "poll", "--watch", "w0000").returncode in (0, 1)  # creates the archive (w0000 fails)
    client = AppClient(create_app(load_config(config_path)))
    first = client.get("/")
    assert first.status_code == 200
    assert first.text.count('class="panel card"') == WATCHES_PER_PAGE and "共 1000 个监测" in first.text
    assert 'href="?page=2"' in first.text, "the next page of watches"
    last = client.get(f"/?page={1000 // WATCHES_PER_PAGE + 1}")
    assert last.text.count('class="panel card"') == 1000 % WATCHES_PER_PAGE and "下一页" not in last.text
    status = cli(config_path, "status", "--json")
    assert len(json.loads(status.stdout)["watches"]) == 1000
