"""Many watches on one process: polls of different hosts run at the same moment, one host never
gets two requests at once nor less than the delay between them, the polls are spread over the
interval (at start and after a pause), and a poll that overruns its interval is not stacked --
the service in this process against fixture sites on loopback addresses of their own."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import sqlite3
import time
from pathlib import Path

import pytest

from domain.times import iso, utcnow
from domain.watch import Watch
from fixturesite.model import RequestRecord
from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from jobs.config import Config, config_from_dict
from jobs.dispatch import host_of, spread
from jobs.service import Service
from jobs.watchers import open_writer
from storage.archive import Archive
from storage.db import open_db
from tests.procs import wait_for

DELAY = 0.05


def make_config(tmp_path: Path, watches: list[tuple[str, str, str]], interval: str, **crawl: object) -> Config:
    return config_from_dict(
        {
            "crawl": {"delay": f"{DELAY}s", "retry_backoff": "10ms", **crawl},
            "schedule": {"interval": interval},
            "storage": {"db": str(tmp_path / "w.db")},
            "watch": [{"name": name, "url": url, "section": section} for name, url, section in watches],
        }
    )


def polls(tmp_path: Path) -> list[tuple[str, float, float | None]]:
    """(watch, started, finished) of every poll, in seconds since the epoch."""
    with sqlite3.connect(tmp_path / "w.db") as conn:
        rows = conn.execute("SELECT watch, started_at, finished_at FROM polls ORDER BY id").fetchall()
    stamp = lambda at: dt.datetime.fromisoformat(at).timestamp() if at else None  # noqa: E731
    return [(watch, stamp(started) or 0.0, stamp(finished)) for watch, started, finished in rows]


def overlapping(a: list[RequestRecord], b: list[RequestRecord]) -> int:
    return sum(1 for x in a for y in b if x.started < y.ended and y.started < x.ended)


def run_service(config: Config, seconds_or_until: object) -> Service:
    writer = open_writer(config, "run", iso(utcnow()))
    service = Service(config, writer)
    service.start()
    try:
        if callable(seconds_or_until):
            wait_for(seconds_or_until, 60, "the polls")
        else:
            time.sleep(float(seconds_or_until))  # type: ignore[arg-type]
    finally:
        service.shutdown()
        writer.close()
    return service


def test_two_hosts_are_polled_at_the_same_moment_and_one_host_never_gets_two_requests_at_once(
    tmp_path: Path,
) -> None:
    a, b = FixtureSite("trs", reports_per_section=10), FixtureSite("modern", reports_per_section=10)
    a.latency = b.latency = 0.03  # each answer takes a moment: requests to two hosts overlap in time
    with FixtureServer(a, host="127.0.0.2") as on_a, FixtureServer(b, host="127.0.0.3") as on_b:
        watches = [
            ("a-jdgz", on_a.url("/"), "监督工作"),
            ("a-dbgz", on_a.url("/"), "代表工作"),  # a second watch on host a: they take turns
            ("b-jdgz", on_b.url("/"), "监督工作"),
        ]
        config = make_config(tmp_path, watches, interval="3s", hosts_in_parallel=4)  # first polls 1 s apart
        run_service(config, lambda: {w for w, _, end in polls(tmp_path) if end} >= {"a-jdgz", "a-dbgz", "b-jdgz"})
    for site in (a, b):
        assert site.max_in_flight == 1, "never two requests in flight to one host"
        gaps = [later.started - earlier.ended for earlier, later in zip(site.requests, site.requests[1:], strict=False)]
        assert min(gaps) >= DELAY * 0.9, f"the delay between two requests to one host: {min(gaps):.3f}s"
    assert overlapping(a.requests, b.requests) >= 3, "the two hosts were served at the same moment"
    archive = Archive(open_db(tmp_path / "w.db"))
    checked, broken = archive.evidence.verify([])
    archive.close()
    assert broken is None and checked > 30, "three watches wrote at once: every chain link is whole and in order"
    spans = {w: (s, e) for w, s, e in reversed(polls(tmp_path))}  # each watch's first poll
    (s1, e1), (s2, e2) = spans["a-jdgz"], spans["a-dbgz"]
    assert e1 is not None and e2 is not None and (e1 <= s2 or e2 <= s1), "one poll at a time per host"


def test_first_polls_are_spread_over_the_interval_hosts_interleaved() -> None:
    watches = [Watch(name=f"w{i}", url=f"http://127.0.0.{2 + i % 3}/", section="监督工作") for i in range(6)]
    offsets = spread(watches, lambda w: 600.0)
    assert sorted(offsets.values()) == [0.0, 100.0, 200.0, 300.0, 400.0, 500.0], "evenly, the first at once"
    order = sorted(watches, key=lambda w: offsets[w.name])
    hosts = [host_of(w) for w in order]
    assert all(x != y for x, y in itertools.pairwise(hosts)), "consecutive slots go to different hosts"


def test_polls_fire_spread_at_start_and_after_a_pause_never_together(tmp_path: Path) -> None:
    sites = [FixtureSite("trs", reports_per_section=3, noise=False) for _ in range(4)]
    servers = [FixtureServer(site, host=f"127.0.0.{2 + i}").start() for i, site in enumerate(sites)]

    def first_requests_since(moment: float) -> list[float]:
        """When each host (one watch each) was first asked after ``moment``, sorted."""
        return sorted(min(r.started for r in site.requests if r.started >= moment) - moment for site in sites)

    try:
        watches = [(f"w{i}", server.url("/"), "监督工作") for i, server in enumerate(servers)]
        config = make_config(tmp_path, watches, interval="4s", delay="0s")
        writer = open_writer(config, "run", iso(utcnow()))
        service = Service(config, writer)
        began = time.monotonic()
        service.start()
        try:
            wait_for(lambda: all(site.requests for site in sites), 30, "a poll of every watch")
            first = first_requests_since(began)
            service.scheduler.pause()  # as if the machine slept through two intervals
            time.sleep(9)
            resumed = time.monotonic()
            service.scheduler.resume()
            wait_for(lambda: all(r.started >= resumed for s in sites for r in s.requests[-1:]), 30, "polls again")
            after = first_requests_since(resumed)
        finally:
            service.shutdown()
            writer.close()
    finally:
        for server in servers:
            server.stop()
    # offsets 0, 1, 2, 3 s: never four at once
    assert first[0] < 0.5 and all(1 - 0.3 < b - a < 1 + 0.3 for a, b in itertools.pairwise(first)), first
    assert after[-1] - after[0] > 2.0, f"after the pause the missed polls are not fired together: {after}"


def test_a_poll_that_overruns_its_interval_is_coalesced_not_stacked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site = FixtureSite("trs", reports_per_section=8, noise=False)
    site.latency = 0.15  # the baseline takes about 3 s; the interval is 1 s
    with FixtureServer(site, host="127.0.0.2") as server, caplog.at_level(logging.INFO, "ayrdw.service"):
        config = make_config(tmp_path, [("slow", server.url("/"), "监督工作")], interval="1s", delay="0s")
        run_service(config, 6)
    runs = polls(tmp_path)
    assert 1 <= len(runs) <= 4, runs
    for (_, _, ended), (_, started, _) in itertools.pairwise(runs):
        assert ended is not None and started >= ended - 0.01, "a watch's polls never overlap"
    assert any("its last poll is still running" in r.getMessage() for r in caplog.records)
    assert site.max_in_flight == 1


def test_a_host_s_crawl_delay_holds_for_all_its_watches_polling_at_once(tmp_path: Path) -> None:
    site = FixtureSite("trs", reports_per_section=4, noise=False)
    site.robots = b"User-agent: *\nCrawl-delay: 0.4\n"
    with FixtureServer(site, host="127.0.0.2") as server:
        watches = [(f"w-{key}", server.url("/"), name) for key, name in (("jdgz", "监督工作"), ("dbgz", "代表工作"))]
        config = make_config(tmp_path, watches, interval="2s")  # both due within the first second
        run_service(config, lambda: {w for w, _, end in polls(tmp_path) if end} >= {"w-jdgz", "w-dbgz"})
    gaps = [later.started - earlier.ended for earlier, later in zip(site.requests[1:], site.requests[2:], strict=False)]
    assert site.max_in_flight == 1 and min(gaps) >= 0.4 * 0.95, f"robots.txt's Crawl-delay, longer: {min(gaps):.3f}s"
