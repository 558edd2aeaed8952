"""Better extraction is not news: an archive written by an earlier release, re-checked by a
newer extractor that reads its pages differently, gets the new readings stored silently.

The archives of tests/fixtures point at the unchanged fixture site; every report is due
(``recheck = "0s"``). tests/changed_extractor.py stands for the next release's extractor:
it reads every title with a trailing "（全文）" and has a higher extractor version.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from fixturesite.server import FixtureServer
from tests.fixtures.make_archive import HOOK, SECTION
from tests.procs import WebhookReceiver, cli
from tests.test_upgrade import ARCHIVES, snapshot, write_config

CHANGED = [sys.executable, str(Path(__file__).parent / "changed_extractor.py")]
SUFFIX = "（全文）"


def changed_cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CHANGED, "--config", str(config), *args], capture_output=True, text=True, timeout=120, cwd=config.parent
    )


def hook_receiver() -> WebhookReceiver:
    host, port = HOOK.split("//")[1].split("/")[0].split(":")
    return WebhookReceiver(host=host, port=int(port))


def pending_deliveries(db: Path) -> set[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM deliveries WHERE status = 'pending'")}


@pytest.mark.parametrize("archive", [ARCHIVES[0], ARCHIVES[-1]], ids=lambda p: p.stem)
def test_a_newer_extractor_stores_its_readings_of_an_upgraded_archive_without_a_word(
    archive: Path, tmp_path: Path, archive_site: FixtureServer
) -> None:
    db = tmp_path / "archive.db"
    shutil.copyfile(archive, db)
    before = snapshot(db)
    waiting = pending_deliveries(db)
    config = write_config(tmp_path, db, None)
    with hook_receiver() as hook:
        polled = changed_cli(config, "poll")
    assert polled.returncode == 0, polled.stderr
    summary = polled.stdout.strip().splitlines()[-1]
    assert " new=0 changed=0 " in summary and " removed=0 " in summary and " reextracted=23" in summary, summary
    after = snapshot(db)
    assert after["events"] == before["events"], "no event"
    assert {r.delivery for r in hook.received} == waiting, "only what was waiting before the upgrade was sent"
    assert len(after["report_versions"]) == len(before["report_versions"]) + 23

    exported = [json.loads(line) for line in cli(config, "export").stdout.splitlines()]
    active = [r for r in exported if r["status"] == "active"]
    assert len(active) == 23 and all(r["title"].endswith(SUFFIX) for r in active)

    url = active[0]["url"]
    shown = cli(config, "history", url)
    assert shown.returncode == 0 and "re-extracted" in shown.stdout and "title" in shown.stdout, shown.stdout
    entries = json.loads(cli(config, "history", "--json", url).stdout)["entries"]
    assert entries[-1]["kind"] == "re-extracted" and entries[-1]["changed_fields"] == ["title"]
    diff = cli(config, "diff", url).stdout
    assert "not an edit of the page" in diff and SUFFIX in diff

    again = changed_cli(config, "poll")
    assert " reextracted=" not in again.stdout and " changed=0 " in again.stdout, "re-extracted once, then current"


def test_an_edit_after_the_re_extraction_is_announced_with_only_what_the_site_changed(
    tmp_path: Path, archive_site: FixtureServer
) -> None:
    db = tmp_path / "archive.db"
    shutil.copyfile(ARCHIVES[-1], db)
    config = write_config(tmp_path, db, None)
    with hook_receiver() as hook:
        assert changed_cli(config, "poll").returncode == 0
        hook.received.clear()
        edited = archive_site.site.sections[SECTION][5]
        archive_site.site.edit_report(edited.slug, paragraphs=[*edited.paragraphs, "本报告已于会后修订。"])
        polled = changed_cli(config, "poll")
    assert polled.returncode == 0 and " changed=1 " in polled.stdout, polled.stdout
    sent = [r.body for r in hook.received if r.event == "report.changed"]
    assert len(sent) == 1 and set(sent[0]["changes"]) == {"text"}, "the title reading was not an edit"
    assert sent[0]["report"]["title"].endswith(SUFFIX)
