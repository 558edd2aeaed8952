"""DingTalk, WeCom and Feishu robots and Apprise, through the real CLI and the real outbox, to
loopback stand-ins that check what the vendors check (tests/robots.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from tests.conftest import ROOT
from tests.robots import AppriseJson, DingTalk, Feishu, WeCom

SECTION = "监督工作"
DT_SECRET = "SECdingtalk0123456789abcdef"
FS_SECRET = "feishu-sign-secret"


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer(FixtureSite("modern", validators=False)) as server:
        yield server


class Cli:
    def __init__(self, tmp_path: Path, site: FixtureServer, watchers: str, notify: str = "") -> None:
        self.config = tmp_path / "watch.toml"
        self.write(site, watchers, notify)
        self.env = {**os.environ, "DT_SECRET": DT_SECRET, "FS_SECRET": FS_SECRET}

    def write(self, site: FixtureServer, watchers: str, notify: str = "") -> None:
        self.config.write_text(
            f'[site]\nurl = "{site.url("/")}"\n[crawl]\ndelay = "0s"\nretry_backoff = "10ms"\nrecheck = "0s"\n'
            f'[storage]\ndb = "watch.db"\n[notify]\n{notify}\n{watchers}',
            encoding="utf-8",
        )

    def __call__(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "schedule.py"), "-v", "--config", str(self.config), *args],
            capture_output=True, text=True, timeout=timeout, cwd=self.config.parent, env=self.env,
        )  # fmt: skip


def edit_one_digit(site: FixtureServer) -> tuple[str, str, str]:
    """Change one digit of a report of the fixture site: (slug, old digit, new digit)."""
    fixture = site.site
    for report in fixture.sections[SECTION]:
        for k, paragraph in enumerate(report.paragraphs):
            m = re.search(r"\d", paragraph)
            if m and len(paragraph) > 40:
                old = m.group()
                new = str((int(old) + 1) % 10)
                paragraphs = list(report.paragraphs)
                paragraphs[k] = paragraph[: m.start()] + new + paragraph[m.end() :]
                fixture.edit_report(report.slug, paragraphs=paragraphs)
                return report.slug, old, new
    raise AssertionError("no report paragraph with a digit")


def robots_config(dingtalk: DingTalk, wecom: WeCom, feishu: Feishu, hook: AppriseJson) -> str:
    return f"""
