"""Requests and bytes per poll, counted by the fixture server: a baseline, an idle poll with
and without validators, 3 new reports, an edit caught by the rolling re-check. Requests for
attachment files (downloaded and kept since release 0.9.0) are counted apart: the targets, set
before files were archived, are for pages."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from bench.common import START, Clock, Figures, fmt, make_config, poll, spread
from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from jobs.watchers import open_archive


def run(figures: Figures, runs: int = 3) -> None:
    figures_by_poll: dict[str, dict[str, list[float]]] = {}
    catches: list[int] = []  # polls until the edit of a new report was caught (0: not within a week)

    def record(name: str, site: FixtureSite) -> None:
        entry = figures_by_poll.setdefault(name, {"requests": [], "files": [], "bytes": []})
        files = sum(1 for r in site.requests if r.path.startswith("/uploads/"))
        entry["requests"].append(len(site.requests) - files)
        entry["files"].append(files)
        entry["bytes"].append(sum(r.bytes_sent for r in site.requests))
        site.reset_log()

    for _ in range(runs):
        for validators in (True, False):
            tag = "with validators" if validators else "without validators"
            site = FixtureSite("trs", validators=validators)
            with FixtureServer(site) as server, tempfile.TemporaryDirectory() as tmp:
                config = make_config(server.base_url, Path(tmp) / "b.db")
                store = open_archive(config, START.isoformat())
                clock = Clock()
                poll(config, store, clock)
                record(f"baseline poll ({tag})", site)
                clock.now += dt.timedelta(minutes=30)
                poll(config, store, clock)
                record(f"idle poll ({tag})", site)
                fresh = [site.new_report() for _ in range(3)]
                for report in fresh:
                    site.add_report(report)
                clock.now += dt.timedelta(minutes=30)
                poll(config, store, clock)
                record(f"poll after 3 new reports ({tag})", site)
                edited = fresh[0]  # a new report: re-checked daily in its first week (an old one: rarely)
                site.edit_report(edited.slug, paragraphs=[*edited.paragraphs, "（本报告已更正。）"])
                caught = 0
                for n in range(1, 48 * 7 + 1):
                    clock.now += dt.timedelta(minutes=30)
                    site.reset_log()
                    if poll(config, store, clock).changed:
                        caught = n
                        break
                catches.append(caught)
                record(f"poll that catches an edit of a new report ({tag})", site)
    how = f"counted by the fixture server ('trs', 26 reports), median of {runs} runs"
    results = {}
    for name, f in figures_by_poll.items():
        key = name.replace(" ", "_").replace("(", "").replace(")", "")
        results[name] = {
            "requests": figures.add(f"polls.{key}.requests", spread(f["requests"]), "requests", how + "; pages"),
            "files": figures.add(f"polls.{key}.files", spread(f["files"]), "requests", how + "; attachment files"),
            "bytes": figures.add(f"polls.{key}.bytes", spread(f["bytes"]), "bytes", how),
        }
    targets = {
        "idle poll (with validators)": 1,
        "idle poll (without validators)": 2,
        "poll after 3 new reports (with validators)": 5,
        "poll after 3 new reports (without validators)": 5,
    }
    print("\n1. Requests and bytes per poll (fixture site 'trs', 26 reports, counted by the server)")
    print(f"   {'poll':<64} {'page requests':>16} {'file requests':>14} {'bytes':>22}  target (pages)")
    for name, f in results.items():
        target = targets.get(name)
        mark = "" if target is None else (f"<= {target} " + ("ok" if f["requests"]["max"] <= target else "MISSED"))
        print(f"   {name:<64} {fmt(f['requests'], 0):>16} {fmt(f['files'], 0):>14} {fmt(f['bytes'], 0):>22}  {mark}")
    caught = [c for c in catches if c]
    missed = len(catches) - len(caught)
    figures.add("polls.new_report_edit_caught_after_polls", spread([float(c) for c in caught] or [0.0]), "polls",
                f"polls 30 min apart after the edit of a report first seen by the poll before; {missed} of"
                f" {len(catches)} runs did not catch it within a week")  # fmt: skip
    when = f"by poll {min(caught)}-{max(caught)} after it ({max(caught) / 2:g} hours at most)" if caught else "never"
    print(
        f"   the edit of a new report was caught {when}; {missed} of {len(catches)} runs missed it within a week"
        " (a report a year old is re-checked yearly: README, Re-checks by age)"
    )
