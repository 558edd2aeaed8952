"""Watches: many sections and sites in one service and one archive. Two fixture sites on
loopback (two layouts), three watches (two sections of one site, one of the other), polled
through the real command line."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from tests.procs import WebhookReceiver, cli

JDGZ, DBGZ = "监督工作", "代表工作"


@pytest.fixture
def sites() -> Iterator[tuple[FixtureServer, FixtureServer]]:
    with FixtureServer(FixtureSite("trs", validators=False)) as a, FixtureServer(FixtureSite("modern")) as b:
        yield a, b


def three_watches(tmp_path: Path, a: FixtureServer, b: FixtureServer, hook: str, extra: str = "") -> Path:
    config = tmp_path / "watches.toml"
    config.write_text(
        f"""[crawl]
delay = "50ms"
retry_backoff = "10ms"
recheck = "0s"
[storage]
db = "watch.db"
{extra}
[[watch]]
name = "anyue-jdgz"
url = "{a.url("/")}"
section = "{JDGZ}"

[[watch]]
name = "anyue-dbgz"
url = "{a.url("/")}"
section = "{DBGZ}"
subject_prefix = "[安岳人大·代表工作]"

[[watch]]
name = "lezhi-jdgz"
url = "{b.url("/")}"
section = "{JDGZ}"

