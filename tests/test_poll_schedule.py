"""What a poll costs the site, and when re-checks happen, over simulated days.

The poll runs in-process against the fixture site on loopback with a clock the
test moves forward (30-minute polls over a day take a second, not a day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from jobs.config import Config, config_from_dict
from jobs.poll import run_poll
from jobs.result import PollResult
from storage.archive import Archive
from storage.db import open_db

SECTION = "监督工作"
START = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(params=[True, False], ids=["validators", "no-validators"])
def served(request: pytest.FixtureRequest) -> Iterator[FixtureServer]:
    with FixtureServer(FixtureSite("trs", validators=request.param)) as server:
        yield server


def make(server: FixtureServer, tmp_path: Path, **crawl: str) -> tuple[Config, Archive]:
    crawl_settings = {"delay": "0s", "retry_backoff": "10ms", "recheck": "24h", **crawl}
    config = config_from_dict(
        {
            "site": {"url": server.url("/")},
            "crawl": crawl_settings,
            "schedule": {"interval": "30m"},
            "storage": {"db": str(tmp_path / "w.db")},
        }
    )
    return config, Archive(open_db(config.storage.db))


def poll(config: Config, store: Archive, clock: Clock) -> PollResult:
    result = run_poll(config, store, clock=clock, sleep=lambda s: None)
    assert result.ok, result.error
    return result


def test_request_counts_baseline_idle_and_new(served: FixtureServer, tmp_path: Path) -> None:
    site = served.site
    config, store = make(served, tmp_path)
    clock = Clock()

    baseline = poll(config, store, clock)
    # robots.txt + home page + 3 list pages + 23 report pages + each report's attachment files
    files = sum(len(r.attachments) for r in site.sections[SECTION])
    assert files > 0 and (baseline.requests, baseline.pages, baseline.new) == (28 + files, 3, 23)
    assert baseline.attachments == files

    clock.advance(minutes=30)
    idle = poll(config, store, clock)
    # Page 1 only (304, or 200 whose last item is known); no re-check due yet.
    assert idle.requests == 1 and idle.new == idle.changed == 0
    statuses = [r.status for r in site.requests[-1:]]
    assert statuses == ([304] if site.validators else [200])

    for _ in range(3):
        site.add_report(site.new_report(attachments=[]))
    clock.advance(minutes=30)
    site.reset_log()
    three = poll(config, store, clock)
    assert three.new == 3
    assert three.requests <= 3 + 2
    assert not any(r.path.endswith("index_1.html") for r in site.requests), "page 2 holds nothing new"


def test_an_edit_of_a_new_report_is_caught_within_a_day_and_rechecks_are_spread(
    served: FixtureServer, tmp_path: Path
) -> None:
    site = served.site
    config, store = make(served, tmp_path)
    clock = Clock()
    poll(config, store, clock)
    fresh = site.add_report(site.new_report(attachments=[]))  # published today: re-checked daily
    clock.advance(minutes=30)
    assert poll(config, store, clock).new == 1
    site.edit_report(fresh.slug, paragraphs=[*fresh.paragraphs, "本报告已于近日补充更正。"])

    caught_at, rechecks_per_poll = None, []
    for step in range(1, 49):  # one day of 30-minute polls
        clock.advance(minutes=30)
        site.reset_log()
        result = poll(config, store, clock)
        report_fetches = [r for r in site.requests if "/t20" in r.path]
        rechecks_per_poll.append(len(report_fetches))
        if result.changed:
            caught_at = step
            break
    assert caught_at is not None, "the edit of a report in its first week was not caught within a day"
    assert max(rechecks_per_poll) <= 2, "re-checks are spread over the period, not bunched"
    change = store.queries.events()[-1]
    assert change["kind"] == "changed" and set(change["changes"]) == {"text"}


def test_old_reports_are_rechecked_rarely_and_a_changed_list_entry_at_once(
    served: FixtureServer, tmp_path: Path
) -> None:
    site = served.site
    config, store = make(served, tmp_path)
    clock = Clock()
    poll(config, store, clock)  # every fixture report is more than a year old: re-checked yearly
    site.reset_log()
    for _ in range(48):
        clock.advance(minutes=30)
        poll(config, store, clock)
    assert [r.path for r in site.requests if "/t20" in r.path] == [], "no old report re-fetched within a day"
    old = site.sections[SECTION][4]
    site.edit_report(old.slug, title=old.title + "（修订）")
    clock.advance(minutes=30)
    result = poll(config, store, clock)
    assert result.changed == 1, "a title changed on the list: the report is re-checked by the next poll"


def test_the_0_1_0_policy_rechecks_every_report_once_per_period_and_walks_daily(
    served: FixtureServer, tmp_path: Path
) -> None:
    site = served.site
    config, store = make(served, tmp_path, recheck_by_age=False)  # type: ignore[arg-type]
    clock = Clock()
    poll(config, store, clock)
    fetched: set[str] = set()
    modes = []
    for _ in range(48):
        clock.advance(minutes=30)
        site.reset_log()
        modes.append(poll(config, store, clock).mode)
        fetched |= {r.path for r in site.requests if "/t20" in r.path}
    assert fetched == {site.report_path(r.slug) for r in site.sections[SECTION]}
    assert "full" in modes and modes.count("full") <= 2


def test_recheck_zero_means_everything_every_poll(served: FixtureServer, tmp_path: Path) -> None:
    config, store = make(served, tmp_path, recheck="0s")
    clock = Clock()
    poll(config, store, clock)
    clock.advance(minutes=30)
    again = poll(config, store, clock)
    assert again.mode == "full" and again.pages == 3
    files = sum(len(r.attachments) for r in served.site.sections[SECTION])
    # every list page, every report and every attachment file, conditionally where possible
    assert again.requests == 3 + 23 + files


def test_crash_while_storing_leaves_old_or_new_state_never_half(served: FixtureServer, tmp_path: Path) -> None:
    config, store = make(served, tmp_path)
    clock = Clock()
    calls = {"n": 0}
    original_event = store.outbox.add_event

    def event_then_crash(*args, **kwargs) -> int:
        calls["n"] += 1
        if calls["n"] == 10:  # inside the 10th report's transaction: version and report row written
            raise OSError("power cut")
        return original_event(*args, **kwargs)

    store.outbox.add_event = event_then_crash  # type: ignore[method-assign]
    crashed = run_poll(config, store, clock=clock, sleep=lambda s: None)
    assert not crashed.ok and "power cut" in (crashed.error or "")

    reopened = Archive(open_db(config.storage.db))
    assert len(reopened.scoped("default").reports.known()) == 9, "the 10th report was rolled back whole"
    versions, events = (
        reopened.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("report_versions", "events")
    )
    assert versions == events == 9

    clock.advance(minutes=1)
    result = poll(config, reopened, clock)
    assert result.new == 23 - 9 and result.mode == "baseline"
    total, distinct = reopened.db.execute(
        "SELECT count(*), count(DISTINCT url || '#' || version) FROM report_versions"
    ).fetchone()
    assert total == distinct == 23
    assert len(reopened.queries.events()) == 23


def test_a_new_report_that_failed_is_found_again_by_the_next_incremental_poll(
    served: FixtureServer, tmp_path: Path
) -> None:
    site = served.site
    config, store = make(served, tmp_path)
    clock = Clock()
    poll(config, store, clock)
    report = site.add_report(site.new_report())
    site.fail(site.report_path(report.slug), 503, times=3)
    clock.advance(minutes=30)
    failed = poll(config, store, clock)
    assert (failed.new, failed.failed) == (0, 1)
    clock.advance(minutes=30)
    again = poll(config, store, clock)
    assert again.new == 1, "page 1 is read again (not 304) until every new report on it is stored"


def test_robots_txt_is_kept_between_polls_and_read_again_daily(served: FixtureServer, tmp_path: Path) -> None:
    site = served.site
    config, store = make(served, tmp_path)
    clock = Clock()
    poll(config, store, clock)
    robots_reads = lambda: sum(1 for r in site.requests if r.path == "/robots.txt")  # noqa: E731
    assert robots_reads() == 1
    for _ in range(3):
        clock.advance(minutes=30)
        poll(config, store, clock)
    assert robots_reads() == 1, "kept in site_state: an idle poll needs no robots.txt request"
    clock.advance(hours=25)
    poll(config, store, clock)
    assert robots_reads() == 2, "read again after a day"
    clock.advance(minutes=30)
    poll(config, store, clock)
    assert robots_reads() == 2
