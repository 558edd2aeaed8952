"""Notifications through the real CLI to real local receivers: a webhook receiver
(pytest-httpserver) and an SMTP server (aiosmtpd), driven by the fixture site."""

from __future__ import annotations

import hashlib
import hmac
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from tests.conftest import ROOT, SMTP_PASSWORD, MailSink

SECTION = "监督工作"
SECRET = "s3cret-webhook-key"


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer(FixtureSite("modern", validators=False)) as server:
        yield server


class Receiver:
    """The webhook endpoint: records every POST; answers with ``status`` (or hangs)."""

    def __init__(self, httpserver: HTTPServer) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.hang = False  # hold the next request until release is set
        self.release = threading.Event()
        httpserver.expect_request("/hook", method="POST").respond_with_handler(self.handle)
        self.url = httpserver.url_for("/hook")

    def handle(self, request: Request) -> Response:
        self.calls.append((dict(request.headers), request.get_data()))
        if self.hang:
            self.hang = False
            self.release.wait(30)
        return Response("ok" if self.status < 300 else "down", status=self.status)

    def accepted(self) -> list[tuple[dict[str, str], dict]]:
        return [(h, json.loads(b)) for h, b in self.calls if self.status < 300 or h.get("X-Test-Ok")]


@pytest.fixture
def receiver(httpserver: HTTPServer) -> Receiver:
    return Receiver(httpserver)


def write_config(tmp_path: Path, site: FixtureServer, receiver: Receiver, smtp_port: int, extra: str = "") -> Path:
    config = tmp_path / "watch.toml"
    config.write_text(
        f"""
[site]
url = "{site.url("/")}"
[crawl]
delay = "0s"
retry_backoff = "10ms"
recheck = "0s"
[storage]
db = "watch.db"
[[watchers]]
kind = "webhook"
url = "{receiver.url}"
secret_env = "TEST_WEBHOOK_SECRET"
[[watchers]]
kind = "email"
to = ["watcher@example.org"]
[smtp]
host = "127.0.0.1"
port = {smtp_port}
user = "watch"
password_env = "TEST_SMTP_PASSWORD"
from = "ayrdw-watch <watch@example.org>"
{extra}
""",
        encoding="utf-8",
    )
    return config


class Cli:
    def __init__(self, config: Path) -> None:
        self.config = config

    def __call__(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "schedule.py"), "-v", "--config", str(self.config), *args],
            capture_output=True, text=True, timeout=timeout, cwd=self.config.parent, env=_env(),
        )  # fmt: skip

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "schedule.py"), "--config", str(self.config), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=self.config.parent, env=_env(),
        )  # fmt: skip


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "TEST_WEBHOOK_SECRET": SECRET, "TEST_SMTP_PASSWORD": SMTP_PASSWORD}


def valid_signature(headers: dict[str, str], body: bytes) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers.get("X-Ayrdw-Signature", ""), expected)


@pytest.fixture
def smtp_with_auth(smtp_server: tuple[MailSink, int]) -> tuple[MailSink, int]:
    return smtp_server


@pytest.fixture
def cli(tmp_path: Path, site: FixtureServer, receiver: Receiver, smtp_server: tuple[MailSink, int]) -> Cli:
    return Cli(write_config(tmp_path, site, receiver, smtp_server[1], extra=""))


