"""No false removals, no false changes, restored reports: polls of the fixture site through the
real CLI, as a user runs them, with what the site does between them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from tests.procs import WebhookReceiver, cli

SECTION = "监督工作"


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer(FixtureSite("trs", validators=False)) as server:
        yield server


def make_config(tmp_path: Path, server: FixtureServer, extra: str = "") -> Path:
    config = tmp_path / "watch.toml"
    config.write_text(
        f'[site]\nurl = "{server.url("/")}"\n[crawl]\ndelay = "0s"\nretry_backoff = "10ms"\nrecheck = "0s"\n'
        f'[storage]\ndb = "watch.db"\n{extra}',
        encoding="utf-8",
    )
    return config


def poll(config: Path) -> dict[str, str]:
    done = cli(config, "poll")
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip().splitlines()[-1]
    return dict(part.split("=", 1) for part in line.split()[2:] if "=" in part)


def events(config: Path) -> list[dict]:
    rows = [json.loads(line) for line in cli(config, "export").stdout.splitlines()]
    kinds = []
    for row in rows:
        history = json.loads(cli(config, "history", row["url"], "--json").stdout)
        kinds += [(e["kind"], row["url"], e) for e in history["events"]]
    return sorted(kinds, key=lambda k: k[2]["id"])


def quiet(stats: dict[str, str]) -> bool:
    return all(stats[k] == "0" for k in ("new", "changed", "restored", "removed"))


# -- 5. not found is decided by the answer, and confirmed -------------------------------------------------
def test_a_report_about_deleted_records_is_a_report_not_a_missing_page(tmp_path: Path, site: FixtureServer) -> None:
    fixture = site.site
    config = make_config(tmp_path, site)
    poll(config)
    notice = fixture.add_report(
        fixture.new_report(
            title="关于已删除信息不存在问题的说明",
            paragraphs=[
                "近期有群众反映，部分页面显示“信息不存在”或“已被删除”。经核查，相关信息已按规定归档，现将有关情况说明如下。",
                "一、已删除的信息均为超过公开期限的临时性通知，其内容已另行归档保存，可依申请公开。",
                "二、页面不存在的提示系网站改版所致，技术部门已完成修复。",
            ],
        )
    )
    assert poll(config)["new"] == "1", "a new notice about deleted records is stored"
    fixture.unlist_report(notice.slug)  # dropped from the list, still answering
    for _ in range(3):
        assert quiet(poll(config))
    status = [
        r["status"] for r in map(json.loads, cli(config, "export").stdout.splitlines()) if r["title"] == notice.title
    ]
    assert status == ["active"]


def test_one_404_removes_nothing_the_second_removes_with_how_it_was_confirmed(
    tmp_path: Path, site: FixtureServer
) -> None:
    fixture = site.site
    with WebhookReceiver() as hook:
        config = make_config(tmp_path, site, f'[[watchers]]\nkind = "webhook"\nurl = "{hook.url}"\n')
        poll(config)
        gone = fixture.sections[SECTION][-1]
        fixture.remove_report(gone.slug)
        assert quiet(poll(config)), "one not-found verdict removes nothing"
        assert hook.received == []
        stats = poll(config)
        assert stats["removed"] == "1"
        removal = hook.received[0].body
    assert removal["event"] == "report.removed" and removal["report"]["title"] == gone.title
    assert removal["removal"]["confirmed_by"] == "http_404" and removal["removal"]["detail"] == "HTTP 404"
    assert removal["removal"]["last_seen_live"] <= removal["removal"]["first_seen_gone"] <= removal["occurred_at"]


def test_a_maintenance_redirect_while_the_list_is_short_removes_nothing(tmp_path: Path, site: FixtureServer) -> None:
    fixture = site.site
    config = make_config(tmp_path, site)
    poll(config)
    hidden = fixture.sections[SECTION][-6:]
    for report in hidden:  # the list is short, and their pages redirect to the home page
        fixture.remove_report(report.slug, how="home")
    assert quiet(poll(config))
    for report in reversed(hidden):  # maintenance over
        fixture.add_report(report)
    fixture.sections[SECTION].sort(key=lambda r: r.published, reverse=True)
    for _ in range(2):
        assert quiet(poll(config))
    assert [k for k, _, _ in events(config)].count("removed") == 0


# -- 6. a change is announced only when it is stable ------------------------------------------------------
def test_a_random_token_in_the_body_never_makes_a_change_and_a_real_edit_is_announced_once(
    tmp_path: Path, site: FixtureServer
) -> None:
    fixture = site.site
    report = fixture.sections[SECTION][2]
    fixture.token_lines.add(report.slug)  # present from the baseline, new on every request
    config = make_config(tmp_path, site)
    poll(config)
    changed, confirms = 0, 0
    for n in range(10):
        if n == 5:
            fixture.edit_report(report.slug, paragraphs=[*report.paragraphs[:-1], report.paragraphs[-1] + "（已更正）"])
        stats = poll(config)
        changed += int(stats["changed"])
        confirms += int(stats["confirms"])
    assert changed == 1, "the edit, once; never the token"
    assert 1 <= confirms <= 3, "a second fetch confirms a change; once learnt, the token needs none"
    change = [e for kind, _, e in events(config) if kind == "changed"]
    assert len(change) == 1 and "（已更正）" in change[0]["changes"]["text"]["new"]


def test_the_confirming_fetch_counts_in_the_poll_line(tmp_path: Path, site: FixtureServer) -> None:
    fixture = site.site
    config = make_config(tmp_path, site)
    poll(config)
    edited = fixture.sections[SECTION][3]
    fixture.edit_report(edited.slug, title=edited.title + "（修订）")
    before = len(fixture.requests)
    stats = poll(config)
    assert stats["changed"] == "1" and stats["confirms"] == "1"
    assert int(stats["requests"]) == len(fixture.requests) - before


# -- 7. a removed report that comes back ------------------------------------------------------------------
def test_a_removed_report_that_comes_back_is_restored_with_what_changed_while_away(
    tmp_path: Path, site: FixtureServer
) -> None:
    fixture = site.site
    with WebhookReceiver() as everything, WebhookReceiver() as narrow:
        watchers = (
            f'[[watchers]]\nkind = "webhook"\nurl = "{everything.url}"\n'
            f'[[watchers]]\nkind = "webhook"\nurl = "{narrow.url}"\nevents = ["new", "removed"]\n'
        )
        config = make_config(tmp_path, site, watchers)
        poll(config)
        gone = fixture.sections[SECTION][-1]
        fixture.remove_report(gone.slug)
        poll(config)
        assert poll(config)["removed"] == "1"
        fixture.edit_report(gone.slug, title=gone.title + "（重新发布）")
        fixture.add_report(gone)
        stats = poll(config)
        assert stats["restored"] == "1" and stats["new"] == "0"
        kinds = [r.event for r in everything.received]
        assert kinds == ["report.removed", "report.restored"]
        assert [r.event for r in narrow.received] == ["report.removed"], "an explicit events list must name it"
        restored = everything.received[-1].body
    old_title = gone.title.removesuffix("（重新发布）")
    assert restored["changes"]["title"] == {
        "old": old_title, "new": gone.title, "inline": [["=", old_title], ["+", "（重新发布）"]]
    }  # fmt: skip
    assert restored["report"]["status"] == "active" and restored["report"]["version"] == 2

    url = site.url(fixture.report_path(gone.slug))
    history = json.loads(cli(config, "history", url, "--json").stdout)
    assert [(e["kind"], e["version"]) for e in history["entries"]] == [
        ("version", 1), ("removed", 1), ("version", 2), ("restored", 2),
    ]  # fmt: skip
    assert history["entries"][2]["changed_fields"] == ["title"]
    assert set(history["entries"][0]) >= {"kind", "at", "version", "changed_fields"}
    text = cli(config, "history", url).stdout.splitlines()
    assert text[0].startswith("version 1") and text[2].startswith("removed") and "confirmed by http_404" in text[2]
    assert text[3].startswith("version 2") and "changed: title" in text[3] and text[5].startswith("restored")
