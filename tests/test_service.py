"""The service as a real subprocess against the fixture site, with 1-2 s intervals.

Every wait is for a condition with a generous limit, never a fixed sleep, so the
tests hold on a busy 2-core CI machine.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from storage.db import open_db
from tests.conftest import ROOT, free_port
from tests.procs import cli, wait_for

SECTION = "监督工作"
PYTHON = [sys.executable, str(ROOT / "schedule.py")]


class Service:
    """`ayrdw-watch run` in a subprocess, its stderr collected to a file."""

    def __init__(self, config: Path, env: dict[str, str] | None = None, argv: list[str] | None = None) -> None:
        self.config = config
        self.log = config.with_suffix(".log")
        self.argv = argv or [*PYTHON, "--config", str(config), "run"]
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self) -> Service:
        self._log = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.argv, stdout=self._log, stderr=self._log, cwd=self.config.parent, env=self.env
        )
        return self

    def stop(self, sig: int = signal.SIGTERM, limit: float = 10.0) -> tuple[int, float]:
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=limit + 5)
        self._log.close()
        return code, time.monotonic() - started

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def polls(self) -> list[str]:
        return re.findall(r"poll: \w+ .*", self.output())


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer(FixtureSite("trs")) as server:
        yield server


def write_config(tmp_path: Path, site_url: str, hook: str | None = None, extra: str = "") -> Path:
    watcher = f'[[watchers]]\nkind = "webhook"\nurl = "{hook}"\n' if hook else ""
    config = tmp_path / "service.toml"
    config.write_text(
        f'[site]\nurl = "{site_url}"\n[crawl]\ndelay = "0s"\nretry_backoff = "10ms"\ntimeout = "20s"\n'
        f'recheck = "1h"\n[storage]\ndb = "watch.db"\n[schedule]\ninterval = "1s"\ndeliver_interval = "1s"\n'
        f"{extra}{watcher}",
        encoding="utf-8",
    )
    return config


def receiver(httpserver: HTTPServer) -> list[tuple[str, dict]]:
    received: list[tuple[str, dict]] = []

    def handle(request: Request) -> Response:
        received.append((request.headers["X-Ayrdw-Delivery"], json.loads(request.get_data())))
        return Response(status=204)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handle)
    return received


def health_line(status_output: str) -> str:
    return next(line for line in status_output.splitlines() if line.startswith("health:"))


def count(db: Path, sql: str) -> int:
    return open_db(db).execute(sql).fetchone()[0]


def test_a_new_report_is_stored_and_delivered_within_two_intervals(
    tmp_path: Path, site: FixtureServer, httpserver: HTTPServer
) -> None:
    received = receiver(httpserver)
    config = write_config(tmp_path, site.url("/"), httpserver.url_for("/hook"))
    service = Service(config).start()
    try:
        wait_for(lambda: any("new=23" in p for p in service.polls()), what="the baseline poll")
        report = site.site.add_report(site.site.new_report())
        added_at = time.monotonic()
        wait_for(lambda: received, what="the webhook delivery")
        assert time.monotonic() - added_at < 2 * 1.1 + 5  # two intervals (+jitter), plus CI slack
        assert [data["report"]["title"] for _, data in received] == [report.title]
    finally:
        code, seconds = service.stop()
    assert code == 0 and seconds < 10
    assert "INFO ayrdw.service: poll: ok" in service.output()


def test_sigterm_mid_request_exits_0_within_10_seconds(tmp_path: Path, site: FixtureServer) -> None:
    config = write_config(tmp_path, site.url("/"))
    service = Service(config).start()
    wait_for(lambda: any("new=23" in p for p in service.polls()), what="the baseline poll")
    site.site.timeout_sleep = 30.0  # the next list page request hangs far longer than 10 s
    site.site.fail(site.site.list_path(1), "timeout", times=5)
    wait_for(lambda: site.site.list_path(1) in site.site.stalled, what="a hung request")
    code, seconds = service.stop(signal.SIGTERM)
    assert code == 0 and seconds < 10
    check = open_db(tmp_path / "watch.db").execute("PRAGMA integrity_check").fetchone()[0]
    assert check == "ok"


def test_kill_9_mid_poll_then_restart_loses_and_repeats_nothing(
    tmp_path: Path, site: FixtureServer, httpserver: HTTPServer
) -> None:
    received = receiver(httpserver)
    fixture = site.site
    config = write_config(tmp_path, site.url("/"), httpserver.url_for("/hook"))
    first = Service(config).start()
    wait_for(lambda: any("new=23" in p for p in first.polls()), what="the baseline poll")
    added = [fixture.add_report(fixture.new_report()) for _ in range(3)]
    fixture.timeout_sleep = 15.0
    fixture.fail(fixture.report_path(added[1].slug), "timeout", times=1)  # the poll hangs mid-way
    wait_for(lambda: fixture.report_path(added[1].slug) in fixture.stalled, what="the poll to hang mid-way")
    first.stop(signal.SIGKILL)

    second = Service(config).start()
    try:
        wait_for(lambda: len(received) >= 3, what="three deliveries after the restart: " + second.output()[-1500:])
        wait_for(lambda: any("new=0" in p for p in second.polls()[1:]), what="an idle poll after the catch-up")
    finally:
        assert second.stop()[0] == 0
    db = tmp_path / "watch.db"
    assert count(db, "SELECT count(*) FROM report_versions") == 26
    assert count(db, "SELECT count(*) FROM (SELECT url, version FROM report_versions GROUP BY url, version)") == 26
    assert count(db, "SELECT count(*) FROM events WHERE baseline = 0") == 3
    ids = [delivery for delivery, _ in received]
    assert len(ids) == len(set(ids)) == 3, second.output()[-4000:]
    assert sorted(d["report"]["title"] for _, d in received) == sorted(r.title for r in added)


def test_status_tells_the_current_failure_while_the_site_is_down_and_never_says_overdue(
    tmp_path: Path, site: FixtureServer
) -> None:
    config = write_config(tmp_path, site.url("/"), extra="")
    service = Service(config).start()
    try:
        wait_for(lambda: any("new=23" in p for p in service.polls()), what="the baseline poll")
        healthy = cli(config, "status")
        assert healthy.returncode == 0 and "health:       ok" in healthy.stdout
        site.site.fail("/", 503, times=10_000)
        wait_for(lambda: "the last poll failed" in health_line(cli(config, "status").stdout), what="the failure")
        for _ in range(3):
            down = cli(config, "status")
            assert down.returncode == 1, service.output()[-3000:] + down.stdout
            assert "overdue" not in down.stdout, "the service polls: nothing was missed"
            trouble = next(line for line in down.stdout.splitlines() if line.startswith("trouble:"))
            assert "503" in trouble
            time.sleep(0.5)
        assert service.proc is not None and service.proc.poll() is None, "the service keeps running"
        site.site.clear_faults()  # the site is back
        wait_for(lambda: cli(config, "status").returncode == 0, limit=60, what="recovery")
    finally:
        assert service.stop()[0] == 0


def test_status_says_overdue_when_a_poll_was_due_and_did_not_run(tmp_path: Path, site: FixtureServer) -> None:
    config = write_config(tmp_path, site.url("/"), extra="")
    service = Service(config).start()
    try:
        wait_for(lambda: any("new=23" in p for p in service.polls()), what="the baseline poll")
        assert service.proc is not None
        service.proc.send_signal(signal.SIGSTOP)  # the service hangs: its next poll never runs
        try:
            wait_for(lambda: "overdue: the poll due at" in cli(config, "status").stdout, limit=90, what="overdue")
            assert cli(config, "status").returncode == 1
        finally:
            service.proc.send_signal(signal.SIGCONT)
        wait_for(lambda: cli(config, "status").returncode == 0, limit=60, what="healthy again")
    finally:
        assert service.stop()[0] == 0
    stopped = cli(config, "status")  # no service any more: no next poll is promised
    assert "next poll:    no service running" in stopped.stdout and stopped.returncode == 0


def test_offline_site_keeps_the_service_running_with_one_clear_line_per_poll(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"http://127.0.0.1:{free_port()}/")
    service = Service(config).start()
    try:
        wait_for(lambda: len(service.polls()) >= 2, what="two failed polls")
        lines = service.polls()
        assert all(line.startswith("poll: failed") for line in lines)
        assert "the home page cannot be read" in lines[0] and "connection failed" in lines[0]
        assert service.proc is not None and service.proc.poll() is None
    finally:
        assert service.stop()[0] == 0


def test_the_docker_image_command_line_works_outside_docker(tmp_path: Path, site: FixtureServer) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1))
    health = json.loads(re.search(r"CMD (\[.*\])\s*$", dockerfile.split("HEALTHCHECK", 1)[1].split("\n\n")[0]).group(1))
    env_block = re.search(r"^ENV (.*?)(?:\n\n|\nWORKDIR)", dockerfile, re.M | re.S).group(1)
    image_env = {
        key: os.path.expandvars(value)  # PATH=/opt/ayrdw/bin:$PATH
        for key, value in (shlex.split(part)[0].split("=", 1) for part in re.split(r"\s*\\\n\s*", env_block.strip()))
    }
    data = tmp_path / "data"
    data.mkdir()
    env = {
        **image_env,
        "AYRDW_STORAGE_DB": image_env["AYRDW_STORAGE_DB"].replace("/data", str(data)),
        "AYRDW_SITE_URL": site.url("/"),
        "AYRDW_SCHEDULE_INTERVAL": "1s",
        "AYRDW_CRAWL_DELAY": "0s",
    }
    assert cmd[0] == "ayrdw-watch" and health[:2] == ["sh", "-c"] and health[2].startswith("ayrdw-watch status")
    entry = [*PYTHON]  # the console script `ayrdw-watch` runs schedule:main, as this does
    service = Service(tmp_path / "image.toml", env=env, argv=[*entry, *cmd[1:]]).start()
    try:
        wait_for(lambda: (data / "ayrdw.db").exists() and '"event": "poll"' in service.output(), what="a poll")
        first = json.loads(next(line for line in service.output().splitlines() if '"event": "poll"' in line))
        assert first["status"] == "ok" and first["new"] == 23 and first["level"] == "info"
        as_here = health[2].replace("ayrdw-watch", shlex.join(entry), 1)
        check = subprocess.run(
            ["sh", "-c", as_here], capture_output=True, text=True, timeout=60, env={**os.environ, **env}
        )
        assert check.returncode == 0, check.stdout + check.stderr
        bad = {**os.environ, **env, "AYRDW_SCHEDULE_INTERVAL": "soon"}  # a config error exits 2: Docker's reserved
        failed = subprocess.run(["sh", "-c", as_here], capture_output=True, text=True, timeout=60, env=bad)
        assert failed.returncode == 1 and "schedule.interval" in failed.stderr, "the health check exits 0 or 1 only"
    finally:
        code, seconds = service.stop()
    assert code == 0 and seconds < 10


def test_demo_shows_the_whole_cycle() -> None:
    done = subprocess.run(
        [*PYTHON, "demo", "--interval", "1", "--polls", "4"], capture_output=True, text=True, timeout=90
    )
    assert done.returncode == 0, done.stderr
    assert "--- poll 1: poll: ok" in done.stdout and "new=23" in done.stdout
    assert "=== webhook received report.new" in done.stdout
    assert "=== webhook received report.changed" in done.stdout and "{+（本文已于今日补充更正。）+}" in done.stdout