[[watchers]]
kind = "webhook"
url = "{hook}"
""",
        encoding="utf-8",
    )
    return config


def poll_lines(done) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """The summary line of each watch, as {watch: {key: value}}; the total line under "total"."""
    lines = {}
    for line in done.stdout.splitlines():
        if line.startswith("poll: "):
            fields = dict(part.split("=", 1) for part in line.split()[2:] if "=" in part)
            lines[fields.get("watch", "total")] = {"status": line.split()[1], **fields}
    return lines


def test_three_watches_get_exactly_their_own_events(tmp_path: Path, sites: tuple[FixtureServer, FixtureServer]) -> None:
    a, b = sites
    with WebhookReceiver() as hook:
        config = three_watches(tmp_path, a, b, hook.url)
        first = cli(config, "poll")
        assert first.returncode == 0, first.stderr
        lines = poll_lines(first)
        assert {lines[n]["new"] for n in ("anyue-jdgz", "lezhi-jdgz")} == {"23"} and lines["anyue-dbgz"]["new"] == "12"
        assert lines["total"]["watches"] == "3" and lines["total"]["new"] == "58"
        assert hook.received == [], "every baseline is silent"

        added = a.site.add_report(a.site.new_report())
        edited = a.site.sections[DBGZ][3]
        a.site.edit_report(edited.slug, title=edited.title + "（修订）")
        gone = b.site.sections[JDGZ][-1]
        b.site.remove_report(gone.slug)
        for _ in range(2):  # a removal is confirmed by the poll after the one that first sees it
            assert cli(config, "poll").returncode == 0
        got = sorted((r.body["watch"]["name"], r.event, r.body["report"]["title"]) for r in hook.received)
    assert got == [
        ("anyue-dbgz", "report.changed", edited.title),
        ("anyue-jdgz", "report.new", added.title),
        ("lezhi-jdgz", "report.removed", gone.title),
    ]
    for received in hook.received:
        assert received.body["report"]["watch"] == received.body["watch"]["name"]
        assert isinstance(received.body["report"]["id"], int)

    rows = [json.loads(line) for line in cli(config, "export").stdout.splitlines()]
    by_watch = {name: [r for r in rows if r["watch"] == name] for name in ("anyue-jdgz", "anyue-dbgz", "lezhi-jdgz")}
    assert [len(v) for v in by_watch.values()] == [24, 12, 23]
    jdgz_urls = {a.url(a.site.report_path(r.slug)) for r in a.site.sections[JDGZ]}
    assert {r["url"] for r in by_watch["anyue-jdgz"]} == jdgz_urls, "no report leaks into another watch"
    assert {r["status"] for r in by_watch["anyue-jdgz"] + by_watch["anyue-dbgz"]} == {"active"}
    assert len({r["id"] for r in rows}) == len(rows)
    only = [json.loads(line) for line in cli(config, "export", "--watch", "anyue-dbgz").stdout.splitlines()]
    assert {r["watch"] for r in only} == {"anyue-dbgz"} and len(only) == 12

    assert a.site.max_in_flight == 1, "two watches on one host never have two requests in flight"
    starts = sorted(r.started for r in a.site.requests)
    ends = sorted(r.ended for r in a.site.requests)
    gaps = [start - end for start, end in zip(starts[1:], ends[:-1], strict=True)]
    assert min(gaps) >= 0.045, "the delay holds between requests to one host, across watches"


def test_one_site_down_fails_only_its_watches(tmp_path: Path, sites: tuple[FixtureServer, FixtureServer]) -> None:
    a, b = sites
    with WebhookReceiver() as hook:
        config = three_watches(tmp_path, a, b, hook.url)
        assert cli(config, "poll").returncode == 0
        b.site.fail("/", 503, times=10_000)
        down = cli(config, "poll")
        assert down.returncode == 1 and "poll failed: lezhi-jdgz: " in down.stderr
        lines = poll_lines(down)
        assert [lines[n]["status"] for n in ("anyue-jdgz", "anyue-dbgz", "lezhi-jdgz")] == ["ok", "ok", "failed"]
        assert lines["total"]["failed"] == "1"
        status = cli(config, "status", "--json")
        assert status.returncode == 1
        health = {w["name"]: w["healthy"] for w in json.loads(status.stdout)["watches"]}
        assert health == {"anyue-jdgz": True, "anyue-dbgz": True, "lezhi-jdgz": False}
        assert cli(config, "status", "--watch", "anyue-jdgz").returncode == 0
        assert cli(config, "status", "--watch", "lezhi-jdgz").returncode == 1
        only_a = cli(config, "poll", "--watch", "anyue-jdgz", "--watch", "anyue-dbgz")
        assert only_a.returncode == 0 and set(poll_lines(only_a)) == {"anyue-jdgz", "anyue-dbgz", "total"}


def test_watches_lists_configured_and_archived_and_history_needs_a_watch_for_a_shared_url(
    tmp_path: Path, sites: tuple[FixtureServer, FixtureServer]
) -> None:
    a, b = sites
    with WebhookReceiver() as hook:
        config = three_watches(tmp_path, a, b, hook.url)
        assert cli(config, "poll").returncode == 0
    # A second watch of the same section of site A: the same URLs, two reports each.
    text = config.read_text(encoding="utf-8").replace('name = "lezhi-jdgz"', 'name = "lezhi-old"')
    text += f'\n[[watch]]\nname = "anyue-jdgz-2"\nurl = "{a.url("/")}"\nsection = "{JDGZ}"\n'
    config.write_text(text, encoding="utf-8")
    assert cli(config, "poll", "--watch", "anyue-jdgz-2").returncode == 0
    overview = json.loads(cli(config, "watches", "--json").stdout)
    assert [w["name"] for w in overview] == ["anyue-jdgz", "anyue-dbgz", "lezhi-old", "anyue-jdgz-2", "lezhi-jdgz"]
    archived = overview[-1]
    assert archived["configured"] is False and archived["reports"]["active"] == 23
    assert cli(config, "watches").returncode == 0, "watches never fails: status is the health check"
    url = a.url(a.site.report_path(a.site.sections[JDGZ][0].slug))
    ambiguous = cli(config, "history", url)
    assert ambiguous.returncode == 2
    assert ambiguous.stderr == f"error: {url} is known to watches anyue-jdgz, anyue-jdgz-2: add --watch NAME\n"
    picked = cli(config, "history", url, "--watch", "anyue-jdgz-2", "--json")
    assert picked.returncode == 0 and json.loads(picked.stdout)["watch"] == "anyue-jdgz-2"
    unknown = cli(config, "poll", "--watch", "nope")
    assert unknown.returncode == 2 and "no watch named 'nope'" in unknown.stderr
    old = cli(config, "export", "--watch", "lezhi-jdgz")
    assert old.returncode == 0 and len(old.stdout.splitlines()) == 23, "a watch no longer configured keeps its rows"


def test_status_counts_each_watchs_reports_and_versions_as_the_archive_holds_them(
    tmp_path: Path, sites: tuple[FixtureServer, FixtureServer]
) -> None:
    """The counts status shows are kept as reports come, change and go (not counted at each
    status): they must equal the archive's rows, watch by watch."""
    a, b = sites
    with WebhookReceiver() as hook:
        config = three_watches(tmp_path, a, b, hook.url)
        assert cli(config, "poll").returncode == 0
        edited, removed = a.site.sections[JDGZ][0], a.site.sections[JDGZ][1]
        a.site.edit_report(edited.slug, title=edited.title + "（修订）")
        a.site.remove_report(removed.slug)
        a.site.add_report(a.site.new_report(section=DBGZ), section=DBGZ)
        for _ in range(2):  # a removal is confirmed on a second poll
            assert cli(config, "poll").returncode == 0
        shown = json.loads(cli(config, "status", "--json").stdout)
    with sqlite3.connect(tmp_path / "watch.db") as conn:
        rows = conn.execute("SELECT watch, status, count(*) FROM reports GROUP BY 1, 2").fetchall()
        versions = dict(conn.execute("SELECT watch, count(*) FROM report_versions GROUP BY 1").fetchall())
    held = {w: {"active": 0, "removed": 0, "versions": versions.get(w, 0)} for w in versions}
    for watch, status, n in rows:
        held[watch][status] = n
    assert held["anyue-jdgz"]["removed"] == 1 and held["anyue-jdgz"]["versions"] == held["anyue-jdgz"]["active"] + 2
    keys = ("active", "removed", "versions")
    assert {w["name"]: {k: w["reports"][k] for k in keys} for w in shown["watches"]} == held
    assert {k: shown["reports"][k] for k in keys} == {k: sum(h[k] for h in held.values()) for k in keys}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[site]\nurl = "http://a.gov.cn/"\n[[watch]]\nname = "a"\nurl = "http://a.gov.cn/"\nsection = "x"\n',
         "[site] and [[watch]] exclude each other"),
        ('[[watch]]\nname = "A b"\nurl = "http://a.gov.cn/"\nsection = "x"\n', "watch[1].name: expected a name"),
        ('[[watch]]\nname = "a"\nurl = "http://a.gov.cn/"\n', "watch[1].section: a watch needs a section"),
        ('[[watch]]\nname = "a"\nurl = "http://a.gov.cn/"\nsection = "x"\n'
         '[[watch]]\nname = "a"\nurl = "http://b.gov.cn/"\nsection = "y"\n', "watch names must be unique: a"),
        ('[[watch]]\nname = "a"\nurl = "http://a.gov.cn/"\nsection = "x"\n[[watchers]]\nkind = "webhook"\n'
         'url = "http://127.0.0.1:9/"\nwatches = ["a", "b"]\n', "watches: no watch named b (watches: a)"),
    ],
)  # fmt: skip
def test_watch_config_errors_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    done = cli(config, "status")
    assert done.returncode == 2 and message in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_a_site_variable_beside_watch_entries_is_named_in_the_error(tmp_path: Path) -> None:
    import subprocess

    from tests.procs import PYTHON

    config = tmp_path / "w.toml"
    config.write_text('[[watch]]\nname = "a"\nurl = "http://a.gov.cn/"\nsection = "x"\n', encoding="utf-8")
    env = {**os.environ, "AYRDW_SITE_URL": "http://b.gov.cn/"}
    done = subprocess.run([*PYTHON, "--config", str(config), "status"], capture_output=True, text=True, env=env)
    assert done.returncode == 2 and "AYRDW_SITE_URL sets [site]" in done.stderr


