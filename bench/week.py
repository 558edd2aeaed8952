"""Idle polls over a simulated week, by section size: the re-check policy by age (the default)
beside release 0.1.0's (every report once per `recheck`, a complete walk per `recheck`), in the
same run.

Each size: the fixture site ('trs', 20 reports a list page, validators, no noise, a busy section of
about three reports a day: realistic ages) in a process of its own; one real baseline crawl;
then, for each policy, a copy of that archive with its due times seeded as the policy spreads
them in steady state (each report's next re-check uniform within its period, the last complete
walk half a walk period ago), and polls every 30 minutes on a fake clock: a week (336 polls) by
age, a day (48 polls) for 0.1.0, whose schedule repeats daily, each measured after as long a
warm-up (so the credit a walk spends ahead of time is owed, as in steady state, not given).
Per poll: requests to report and list pages, requests to attachment files (apart), our
process's CPU time, SQL statements. The archive's quick_check (run when `poll`/`run` starts
and daily by the service, not in these polls) is timed apart."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import statistics
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.archive import SqliteWork, measured_poll, served
from bench.common import START, Clock, Figures, make_config, poll
from crawler.hosts import HostGates
from domain.schedule import age_anchor, recheck_after
from jobs.config import Config
from jobs.watchers import open_archive
from storage.archive import Archive

SIZES = (100, 1_000, 10_000, 20_000)
POLICIES = (("by_age", True, 336), ("0.1.0", False, 48))  # (name, recheck_by_age, polls)
HOW = (
    "fixture site 'trs', 20 per list page, 3 reports a day, validators, no noise; polls 30 min apart after"
    " a real baseline, due times seeded as each policy spreads them; by age: a week (336 polls),"
    " 0.1.0: a day (48 polls)"
)
UNITS = {"requests": "requests", "files": "requests", "cpu_ms": "ms", "sql": "statements"}


def seed(store: Archive, config: Config, by_age: bool, rng: random.Random) -> None:
    """Steady state: each report's next re-check somewhere in its period, the walk mid-period."""
    part = store.scoped("default")
    recheck = config.crawl.recheck
    rows = part.db.execute(
        "SELECT r.url, v.published, r.first_seen, CASE WHEN r.version > 1 THEN r.updated_at END FROM reports r"
        " JOIN report_versions v ON v.report_id = r.id AND v.version = r.version WHERE r.watch = 'default'"
    ).fetchall()
    dues = []
    for url, published, first_seen, changed in rows:
        period = recheck_after(recheck, age_anchor(published, first_seen, changed), START, by_age)
        dues.append(((START + dt.timedelta(seconds=rng.uniform(0, period))).isoformat(), url))
    with part.transaction():
        part.db.conn.executemany("UPDATE reports SET recheck_due_at = ? WHERE watch = 'default' AND url = ?", dues)
        pages = int(part.state.get("list_pages") or 0) or None
        walk = config.full_walk(config.watches[0], pages)
        part.state.set("last_full_walk_at", (START - dt.timedelta(seconds=walk / 2)).isoformat(), START.isoformat())


@dataclass
class Lane:
    """One section size under one policy: its archive, fake clock and what its polls measured."""

    count: int
    name: str
    config: Config
    store: Archive
    polls: int
    quick_ms: float
    clock: Clock = field(default_factory=Clock)
    out: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in (*UNITS, "full")})
    seen: int = 0
    work: SqliteWork | None = None
    gates: HostGates = field(default_factory=HostGates)  # shared by its polls, as in the service

    def warm_up(self) -> None:
        """One period of the policy: the credit a walk spends ahead of time is owed, as in steady state."""
        self.clock.now = START
        for _ in range(self.polls):
            self.clock.now += dt.timedelta(minutes=30)
            poll(self.config, self.store, self.clock, self.gates)
        self.seen = self.store.db.execute("SELECT coalesce(max(id), 0) FROM fetches").fetchone()[0]
        self.work = SqliteWork(self.store)

    def measure_one(self) -> None:
        assert self.work is not None
        result, ms = measured_poll(self.config, self.store, self.clock, self.work, self.gates)
        self.out["cpu_ms"].append(ms)
        self.out["sql"].append(self.work.statements)
        files, self.seen = self.store.db.execute(
            "SELECT count(*) FILTER (WHERE url LIKE '%/uploads/%'), coalesce(max(id), ?) FROM fetches WHERE id > ?",
            [self.seen, self.seen],
        ).fetchone()
        self.out["files"].append(files)
        self.out["requests"].append(result.requests - files)
        self.out["full"].append(1 if result.mode == "full" else 0)


