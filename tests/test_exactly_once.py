"""Nothing lost, nothing repeated, under kill -9 and a second process: real processes, real
loopback receivers, real SQLite files. Each test is one promise of the README's
"Delivery" and "Crash safety" paragraphs, tried as a hostile operator would."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from tests.procs import Proc, WebhookReceiver, cli, service_config, wait_for

SECTION = "监督工作"


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer(FixtureSite("trs")) as server:
        yield server


def rows(db: Path, sql: str, args: tuple = ()) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


# -- 1. one writer per archive ---------------------------------------------------------------------------
def test_a_second_writer_is_refused_readers_work_beside_and_kill_9_frees_the_archive(
    tmp_path: Path, site: FixtureServer
) -> None:
    config = service_config(tmp_path, site.url("/"))
    first = Proc(config, "run", name="first").start()
    try:
        wait_for(lambda: any("new=23" in p for p in first.polls()), what="the first service's baseline")
        for args in (("run",), ("poll",), ("deliver",)):
            started = time.monotonic()
            second = cli(config, *args)
            assert second.returncode == 1, second.stdout + second.stderr
            assert time.monotonic() - started < 2 + 1.5, "refused within 2 s (plus the interpreter's start)"
            db = tmp_path / "watch.db"
            assert second.stderr == f"error: {db} is in use by another ayrdw-watch (pid {first.pid}, run)\n"
        url = site.url(site.site.report_path(site.site.sections[SECTION][0].slug))
        for args in (("status",), ("export",), ("history", url), ("diff", url), ("outbox",)):
            beside = cli(config, *args)
            assert beside.returncode == 0, (args, beside.stderr)
        status = json.loads(cli(config, "status", "--json").stdout)
        assert status["writer"] == {"pid": first.pid, "command": "run"}
    finally:
        first.kill()
    again = Proc(config, "run", name="again").start()
    try:
        wait_for(lambda: again.polls(), limit=20, what="the next service to poll at once")
        assert "in use" not in again.output()
    finally:
        assert again.stop() == 0


def test_readers_racing_a_new_archive_never_make_the_writer_fail(tmp_path: Path, site: FixtureServer) -> None:
    failures = []
    for attempt in range(6):
        folder = tmp_path / f"start{attempt}"
        folder.mkdir()
        config = service_config(folder, site.url("/"))
        readers = [Proc(config, cmd, name=f"{cmd}{i}") for i, cmd in enumerate(["export", "status", "outbox"] * 2)]
        service = Proc(config, "run").start()
        for reader in readers:
            reader.start()
        try:
            wait_for(lambda s=service: s.polls() or not s.alive(), limit=40, what="the first poll")
            if not service.alive() or "error" in service.output():
                failures.append(service.output()[-500:])
        finally:
            service.stop()
            for reader in readers:
                reader.stop()
        for reader in readers:  # a reader may fail (no archive yet): with one line, never a traceback
            assert "Traceback" not in reader.output(), reader.output()
    assert failures == []


# -- 2. acknowledged means recorded -------------------------------------------------------------------------
def test_kill_9_mid_delivery_pass_resends_at_most_one_message_per_watcher(tmp_path: Path) -> None:
    with FixtureServer(FixtureSite("trs", reports_per_section=50)) as server:
        hooks = [WebhookReceiver(delay=0.5), WebhookReceiver(delay=0.5)]
        for hook in hooks:  # reserve the ports, then leave them down while the baseline is queued
            hook.start()
            hook.stop()
        config = service_config(
            tmp_path, server.url("/"), [h.url for h in hooks], extra='[notify]\non_baseline = true\ntimeout = "5s"\n'
        )
        assert cli(config, "poll").returncode == 0
        db = tmp_path / "watch.db"
        assert rows(db, "SELECT count(*) FROM deliveries WHERE status = 'pending'") == [(100,)]
        for hook in hooks:
            hook.start()
        try:
            deliver = Proc(config, "deliver").start()
            wait_for(lambda: min(len(h.received) for h in hooks) >= 8, what="a pass under way")
            deliver.kill()
            time.sleep(0.6)  # the answers in flight arrive; their outcomes were never recorded
            assert cli(config, "deliver").returncode == 0
        finally:
            for hook in hooks:
                hook.stop()
    for hook in hooks:
        ids = hook.deliveries()
        duplicates = sum(n - 1 for n in Counter(ids).values())
        assert len(set(ids)) == 50, "every delivery arrives"
        assert duplicates <= 1, f"at most the one send in flight is repeated, got {duplicates}"
    assert rows(db, "SELECT count(*) FROM deliveries WHERE status = 'delivered'") == [(100,)]


# -- 3. deliveries never wait for a poll --------------------------------------------------------------------
def test_a_due_delivery_goes_out_while_a_poll_hangs(tmp_path: Path, site: FixtureServer) -> None:
    fixture = site.site
    hook = WebhookReceiver()
    hook.start()
    hook.stop()  # down while the first report after the baseline is announced
    config = service_config(tmp_path, site.url("/"), [hook.url], crawl={"timeout": "30s"})
    assert cli(config, "poll").returncode == 0
    added = fixture.add_report(fixture.new_report())
    assert cli(config, "poll").returncode == 0
    db = tmp_path / "watch.db"
    assert rows(db, "SELECT status, attempts FROM deliveries") == [("pending", 1)]
    # The retry falls due 4 s from now; the service's first poll hangs 15 s on the list page.
    due = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4)).isoformat(timespec="seconds")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE deliveries SET next_attempt_at = ?", [due])
    fixture.timeout_sleep = 15.0
    fixture.fail(fixture.list_path(1), "timeout", times=1)
    hook.start()
    service = Proc(config, "run").start()
    try:
        wait_for(lambda: fixture.stalled, what="the poll to hang")
        hung_at = time.monotonic()
        wait_for(lambda: hook.received, limit=30, what="the retry")
        assert hook.received[0].at - hung_at < 10, "the retry went out while the poll hung"
        assert hook.received[0].body["report"]["title"] == added.title
    finally:
        service.stop()
        hook.stop()


# -- 4. dead letters come back -------------------------------------------------------------------------------
def test_dead_letters_are_sent_again_in_order_when_their_watcher_answers(tmp_path: Path, site: FixtureServer) -> None:
    fixture = site.site
    hook = WebhookReceiver()
    hook.start()
    hook.stop()  # down
    config = service_config(
        tmp_path, site.url("/"), [hook.url], crawl={"recheck": "0s"}, extra="[notify]\nmax_attempts = 1\n"
    )
    assert cli(config, "poll").returncode == 0
    first = [fixture.add_report(fixture.new_report()) for _ in range(2)]
    assert cli(config, "poll").returncode == 0  # the receiver is down: both give up at once
    db = tmp_path / "watch.db"
    assert rows(db, "SELECT count(*) FROM deliveries WHERE status = 'failed'") == [(2,)]
    assert "gave up" in cli(config, "outbox").stdout

    hook.start()
    try:
        later = fixture.add_report(fixture.new_report())
        assert cli(config, "poll").returncode == 0
        titles = [r.body["report"]["title"] for r in hook.received]
        assert titles == [later.title, first[0].title, first[1].title], "the new one, then the dead letters in order"
    finally:
        hook.stop()
    assert rows(db, "SELECT count(*) FROM deliveries WHERE status != 'delivered'") == [(0,)]


def test_deliver_retry_failed_by_watcher_name_or_id(tmp_path: Path, site: FixtureServer) -> None:
    fixture = site.site
    hook = WebhookReceiver()
    hook.start()
    hook.stop()
    config = service_config(
        tmp_path, site.url("/"), [hook.url], crawl={"recheck": "0s"}, extra="[notify]\nmax_attempts = 1\n"
    )
    assert cli(config, "poll").returncode == 0
    added = fixture.add_report(fixture.new_report())
    assert cli(config, "poll").returncode == 0
    unknown = cli(config, "deliver", "--retry-failed", "--watcher", "nobody")
    assert unknown.returncode == 2 and unknown.stderr.startswith("error: deliver: no watcher 'nobody'")
    watcher_id = json.loads(cli(config, "outbox", "--json").stdout)[0]["watcher_id"]
    hook.start()
    try:
        for name in ("hook0", watcher_id):
            done = cli(config, "deliver", "--retry-failed", "--watcher", name)
            assert done.returncode == 0, done.stderr
        assert [r.body["report"]["title"] for r in hook.received] == [added.title]
    finally:
        hook.stop()


def test_a_dead_letter_is_probed_after_hours_and_brings_the_rest_back(tmp_path: Path) -> None:
    from domain.events import Alert, AlertKind
    from jobs.config import config_from_dict
    from jobs.deliver import deliver_pass
    from jobs.watchers import open_archive

    hook = WebhookReceiver()
    hook.start()
    hook.stop()
    config = config_from_dict(
        {
            "storage": {"db": str(tmp_path / "w.db")},
            "notify": {"max_attempts": 2, "timeout": "2s"},
            "watchers": [{"kind": "webhook", "url": hook.url}],
        }
    )
    now = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
    outbox = open_archive(config, now.isoformat()).outbox
    for n in range(3):
        alert_id = outbox.add_alert(Alert(AlertKind.TROUBLE, "test", f"message {n}", now.isoformat()))
        outbox.enqueue([config.watchers[0].id], now.isoformat(), alert_id=alert_id)
    for minutes in (0, 1, 10):
        deliver_pass(config, outbox, clock=lambda m=minutes: now + dt.timedelta(minutes=m))
    assert outbox.counts()["failed"] == 3
    hook.start()
    try:
        deliver_pass(config, outbox, clock=lambda: now + dt.timedelta(hours=1))
        assert hook.received == [], "a dead letter waits hours before it is tried alone"
        result = deliver_pass(config, outbox, clock=lambda: now + dt.timedelta(hours=6))
        assert [r.body["message"] for r in hook.received] == ["message 0", "message 1", "message 2"]
        assert result.requeued == 2 and outbox.counts() == {"pending": 0, "delivered": 3, "failed": 0}
    finally:
        hook.stop()


# -- 5. long first polls keep what they did ----------------------------------------------------------------
def test_a_stopped_first_poll_keeps_its_reports_and_the_next_resumes_silently(tmp_path: Path) -> None:
    with FixtureServer(FixtureSite("trs", reports_per_section=60)) as server, WebhookReceiver() as hook:
        fixture = server.site
        config = service_config(tmp_path, server.url("/"), [hook.url], crawl={"delay": "100ms"})
        broken = fixture.sections[SECTION][50:53]  # their pages fail all through the first poll
        for report in broken:
            fixture.fail(fixture.report_path(report.slug), 503, times=9)
        service = Proc(config, "run").start()
        report_paths = {fixture.report_path(r.slug) for r in fixture.sections[SECTION]}

        def read() -> set[str]:
            return {r.path for r in fixture.requests if r.path in report_paths and r.status == 200}

        wait_for(lambda: len(read()) >= 20, what="20 report pages read")
        assert service.stop() == 0
        db = tmp_path / "watch.db"
        stored = rows(db, "SELECT count(*) FROM reports")[0][0]
        assert stored >= len(read()) - 1 >= 19, "what the stopped poll read is kept (but the page in flight)"
        assert rows(db, "SELECT status FROM polls") == [("stopped",)]

        fixture.clear_faults()
        service = Proc(config, "run", name="resumed").start()
        try:
            wait_for(lambda: rows(db, "SELECT count(*) FROM reports")[0][0] == 60, limit=60, what="all 60 stored")
            fixture.add_report(fixture.new_report())
            wait_for(lambda: hook.received, what="the first report published after the baseline")
        finally:
            assert service.stop() == 0
    reads = Counter(r.path for r in fixture.requests if r.path in report_paths and r.status == 200)
    assert len(reads) == 60 and sorted(reads.values())[-2] == 1, "no page read twice (but the one in flight)"
    assert [r.event for r in hook.received] == ["report.new"], "the baseline stays silent, broken pages too"
    assert rows(db, "SELECT count(*) FROM events WHERE baseline = 0") == [(1,)]


# -- 6. long polls say how far they are ---------------------------------------------------------------------
def test_a_long_poll_logs_its_progress_and_status_shows_it(tmp_path: Path) -> None:
    with FixtureServer(FixtureSite("trs", reports_per_section=40)) as server:
        config = service_config(
            tmp_path, server.url("/"), crawl={"delay": "150ms"}, schedule={"progress_every": "500ms"}
        )
        service = Proc(config, "run").start()
        try:
            seen: list[dict] = []

            def progress() -> bool:
                state = cli(config, "status", "--json")
                data = json.loads(state.stdout) if state.stdout else {}
                if data.get("progress") and data["progress"].get("phase") == "reports":
                    seen.append(data["progress"])
                return bool(seen) and seen[-1]["done"] > 0

            wait_for(progress, what="status to show the poll's progress")
            wait_for(lambda: service.polls(), limit=60, what="the end of the first poll")
            after = json.loads(cli(config, "status", "--json").stdout)
        finally:
            service.stop()
    lines = [line for line in service.output().splitlines() if "reports, about" in line]
    assert lines and all("/40 reports, about" in line for line in lines), service.output()[-2000:]
    assert seen[-1]["total"] == 40 and 0 < seen[-1]["done"] <= 40 and seen[-1]["eta_seconds"] is not None
    assert after["progress"] is None


# -- 7. crash leftovers are closed ---------------------------------------------------------------------------
def test_a_poll_left_running_by_kill_9_is_marked_interrupted_at_the_next_start(
    tmp_path: Path, site: FixtureServer
) -> None:
    fixture = site.site
    config = service_config(tmp_path, site.url("/"))
    fixture.timeout_sleep = 10.0
    fixture.fail(fixture.report_path(fixture.sections[SECTION][5].slug), "timeout")
    service = Proc(config, "run").start()
    wait_for(lambda: fixture.stalled, what="the first poll to hang")
    service.kill()
    db = tmp_path / "watch.db"
    assert rows(db, "SELECT status FROM polls") == [("running",)]
    assert cli(config, "poll").returncode == 0
    statuses = [s for (s,) in rows(db, "SELECT status FROM polls ORDER BY id")]
    assert statuses == ["interrupted", "ok"]