def test_new_changed_removed_reach_each_watcher_once_signed(
    cli: Cli, site: FixtureServer, receiver: Receiver, smtp_server: tuple[MailSink, int]
) -> None:
    mail, _ = smtp_server
    fixture = site.site
    baseline = cli("poll")
    assert baseline.returncode == 0, baseline.stderr
    assert receiver.calls == [] and mail.messages == [], "the baseline poll is silent by default"

    added = fixture.add_report(fixture.new_report())
    assert cli("poll").returncode == 0
    edited = fixture.sections[SECTION][4]
    fixture.edit_report(edited.slug, paragraphs=[*edited.paragraphs[:-1], edited.paragraphs[-1] + "（已更正）"])
    assert cli("poll").returncode == 0
    removed = fixture.sections[SECTION][-1]
    fixture.remove_report(removed.slug)
    assert cli("poll").returncode == 0  # a first not-found verdict: nothing yet
    assert cli("poll").returncode == 0  # confirmed

    events = [(h["X-Ayrdw-Event"], json.loads(b)) for h, b in receiver.calls]
    assert [e for e, _ in events] == ["report.new", "report.changed", "report.removed"]
    assert all(valid_signature(h, b) for h, b in receiver.calls)
    assert len({h["X-Ayrdw-Delivery"] for h, _ in receiver.calls}) == 3
    new = events[0][1]
    assert new["event"] == "report.new" and new["changes"] == {}
    assert new["report"]["url"] == site.url(fixture.report_path(added.slug))
    assert new["report"]["title"] == added.title and new["report"]["version"] == 1
    assert set(new["report"]) == {
        "url", "title", "published", "source", "text", "attachments", "credits",
        "status", "version", "first_seen", "updated_at", "watch", "id",
    }  # fmt: skip
    assert new["watch"] == {"name": "default", "url": site.url("/"), "section": SECTION}
    assert new["occurred_at"].endswith("+00:00")
    changed = events[1][1]
    assert set(changed["changes"]) == {"text"}
    assert changed["changes"]["text"]["diff"].startswith("---") and "（已更正）" in changed["changes"]["text"]["diff"]
    assert events[2][1]["report"]["status"] == "removed"

    subjects = [m["Subject"] for m in mail.messages]
    assert subjects == [
        f"[监督工作] 新报告: {added.title}",
        f"[监督工作] 报告已修改: {edited.title}",
        f"[监督工作] 报告已删除: {removed.title}",
    ]
    change_mail = mail.messages[1]
    plain = change_mail.get_body(preferencelist=("plain",)).get_content()
    assert "（已更正）" in plain and "链接: " + site.url(fixture.report_path(edited.slug)) in plain
    assert change_mail.get_body(preferencelist=("html",)) is not None
    assert change_mail["Message-ID"].endswith("@ayrdw-watch>")

    # Nothing is sent twice: another pass finds nothing due.
    again = cli("deliver")
    assert "sent=0" in again.stdout and len(receiver.calls) == 3 and len(mail.messages) == 3


def test_receiver_down_for_a_poll_gets_its_backlog_once_when_up(
    cli: Cli, site: FixtureServer, receiver: Receiver, smtp_server: tuple[MailSink, int]
) -> None:
    assert cli("poll").returncode == 0
    receiver.status = 503
    site.site.add_report(site.site.new_report())
    result = cli("poll")
    assert result.returncode == 0, "a failed delivery never changes poll's exit code"
    assert len(receiver.calls) == 1
    first_id = receiver.calls[0][0]["X-Ayrdw-Delivery"]
    pending = cli("outbox")
    assert "pending" in pending.stdout and "HTTP 503" in pending.stdout
    receiver.status = 200
    cli("deliver")
    assert len(receiver.calls) == 2 and receiver.calls[1][0]["X-Ayrdw-Delivery"] == first_id
    assert receiver.calls[0][1] == receiver.calls[1][1], "every retry is byte-identical"
    cli("deliver")
    assert len(receiver.calls) == 2
    assert len(smtp_server[0].messages) == 1, "the email watcher was not held up"


def test_killed_between_storing_and_sending_delivers_after_restart_with_same_id(
    cli: Cli, site: FixtureServer, receiver: Receiver
) -> None:
    assert cli("poll").returncode == 0
    site.site.add_report(site.site.new_report())
    receiver.hang = True  # the receiver holds the request: the poll is mid-send
    proc = cli.popen("poll")
    deadline = time.monotonic() + 30
    while not receiver.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    assert receiver.calls, "the send started"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    receiver.release.set()
    restarted = cli("deliver")
    assert restarted.returncode == 0
    ids = [h["X-Ayrdw-Delivery"] for h, _ in receiver.calls]
    assert len(ids) == 2 and ids[0] == ids[1]
    assert "sent=0" in cli("deliver").stdout