def test_subject_prefix_is_the_watchs_then_notify_then_the_section(tmp_path: Path) -> None:
    from jobs.config import load_config

    config = tmp_path / "w.toml"
    config.write_text(
        '[[watch]]\nname = "a"\nurl = "http://a.gov.cn/"\nsection = "人事任免"\nsubject_prefix = "[A]"\n'
        '[[watch]]\nname = "b"\nurl = "http://a.gov.cn/"\nsection = "代表工作"\n',
        encoding="utf-8",
    )
    assert [w.subject_prefix for w in load_config(config).watches] == ["[A]", "[代表工作]"]
    config.write_text(config.read_text(encoding="utf-8") + '[notify]\nsubject_prefix = "[安岳]"\n', encoding="utf-8")
    assert [w.subject_prefix for w in load_config(config).watches] == ["[A]", "[安岳]"]


def test_one_service_polls_every_watch_on_its_own_schedule(
    tmp_path: Path, sites: tuple[FixtureServer, FixtureServer]
) -> None:
    from tests.procs import Proc, wait_for

    a, b = sites
    with WebhookReceiver() as hook:
        config = three_watches(tmp_path, a, b, hook.url, extra='[schedule]\ninterval = "1s"\ndeliver_interval = "1s"\n')
        text = config.read_text(encoding="utf-8").replace(
            'name = "lezhi-jdgz"\n', 'name = "lezhi-jdgz"\ninterval = "30m"\n'
        )  # this one polls rarely
        config.write_text(text, encoding="utf-8")
        service = Proc(config, "run").start()
        try:
            wait_for(lambda: len(service.polls()) >= 3, what="a first poll of each watch")
            added = a.site.add_report(a.site.new_report(section=DBGZ))
            wait_for(lambda: hook.received, what="the new report of anyue-dbgz")
            status = json.loads(cli(config, "status", "--json").stdout)
        finally:
            assert service.stop() == 0
    assert [(r.body["watch"]["name"], r.body["report"]["title"]) for r in hook.received] == [
        ("anyue-dbgz", added.title)
    ]
    polls = service.polls()
    assert sum("watch=lezhi-jdgz" in p for p in polls) == 1, "its own interval: 30 minutes"
    assert sum("watch=anyue-dbgz" in p for p in polls) >= 2
    nexts = {w["name"]: w["next_poll"] for w in status["watches"]}
    assert nexts["lezhi-jdgz"] > nexts["anyue-dbgz"], "each watch's next poll on its own schedule"