[[watchers]]
kind = "dingtalk"
url = "{dingtalk.url}"
secret_env = "DT_SECRET"
[[watchers]]
kind = "wecom"
url = "{wecom.url}"
[[watchers]]
kind = "feishu"
url = "{feishu.url}"
secret_env = "FS_SECRET"
[[watchers]]
kind = "apprise"
urls = ["{hook.target}"]
"""


def test_a_one_digit_edit_arrives_marked_as_that_digit_in_every_channel(
    tmp_path: Path, site: FixtureServer, httpserver: HTTPServer
) -> None:
    dingtalk, wecom = DingTalk(httpserver, DT_SECRET), WeCom(httpserver)
    feishu, hook = Feishu(httpserver, FS_SECRET), AppriseJson(httpserver)
    cli = Cli(tmp_path, site, robots_config(dingtalk, wecom, feishu, hook))
    assert cli("poll").returncode == 0
    added = site.site.add_report(site.site.new_report())
    assert cli("poll").returncode == 0
    slug, old, new = edit_one_digit(site)
    done = cli("poll")
    assert done.returncode == 0, done.stderr
    assert dingtalk.refused == wecom.refused == feishu.refused == []
    assert len(dingtalk.accepted) == len(wecom.accepted) == len(feishu.accepted) == len(hook.accepted) == 2

    title = site.site.report(slug).title
    url = site.url(site.site.report_path(slug))
    mark = f"[-{old}-]{{+{new}+}}"
    dt_new, dt_change = dingtalk.accepted
    assert (
        added.title in dt_new["markdown"]["title"]
        and f"({site.url(site.site.report_path(added.slug))})" in (dt_new["markdown"]["text"])
    )
    assert dt_change["markdown"]["title"].startswith("报告已修改") and mark in dt_change["markdown"]["text"]
    assert f"[查看原文]({url})" in dt_change["markdown"]["text"]
    assert f'<font color="warning">[-{old}-]</font><font color="info">{{+{new}+}}</font>' in wecom.texts()[1]
    struck = [e["text"] for row in feishu.rows(1) for e in row if "lineThrough" in e.get("style", [])]
    underlined = [e["text"] for row in feishu.rows(1) for e in row if "underline" in e.get("style", [])]
    assert (struck, underlined) == ([old], [new])
    assert {"tag": "a", "text": url, "href": url} in [e for row in feishu.rows(1) for e in row]
    assert hook.accepted[1]["title"].startswith("报告已修改") and title[:10] in hook.accepted[1]["title"]
    assert mark in hook.accepted[1]["message"]


def test_secrets_stay_out_of_output_outbox_and_errors(
    tmp_path: Path, site: FixtureServer, httpserver: HTTPServer
) -> None:
    dingtalk, wecom = DingTalk(httpserver, "the-robot-has-another-secret"), WeCom(httpserver)
    feishu, hook = Feishu(httpserver, "and-so-does-this-one"), AppriseJson(httpserver)
    hook.down = 100
    cli = Cli(tmp_path, site, robots_config(dingtalk, wecom, feishu, hook), notify="max_attempts = 1")
    assert cli("poll").returncode == 0
    site.site.add_report(site.site.new_report())
    polled = cli("poll")
    outbox = cli("outbox")
    status = cli("status", "--json")
    files = [tmp_path / "watch.db", tmp_path / "watch.db-wal"]
    archive = "".join(f.read_bytes().decode("utf-8", "replace") for f in files if f.exists())
    seen = "\n".join(r.stdout + r.stderr for r in (polled, outbox, status)) + archive
    assert "errcode 310000: sign not match" in outbox.stdout, outbox.stdout
    assert "code 19021: sign match fail" in outbox.stdout
    assert "apprise json: Apprise reports the send failed" in outbox.stdout
    for secret in (DingTalk.TOKEN, WeCom.KEY, Feishu.TOKEN, DT_SECRET, FS_SECRET, "apprise-hook"):
        assert secret not in seen, f"{secret} leaked"
    assert re.search(r"dingtalk 127\.0\.0\.1 \(dingtalk-[0-9a-f]{12}\)", outbox.stdout)
    assert len(wecom.accepted) == 1, "the others' failures do not hold it up"


def test_a_refused_message_is_a_failed_attempt_and_goes_out_once_fixed(
    tmp_path: Path, site: FixtureServer, httpserver: HTTPServer
) -> None:
    dingtalk = DingTalk(httpserver, DT_SECRET)
    dingtalk.down = 1  # an HTTP 500 first
    entry = f'[[watchers]]\nkind = "dingtalk"\nurl = "{dingtalk.url}"\nsecret_env = "DT_SECRET"\n'
    cli = Cli(tmp_path, site, entry)
    assert cli("poll").returncode == 0
    site.site.add_report(site.site.new_report())
    assert cli("poll").returncode == 0
    assert dingtalk.accepted == [] and "dingtalk 127.0.0.1: HTTP 500" in cli("outbox").stdout
    assert "sent=1" in cli("deliver").stdout and len(dingtalk.accepted) == 1

    # A wrong secret: 310000 until max_attempts, a dead letter; the right one sends it again.
    cli.env["DT_SECRET"] = "wrong"
    cli.write(site, entry, notify="max_attempts = 2")
    site.site.add_report(site.site.new_report())
    assert cli("poll").returncode == 0 and cli("deliver").returncode == 0
    assert [code for code, _ in dingtalk.refused] == [310000, 310000]
    assert "gave up" in cli("outbox").stdout
    cli.env["DT_SECRET"] = DT_SECRET
    again = cli("deliver", "--retry-failed")
    assert again.returncode == 0 and len(dingtalk.accepted) == 2
    assert "outbox: pending=0 failed=0 delivered=2" in cli("outbox").stdout


def test_25_events_in_one_pass_never_exceed_20_a_minute_and_none_is_lost(
    tmp_path: Path, site: FixtureServer, httpserver: HTTPServer
) -> None:
    dingtalk, wecom = DingTalk(httpserver, DT_SECRET), WeCom(httpserver)
    watchers = (
        f'[[watchers]]\nkind = "dingtalk"\nurl = "{dingtalk.url}"\nsecret_env = "DT_SECRET"\n'
        f'[[watchers]]\nkind = "wecom"\nurl = "{wecom.url}"\n'
    )
    cli = Cli(tmp_path, site, watchers, notify="digest_over = 100")  # only the rate limit makes a digest
    assert cli("poll").returncode == 0
    added = [site.site.add_report(site.site.new_report()) for _ in range(25)]
    done = cli("poll", timeout=180)
    assert done.returncode == 0, done.stderr
    assert "deliver: sent=50 failed=0" in done.stderr, done.stderr
    for robot in (dingtalk, wecom):
        assert robot.refused == [] and robot.max_in_a_minute() <= 20
        text = "\n".join(robot.texts())
        assert all(report.title in text for report in added), "every event is in a digest"
    assert len(dingtalk.accepted) == 1, "one digest fits DingTalk's 20,000 bytes"
    assert all(len(t.encode()) <= 4096 for t in wecom.texts())
    assert "outbox: pending=0 failed=0 delivered=50" in cli("outbox").stdout


def test_the_robots_minute_is_kept_between_passes(tmp_path: Path, httpserver: HTTPServer) -> None:
    """The service keeps its notifiers: 15 messages, then 10 events within the minute -> a digest."""
    from domain.events import Notice
    from notify import dingtalk as channel
    from notify.robot import RobotNotifier
    from storage.outbox import Due

    receiver = DingTalk(httpserver)
    notifier = RobotNotifier(channel.ROBOT, receiver.url, "dingtalk 127.0.0.1", digest_over=100)

    def batch(n: int, start: int) -> list[Due]:
        payload = {"event": "report.new", "occurred_at": "2026-11-29T08:00:00+00:00",
                   "report": {"url": "http://a.gov.cn/x.html", "title": "报告"}}  # fmt: skip
        return [Due(f"d{start + i}", "w", 0, json.dumps(payload, ensure_ascii=False), "report.new")
                for i in range(n)]  # fmt: skip

    first = list(notifier.send(batch(15, 0)))
    second = list(notifier.send(batch(10, 15)))
    assert all(r.ok for r in first + second)
    assert [len(r.delivery_ids) for r in first] == [1] * 15 and [len(r.delivery_ids) for r in second] == [10]
    assert len(receiver.accepted) == 16 and receiver.refused == []
    assert Notice.from_payload(json.loads(batch(1, 0)[0].payload)).is_report


def test_wecom_cuts_a_long_report_to_4096_bytes_and_keeps_the_link(
    tmp_path: Path, site: FixtureServer, httpserver: HTTPServer
) -> None:
    wecom = WeCom(httpserver)
    cli = Cli(tmp_path, site, f'[[watchers]]\nkind = "wecom"\nurl = "{wecom.url}"\n')
    assert cli("poll").returncode == 0
    long = site.site.add_report(site.site.new_report(paragraphs=[f"第{i}段：" + "甲" * 120 for i in range(40)]))
    assert cli("poll").returncode == 0
    site.site.edit_report(long.slug, paragraphs=[f"第{i}段：" + "乙" * 120 for i in range(40)])
    assert cli("poll").returncode == 0
    assert wecom.refused == [] and len(wecom.accepted) == 2
    content = wecom.texts()[1]
    assert len(content.encode("utf-8")) <= 4096 and "已截断" in content
    assert content.endswith(f"[查看原文]({site.url(site.site.report_path(long.slug))})")


def test_feishu_old_answers_and_apprise_retry_after_a_500(
    tmp_path: Path, site: FixtureServer, httpserver: HTTPServer
) -> None:
    feishu, hook = Feishu(httpserver, old_answers=True), AppriseJson(httpserver)
    hook.down = 1
    watchers = (
        f'[[watchers]]\nkind = "feishu"\nurl = "{feishu.url}"\n'
        f'[[watchers]]\nkind = "apprise"\nurls = ["{hook.target}"]\n'
    )
    cli = Cli(tmp_path, site, watchers)
    assert cli("poll").returncode == 0
    added = site.site.add_report(site.site.new_report())
    assert cli("poll").returncode == 0
    assert len(feishu.accepted) == 1 and feishu.refused == [], "StatusCode 0 is success too"
    assert hook.accepted == [] and "Apprise reports the send failed" in cli("outbox").stdout
    assert "sent=1" in cli("deliver").stdout
    assert len(hook.accepted) == 1 and added.title in hook.accepted[0]["title"]
    assert len(hook.arrivals) == 2, "one failed attempt, one retry"


def test_notify_test_reaches_every_kind(tmp_path: Path, site: FixtureServer, httpserver: HTTPServer) -> None:
    dingtalk, wecom = DingTalk(httpserver, DT_SECRET), WeCom(httpserver)
    feishu, hook = Feishu(httpserver, FS_SECRET), AppriseJson(httpserver)
    cli = Cli(tmp_path, site, robots_config(dingtalk, wecom, feishu, hook))
    done = cli("notify-test")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("ok    ") == 4 and "apprise json" in done.stdout and "feishu 127.0.0.1" in done.stdout
    assert all(len(r.accepted) == 1 for r in (dingtalk, wecom, feishu, hook))
    assert "测试消息" in dingtalk.texts()[0] and "测试消息" in hook.accepted[0]["title"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('kind = "dingtalk"', "watchers[1].url: a dingtalk watcher needs url (or url_env)"),
        ('kind = "wecom"\nurl = "http://127.0.0.1/x"\nsecret = "s"', "unknown key watchers[1].secret for a wecom"),
        ('kind = "feishu"\nurl = "ftp://x/"', "watchers[1].url"),
        ('kind = "dingtalk"\nurl_env = "NO_SUCH_VARIABLE_X"', "environment variable NO_SUCH_VARIABLE_X is not set"),
        ('kind = "apprise"\nurls = ["nosuchservice://abc"]', "URL 1 (scheme nosuchservice://) is not one Apprise"),
        ('kind = "apprise"\nurls = []', "watchers[1].urls: expected a list of Apprise URLs"),
    ],
)
def test_a_bad_robot_entry_is_one_line_at_start(tmp_path: Path, site: FixtureServer, entry: str, message: str) -> None:
    cli = Cli(tmp_path, site, f"[[watchers]]\n{entry}\n")
    done = cli("poll")
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