def test_smtp_refusing_is_retried_and_other_watchers_are_unaffected(
    cli: Cli, site: FixtureServer, receiver: Receiver, smtp_server: tuple[MailSink, int]
) -> None:
    mail, _ = smtp_server
    assert cli("poll").returncode == 0
    mail.refuse = "550 5.1.1 mailbox unavailable"
    site.site.add_report(site.site.new_report())
    assert cli("poll").returncode == 0
    assert len(receiver.calls) == 1, "the webhook got its event"
    outbox = cli("outbox").stdout
    assert "report.new" in outbox and "email watcher@example.org" in outbox and "refused" in outbox
    mail.refuse = None
    cli("deliver")  # the first retry is due at once
    assert len(mail.messages) == 1
    assert "pending=0" in cli("outbox").stdout


def test_script_in_a_title_arrives_escaped(
    cli: Cli, site: FixtureServer, receiver: Receiver, smtp_server: tuple[MailSink, int]
) -> None:
    mail, _ = smtp_server
    assert cli("poll").returncode == 0
    title = "关于<script>alert('x')</script>监督工作的报告"
    site.site.add_report(site.site.new_report(title=title))
    assert cli("poll").returncode == 0
    html_part = mail.messages[0].get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html_part and "&lt;script&gt;" in html_part
    assert json.loads(receiver.calls[0][1])["report"]["title"] == title  # JSON carries it as data


def test_on_baseline_sends_the_baseline_as_a_digest(
    tmp_path: Path, site: FixtureServer, receiver: Receiver, smtp_server: tuple[MailSink, int]
) -> None:
    mail, port = smtp_server
    cli = Cli(write_config(tmp_path, site, receiver, port, extra="[notify]\non_baseline = true\n"))
    assert cli("poll").returncode == 0
    assert len(receiver.calls) == 23
    assert len(mail.messages) == 1, "23 events > digest_over (5): one digest"
    assert mail.messages[0]["Subject"] == "[监督工作] 23 条更新（新报告 23）"
    assert "pending=0" in cli("outbox").stdout


def test_a_watcher_added_later_gets_only_later_events(
    tmp_path: Path, site: FixtureServer, receiver: Receiver, smtp_server: tuple[MailSink, int], httpserver
) -> None:
    _, port = smtp_server
    config = write_config(tmp_path, site, receiver, port, extra="[notify]\non_baseline = true\n")
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('[[watchers]]\nkind = "email"', '[[alerts]]\nkind = "email"'), encoding="utf-8")
    cli = Cli(config)
    assert cli("poll").returncode == 0
    late: list[bytes] = []
    httpserver.expect_request("/late", method="POST").respond_with_handler(
        lambda r: (late.append(r.get_data()), Response("ok"))[1]
    )
    config.write_text(
        config.read_text(encoding="utf-8")
        + f'\n[[watchers]]\nkind = "webhook"\nurl = "{httpserver.url_for("/late")}"\n',
        encoding="utf-8",
    )
    assert cli("poll").returncode == 0
    assert late == []
    site.site.add_report(site.site.new_report())
    assert cli("poll").returncode == 0
    assert [json.loads(b)["event"] for b in late] == ["report.new"]


def test_a_delivery_that_keeps_failing_is_marked_failed_never_dropped(
    tmp_path: Path, site: FixtureServer, receiver: Receiver, smtp_server: tuple[MailSink, int]
) -> None:
    cli = Cli(write_config(tmp_path, site, receiver, smtp_server[1], extra="[notify]\nmax_attempts = 2\n"))
    assert cli("poll").returncode == 0
    receiver.status = 500
    site.site.add_report(site.site.new_report())
    cli("poll")  # attempt 1
    cli("deliver")  # attempt 2: the first retry is due at once, and it is the last
    shown = cli("outbox").stdout
    assert "failed " in shown and "gave up" in shown and "attempts=2" in shown
    assert "failed=1" in shown.splitlines()[-1]