def lanes_of(count: int, tmp: Path, base_url: str, rng: random.Random) -> list[Lane]:
    """A real baseline crawl of one size, then a seeded copy of it per policy."""
    first = tmp / f"baseline-{count}.db"
    config = make_config(base_url, first, max_list_pages=5000)
    store = open_archive(config, START.isoformat())
    poll(config, store, Clock())
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    began = time.perf_counter()
    store.db.execute("PRAGMA quick_check").fetchall()
    quick_ms = (time.perf_counter() - began) * 1000
    store.close()
    lanes = []
    for name, by_age, polls in POLICIES:
        db = tmp / f"{name}-{count}.db"
        shutil.copyfile(first, db)
        policy = replace(config, crawl=replace(config.crawl, recheck_by_age=by_age, max_list_pages=200))
        policy = replace(policy, storage=replace(policy.storage, db=db))
        store = open_archive(policy, START.isoformat())
        seed(store, policy, by_age, rng)
        lanes.append(Lane(count, name, policy, store, polls, quick_ms))
    return lanes


def run(figures: Figures, sizes: tuple[int, ...] = SIZES) -> None:
    """Every size and policy is measured in the same rounds (one poll of each lane a round, in an
    order that turns each round), so a slow spell of the machine weighs on all of them alike."""
    rng = random.Random(2026)
    print(f"\n7. Idle polls over a simulated week ({HOW}; all sizes and policies in interleaved rounds)")
    busy = START.date().isoformat()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as sites:
        lanes = [
            lane
            for count in sizes
            for lane in lanes_of(
                count, Path(tmp), sites.enter_context(served(count, page_size=20, dated_until=busy)), rng
            )
        ]
        for lane in lanes:
            lane.warm_up()
        for turn in range(max(lane.polls for lane in lanes)):
            shift = turn % len(lanes)
            for lane in lanes[shift:] + lanes[:shift]:
                if len(lane.out["cpu_ms"]) < lane.polls:
                    lane.measure_one()
        for lane in lanes:
            assert lane.work is not None
            lane.work.detach()
            lane.store.close()
    report(figures, lanes, sizes)


def report(figures: Figures, lanes: list[Lane], sizes: tuple[int, ...]) -> None:
    print(f"   {'reports':>8} {'policy':>7} {'requests/poll':>14} {'files/poll':>11} {'CPU ms/poll':>12}"
          f" {'ms/request':>11} {'SQL stmts/poll':>15} {'polls walking':>14} {'quick_check ms':>15}")  # fmt: skip
    for lane in lanes:
        got, key = lane.out, f"week.{lane.count}.{lane.name}"
        for what, unit in UNITS.items():
            values = got[what]
            summary = {"mean": statistics.fmean(values), "median": statistics.median(values),
                       "max": max(values), "runs": len(values)}  # fmt: skip
            figures.add(f"{key}.{what}_per_poll", summary, unit, HOW)
        figures.add(f"{key}.quick_check_ms", lane.quick_ms, "ms", "PRAGMA quick_check of the baseline archive")
        per_request = sum(got["cpu_ms"]) / max(1, sum(got["requests"]) + sum(got["files"]))
        figures.add(f"{key}.cpu_ms_per_request", per_request, "ms", HOW)
        print(f"   {lane.count:>8,} {lane.name:>7} {statistics.fmean(got['requests']):>14.2f}"
              f" {statistics.fmean(got['files']):>11.2f} {statistics.fmean(got['cpu_ms']):>12.1f}"
              f" {per_request:>11.2f} {statistics.fmean(got['sql']):>15.0f} {sum(got['full']):>14}"
              f" {lane.quick_ms:>15.1f}")  # fmt: skip
    d = figures.data
    for count in sizes:
        new, old = (
            d[f"week.{count}.by_age.requests_per_poll"]["mean"],
            d[f"week.{count}.0.1.0.requests_per_poll"]["mean"],
        )
        files = d[f"week.{count}.by_age.files_per_poll"]["mean"]
        print(f"   {count:>8,}: requests per idle poll by age / 0.1.0 = {new / old:.3f}; by age, pages and files:"
              f" {new + files:.2f}")  # fmt: skip
    small, large = sizes[0], sizes[-2] if len(sizes) > 2 else sizes[-1]
    ratio = d[f"week.{large}.by_age.cpu_ms_per_poll"]["mean"] / d[f"week.{small}.by_age.cpu_ms_per_poll"]["mean"]
    figures.add("week.cpu_ratio", ratio, "x", f"CPU per idle poll, by age: {large:,} reports / {small:,}")
    print(
        f"   CPU per idle poll by age, {large:,} reports / {small:,}: {ratio:.2f}x (means; the target is 1.5x at most)"
    )
