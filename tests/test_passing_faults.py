"""Faults that pass: a JavaScript cookie challenge answered with HTTP 200, a list page served
empty for a moment. The first poll must not fail on them (a first poll that fails announces
nothing), and what cannot be passed without running a script is reported, never parsed.

The fixture site's cookie challenge is a tiny 200 page whose script sets ``ayrdw_clr`` and
reloads, as a WAF does; the site lets in only requests that carry that cookie.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite

DELAY = 0.3


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(FixtureSite("trs")) as served:
        yield served


def config(server: FixtureServer, tmp_path: Path) -> str:
    return (
        f'[site]\nurl = "{server.base_url}/"\n[crawl]\ndelay = "{DELAY}s"\nretry_backoff = "10ms"\n'
        f'[storage]\ndb = "{tmp_path / "watch.db"}"\n'
    )


def requests_to(server: FixtureServer, path: str) -> list:
    return [r for r in server.site.requests if r.path == path]


def test_a_list_page_answering_once_with_a_literal_cookie_challenge_is_read_with_that_cookie(
    server: FixtureServer, tmp_path: Path, run_cli
) -> None:
    page2 = server.site.list_path(2)
    token = server.site.cookie_challenge(page2)
    polled = run_cli("poll", config=config(server, tmp_path), timeout=120)
    assert polled.code == 0, polled.stderr
    assert " new=23 " in polled.stdout, "the first poll stored every report: none is lost to the challenge"
    first, second = requests_to(server, page2)
    assert f"ayrdw_clr={token}" not in first.headers.get("cookie", "")
    assert f"ayrdw_clr={token}" in second.headers.get("cookie", ""), "asked again with the cookie the page set"
    assert second.started - first.ended >= DELAY * 0.9, "after the polite delay"
    later = [r for r in server.site.requests if r.started > second.started and r.path.startswith("/")]
    assert all(f"ayrdw_clr={token}" in r.headers.get("cookie", "") for r in later), "kept for the host"


def test_a_cookie_computed_by_a_script_stays_a_reported_challenge(
    server: FixtureServer, tmp_path: Path, run_cli
) -> None:
    page2 = server.site.list_path(2)
    server.site.cookie_challenge(page2, "computed")
    polled = run_cli("poll", config=config(server, tmp_path), timeout=120)
    assert polled.code == 1
    line = "challenge page (JS cookie, HTTP 200; its cookie is computed by a script, which is never run)"
    assert line in polled.stderr, polled.stderr
    assert len(requests_to(server, page2)) == 1, "no retry: nothing to send back without running the script"


def test_a_challenge_still_there_after_its_cookie_was_sent_is_reported(
    server: FixtureServer, tmp_path: Path, run_cli
) -> None:
    server.site.cookie_challenge(server.site.list_path(2), "unrelenting")
    polled = run_cli("poll", config=config(server, tmp_path), timeout=120)
    assert polled.code == 1
    assert "still there when asked again with the cookies it set" in polled.stderr, polled.stderr
    assert len(requests_to(server, server.site.list_path(2))) == 2, "retried once, not more"


def test_a_list_page_served_empty_once_is_read_again_after_the_delay(
    server: FixtureServer, tmp_path: Path, run_cli
) -> None:
    page1 = server.site.list_path(1)
    server.site.fail(page1, "empty", times=1)
    polled = run_cli("poll", config=config(server, tmp_path), timeout=120)
    assert polled.code == 0, polled.stderr
    assert " new=23 " in polled.stdout
    first, second = requests_to(server, page1)[:2]
    assert second.started - first.ended >= DELAY * 0.9


def test_a_list_page_served_empty_twice_fails_the_poll_loudly(server: FixtureServer, tmp_path: Path, run_cli) -> None:
    page1 = server.site.list_path(1)
    server.site.fail(page1, "empty", times=2)
    polled = run_cli("poll", config=config(server, tmp_path), timeout=120)
    assert polled.code == 1
    assert "no items found on the list page" in polled.stderr, polled.stderr
    assert len(requests_to(server, page1)) == 2


def test_extract_passes_a_literal_cookie_challenge_on_a_report_page(server: FixtureServer, run_cli) -> None:
    report = server.site.sections["监督工作"][0]
    path = server.site.report_path(report.slug)
    server.site.cookie_challenge(path)
    done = run_cli("extract", server.url(path), config=config(server, Path(".")))
    assert done.code == 0, done.stderr
    assert report.title in done.stdout
