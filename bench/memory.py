"""Memory: the RSS of one process running 500 polls of the fixture site in which reports are
published and edited (so polls extract and store, not only idle ones), and of the real
service (`ayrdw-watch run`, 200 ms interval) while the site keeps changing."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Figures, fmt, spread
from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite

_PROBE = r"""
import datetime as dt, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from bench.common import Clock, SECTION, make_config, poll
from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from jobs.watchers import open_archive

def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

site = FixtureSite("trs")
with FixtureServer(site) as server, tempfile.TemporaryDirectory() as tmp:
    config = make_config(server.base_url, Path(tmp) / "m.db", recheck="2h")
    store = open_archive(config, "2026-11-25T08:00:00+00:00")
    clock = Clock()
    poll(config, store, clock)  # the baseline
    stored = 0
    for i in range(500):
        clock.now += dt.timedelta(minutes=30)
        site.add_report(site.new_report())  # every poll: one new report to extract and store
        if i % 10 == 0:  # and now and then an edit, caught by a re-check
            edited = site.sections[SECTION][5]
            site.edit_report(edited.slug, paragraphs=[*edited.paragraphs[:-1], edited.paragraphs[-1] + str(i)])
        result = poll(config, store, clock)
        site.reset_log()  # the fixture server's request log is the server's memory, not ours
        stored += result.new + result.changed
        if i == 0:
            after_1 = rss_kb()
    print(after_1, rss_kb(), stored)
"""


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def run(figures: Figures, runs: int = 3) -> None:
    after_1, after_500, stored = [], [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE, str(ROOT)], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.split()
        after_1.append(int(out[0]) / 1024)
        after_500.append(int(out[1]) / 1024)
        stored.append(int(out[2]))
    how = "one process, 500 polls each storing a new report (an edit every 10th), /proc VmRSS"
    figures.add("memory.rss_mb_after_1_poll", spread(after_1), "MB", how)
    figures.add("memory.rss_mb_after_500_polls", spread(after_500), "MB", how)
    figures.add("memory.growth_mb", spread([b - a for a, b in zip(after_1, after_500, strict=True)]), "MB", how)
    figures.add("memory.versions_stored", spread(stored), "versions", how)
    d = figures.data
    print(f"\n4. Memory ({how})")
    print(f"   after 1 poll:    {fmt(d['memory.rss_mb_after_1_poll'])} MB")
    print(f"   after 500 polls: {fmt(d['memory.rss_mb_after_500_polls'])} MB"
          f" ({d['memory.versions_stored']['median']:.0f} versions stored)")  # fmt: skip
    print(f"   growth:          {fmt(d['memory.growth_mb'], 2)} MB (target < 5 MB)")
    _service(figures)


def _service(figures: Figures, polls: int = 200) -> None:
    """The real service polling every 200 ms while a report is published every second."""
    site = FixtureSite("trs")
    with FixtureServer(site) as server, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "svc.toml"
        config.write_text(
            f'[site]\nurl = "{server.base_url}/"\n[crawl]\ndelay = "0s"\nrecheck = "1m"\n[storage]\ndb = "svc.db"\n'
            '[schedule]\ninterval = "200ms"\ndeliver_interval = "1s"\n',
            encoding="utf-8",
        )
        log = Path(tmp) / "svc.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, str(ROOT / "schedule.py"), "--config", str(config), "run"],
                stdout=out, stderr=out, cwd=tmp,
            )  # fmt: skip
            try:
                started_rss, published, next_publish = None, 0, time.monotonic() + 1
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    done = log.read_text(errors="replace").count("poll: ok")
                    if started_rss is None and done >= 2:
                        started_rss = _rss_kb(proc.pid)
                    if done >= polls:
                        break
                    if started_rss is not None and time.monotonic() >= next_publish:
                        site.add_report(site.new_report())
                        published, next_publish = published + 1, time.monotonic() + 1
                    time.sleep(0.1)
                final_rss = _rss_kb(proc.pid)
            finally:
                proc.terminate()
                proc.wait(timeout=15)
        done = log.read_text(errors="replace").count("poll: ok")
    how = f"`ayrdw-watch run`, 200 ms interval, a report published every second ({published} in all)"
    figures.add("memory.service_rss_mb_after_start", (started_rss or 0) / 1024, "MB", how)
    figures.add("memory.service_rss_mb_after_polls", final_rss / 1024, "MB", how + f", after {done} polls")
    print(f"   service ({how}): {(started_rss or 0) / 1024:.1f} MB after start, {final_rss / 1024:.1f} MB"
          f" after {done} polls")  # fmt: skip