def test_notify_test_pings_every_watcher_and_secrets_stay_out_of_output(
    cli: Cli, site: FixtureServer, receiver: Receiver, smtp_server: tuple[MailSink, int]
) -> None:
    mail, _ = smtp_server
    result = cli("notify-test")
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["ok", "ok"]
    headers, body = receiver.calls[0]
    assert headers["X-Ayrdw-Event"] == "ping" and json.loads(body)["event"] == "ping"
    assert valid_signature(headers, body)
    assert mail.messages[0]["Subject"].startswith("[监督工作] 测试消息")
    receiver.status = 500
    failed = cli("notify-test")
    assert failed.returncode == 1 and "FAIL" in failed.stdout and "HTTP 500" in failed.stdout
    outputs = [result, failed, cli("poll"), cli("outbox"), cli("outbox", "--json")]
    for output in outputs:
        assert SECRET not in output.stdout + output.stderr
        assert SMTP_PASSWORD not in output.stdout + output.stderr


def test_an_unreachable_smtp_server_is_retried(tmp_path: Path, site: FixtureServer, receiver: Receiver) -> None:
    from tests.conftest import free_port

    cli = Cli(write_config(tmp_path, site, receiver, free_port()))
    assert cli("poll").returncode == 0
    site.site.add_report(site.site.new_report())
    result = cli("poll")
    assert result.returncode == 0
    assert len(receiver.calls) == 1
    assert "unreachable" in cli("outbox").stdout


@pytest.mark.parametrize(
    ("watcher", "message"),
    [
        ('kind = "webhook"\nurl = "not a url"', "watchers[3].url: expected an http:// or https:// URL"),
        ('kind = "email"\nto = ["nobody"]', "watchers[3].to: expected an email address"),
        (
            'kind = "webhook"\nurl = "https://x.example/h"\nsecret_env = "NOT_SET_ANYWHERE"',
            "NOT_SET_ANYWHERE is not set",
        ),
        ('kind = "pager"', 'watchers[3].kind: expected "webhook" or "email"'),
    ],
)
def test_a_bad_watcher_is_a_one_line_config_error_at_start(
    tmp_path: Path, site: FixtureServer, receiver: Receiver, watcher: str, message: str
) -> None:
    config = write_config(tmp_path, site, receiver, 25, extra=f"[[watchers]]\n{watcher}\n")
    result = Cli(config)("poll")
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.strip().count("\n") == 0


def test_operators_hear_once_when_trouble_starts_and_once_when_it_clears(
    tmp_path: Path, site: FixtureServer, receiver: Receiver, smtp_server: tuple[MailSink, int], httpserver
) -> None:
    alerts: list[dict] = []
    httpserver.expect_request("/ops", method="POST").respond_with_handler(
        lambda r: (alerts.append(json.loads(r.get_data())), Response("ok"))[1]
    )
    extra = f'[[alerts]]\nkind = "webhook"\nurl = "{httpserver.url_for("/ops")}"\n[notify]\nalert_after_failures = 2\n'
    cli = Cli(write_config(tmp_path, site, receiver, smtp_server[1], extra=extra))
    assert cli("poll").returncode == 0 and alerts == []

    site.site.challenge = "ruishu"
    assert cli("poll").returncode == 1
    assert cli("poll").returncode == 1
    assert [a["event"] for a in alerts] == ["alert.trouble"]
    assert alerts[0]["trouble"] == "the site answers with challenge pages"
    site.site.challenge = None
    assert cli("poll").returncode == 0
    assert [a["event"] for a in alerts] == ["alert.trouble", "alert.recovered"]
    assert receiver.calls == [], "report watchers do not get operator alerts"

    site.site.fail("/", 503, times=100)  # the whole site answers 503: one failure is not yet trouble
    assert cli("poll").returncode == 1
    assert len(alerts) == 2
    assert cli("poll").returncode == 1
    assert [a["event"] for a in alerts][-1] == "alert.trouble" and alerts[-1]["trouble"] == "polls keep failing"
