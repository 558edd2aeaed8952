"""A long list costs a slice per poll, never a failed poll: the baseline and the full walks of a
section with many list pages are spread over polls, resume where they stopped, and never
remove a report that a shifting list made them miss -- in-process polls against the fixture
site with a clock the test moves."""

from __future__ import annotations

from pathlib import Path

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from jobs.config import Config
from jobs.status import format_status, status
from storage.archive import Archive
from tests.test_poll_schedule import SECTION, Clock, poll
from tests.test_poll_schedule import make as make_watch

PAGES = 30  # 300 reports, 10 per list page


def make(server: FixtureServer, tmp_path: Path, **crawl: str) -> tuple[Config, Archive]:
    return make_watch(server, tmp_path, **{"max_list_pages": 12, **crawl})  # type: ignore[arg-type]


def stored(store: Archive) -> int:
    return store.db.execute("SELECT count(*) FROM reports WHERE status = 'active'").fetchone()[0]


def test_the_baseline_and_full_walks_of_a_long_list_go_on_over_polls(tmp_path: Path) -> None:
    site = FixtureSite("trs", reports_per_section=PAGES * 10)
    with FixtureServer(site) as server:
        config, store = make(server, tmp_path, full_walk="24h")
        clock = Clock()
        firsts = [poll(config, store, clock) for _ in range(3)]
        assert [r.pages for r in firsts] == [12, 12, 6], "max_list_pages bounds a poll, not the section"
        assert stored(store) == PAGES * 10 and all(r.mode == "baseline" for r in firsts)
        loud = store.db.execute("SELECT count(*) FROM events WHERE baseline = 0").fetchone()[0]
        assert loud == 0, "the baseline stays silent over its polls"
        assert store.scoped("default").state.get("list_pages") == str(PAGES)
        # A day later a full walk is due: 2 x 30 pages x 30 min / 24 h = 1.25 -> 10 pages a poll (MIN_SLICE).
        clock.advance(hours=24)
        site.reset_log()
        walk = []
        for _ in range(4):
            walk.append(poll(config, store, clock))
            if len(walk) == 1:  # between two polls, status says where the walk stands
                lines = format_status(status(config, store, clock()))
                walking = "list walk:    full, 10 of about 30 list pages read since"
                assert any(line.startswith(walking) for line in lines), lines
            clock.advance(minutes=30)
        assert [r.mode for r in walk] == ["full", "full", "full", "incremental"]
        assert [r.path for r in site.requests].count("/jdgz/") == 4, "page 1 is checked on every poll, for news"
        state = store.scoped("default").state
        assert state.get("walk_cursor") is None and state.get("list_pages") == str(PAGES)


def test_a_walk_spread_over_polls_that_misses_a_shifted_report_removes_nothing(tmp_path: Path) -> None:
    site = FixtureSite("trs", reports_per_section=PAGES * 10)
    with FixtureServer(site) as server:
        config, store = make(server, tmp_path, full_walk="24h")
        clock = Clock()
        for _ in range(3):
            poll(config, store, clock)
        clock.advance(hours=24)
        poll(config, store, clock)  # the full walk reads pages 1-10
        # Three reports near the top are unlisted (not removed): every later item moves up three
        # places, so the first item of page 11 is now on page 10, which this walk has read.
        shifted = site.page_items(SECTION, 11)[0]
        for report in site.sections[SECTION][:3]:
            site.unlist_report(report.slug)
        results = []
        for _ in range(6):
            clock.advance(minutes=30)
            results.append(poll(config, store, clock))
        assert sum(r.removed for r in results) == 0, "a report the walk missed is asked, never removed"
        status, listed = store.db.execute(
            "SELECT status, last_listed_at FROM reports WHERE url LIKE ?", [f"%{site.report_path(shifted.slug)}"]
        ).fetchone()
        walk_started = store.scoped("default").state.get("last_full_walk_at")
        assert walk_started and listed < walk_started, "the spread walk did miss it"
        assert status == "active"


def test_what_rechecks_and_walks_cost_a_poll_is_bounded_on_average_and_the_young_go_first(tmp_path: Path) -> None:
    import datetime as dt

    from tests.test_poll_schedule import START

    site = FixtureSite("trs", reports_per_section=900, page_size=20, dated_until=START.date())  # 3 a day
    with FixtureServer(site) as server:
        config, store = make_watch(server, tmp_path, max_list_pages=100)  # type: ignore[arg-type]
        clock = Clock()
        poll(config, store, clock)  # the baseline: never charged
        part = store.scoped("default")
        # two days later, as if the service had been down: many re-checks are due at once
        clock.advance(days=2)
        requests, young_first = [], []
        for _ in range(48):
            clock.advance(minutes=30)
            site.reset_log()
            requests.append(poll(config, store, clock).requests)
            fetched = [r.path for r in site.requests if "/t20" in r.path]
            young_first.append(fetched)
        assert sum(requests) / len(requests) <= 3 + 6 / 48, f"at most requests_per_poll on average: {requests}"
        assert max(requests) <= 14, "a catch-up is spread, not one burst"
        first = next(f for f in young_first if f)
        newest = {site.report_path(r.slug) for r in site.sections[SECTION][:21]}  # its first week
        assert set(first) <= newest, "the youngest due reports are re-checked first"
        assert dt.datetime.fromisoformat(part.state.get("last_full_walk_at") or "") >= START


def test_a_full_walk_asks_for_list_pages_conditionally_and_an_unchanged_page_still_lists_its_reports(
    tmp_path: Path,
) -> None:
    site = FixtureSite("trs", reports_per_section=PAGES * 10)
    with FixtureServer(site) as server:
        config, store = make(server, tmp_path, full_walk="24h", max_list_pages=40)  # type: ignore[arg-type]
        clock = Clock()
        poll(config, store, clock)  # the baseline: every list page read and remembered with its validators
        kept = store.db.execute("SELECT count(*) FROM list_pages WHERE etag IS NOT NULL").fetchone()[0]
        assert kept == PAGES
        # A day later: one entry on page 7 is retitled on the list; every other list page is as it was.
        edited = site.page_items(SECTION, 7)[4]
        site.edit_report(edited.slug, title="关于全县养老服务体系建设情况的报告（修订）")
        clock.advance(hours=24)
        site.reset_log()
        walk_started = clock().isoformat()
        results = []
        for _ in range(4):  # the walk, spread over 3 polls (10 list pages each), then an incremental poll
            results.append(poll(config, store, clock))
            clock.advance(minutes=30)
        assert [r.mode for r in results] == ["full", "full", "full", "incremental"]
        asked = [r for r in site.requests if r.path.startswith("/jdgz/index")]
        assert asked and all("if-none-match" in r.headers for r in asked), "every list page asked conditionally"
        changed_pages = [r.path for r in asked if r.status == 200]
        assert changed_pages == ["/jdgz/index_6.html"], "only the changed page is sent (and read) again"
        unlisted = store.db.execute(
            "SELECT count(*) FROM reports WHERE status = 'active' AND last_listed_at < ?", [walk_started]
        ).fetchone()[0]
        assert unlisted == 0, "the reports of unchanged pages are listed by this walk too"
        assert sum(r.removed for r in results) == 0
        assert sum(r.changed for r in results) == 1 == results[0].changed, "the retitled entry is re-checked at once"
