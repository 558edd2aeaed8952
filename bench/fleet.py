"""A thousand watches on one process: 1,000 watches over 200 hosts (bench.fleetsite, another
process: fixture sites on 127.0.0.2 and up, five sections a host, 50-500 reports each, three
layouts), the watcher (`ayrdw-watch run`, a process of its own) polling them for 10
time-compressed intervals after the first (interval 60 s, delay 20 ms; `recheck` compressed
as the interval is, 24 h / 30 = 48 min, so a poll re-checks what it would at a real 30-minute
interval).

The archive is seeded from the fixture model, not crawled: each watch's reports as its list
pages show them (parsed by our list parser from the rendered pages), with the validators its
report pages answer with, baselined, their re-checks due as the policy spreads them and the
last full walk somewhere in its period. Measured: every watch polled within its interval plus
jitter; the most requests in flight to one host and the shortest gap between two (counted by
the fixture servers); the watcher's RSS; its CPU-seconds per watch-poll, scaled to 1,000
watches at a real 30-minute interval (x 1,000 / 1,800 s: the share of one core); and
`status --json` with all watches (the slowest of five calls, while the service polls on).
`--quick` (BENCH=quick): 100 watches over 20 hosts, interval 12 s."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT, Figures
from bench.fleetsite import VARIANTS, variant_site
from crawler.charset import decode_html
from crawler.extract import EXTRACTOR_VERSION, extract_report
from crawler.listing import parse_listing
from domain.change import content_hash
from domain.report import BUILT_IN, FIELDS, Page, stored_value
from domain.schedule import age_anchor, recheck_after, tier
from fixturesite.model import SECTIONS
from fixturesite.site import FixtureSite
from jobs.config import load_config
from jobs.watchers import open_archive

RECHECK_S = 48 * 60
PLACEHOLDER = "http://fixture"  # the host of the seeded pages, replaced by each watch's
JITTER = 0.1
STATUS_CALLS = 5  # `status --json` is timed this many times, the slowest reported


@dataclass(frozen=True)
class Scale:
    hosts: int
    interval: float  # seconds
    intervals: int = 10

    @property
    def watches(self) -> int:
        return self.hosts * len(SECTIONS)


FULL, QUICK = Scale(200, 60.0), Scale(20, 12.0)


@dataclass(frozen=True)
class SectionSeed:
    """What a baseline of one section would have left in the archive (site-absolute paths)."""

    list_path: str
    list_etag: str | None
    pages: int
    entries: tuple[tuple[str, str, str | None, str | None, str], ...]  # path, title, list date, etag, fields JSON


def section_seed(site: FixtureSite, section: str) -> SectionSeed:
    """Every list page rendered and parsed as a walk would; every report page asked for its ETag
    and extracted by our extractor (its fields as a baseline would have stored them, on the host
    PLACEHOLDER: a re-check that gets a 200 compares them as it would compare a crawled version)."""
    entries = []
    pages = site.page_count(section)
    first_etag, container = None, None
    for page in range(1, pages + 1):
        path = site.list_path(page, section)
        _, headers, body = site.handle("GET", path, {})
        first_etag = first_etag if page > 1 else headers.get("ETag")
        url = PLACEHOLDER + path
        text, _ = decode_html(body, headers.get("Content-Type"))
        listing = parse_listing(Page(url, url, 200, text), prefer=container)  # as a walk does: page 1's list
        container = container or listing.container
        for item in listing.items:
            report_path = item.url.removeprefix(PLACEHOLDER)
            status, report_headers, report_body = site.handle("GET", report_path, {})
            if status != 200:
                continue  # a crawl would store nothing there either
            page_text, _ = decode_html(report_body, report_headers.get("Content-Type"))
            fields = extract_report(Page(item.url, item.url, 200, page_text)).fields()
            entries.append((report_path, item.title, item.date, report_headers.get("ETag"), json.dumps(fields)))
    return SectionSeed(site.list_path(1, section), first_etag, pages, tuple(entries))


def seed(db: Path, hosts: list[str], now: dt.datetime, rng: random.Random) -> list[tuple[str, str]]:
    """The archive of every watch, baselined; (watch, list URL) of each."""
    seeds: dict[tuple[int, str], SectionSeed] = {}
    today = now.date()
    for v in range(min(len(hosts), len(VARIANTS))):
        site = variant_site(v, today)
        for section in SECTIONS:
            seeds[(v, section.name)] = section_seed(site, section.name)
    stamp = now.isoformat()
    reports, versions, state, watches = [], [], [], []
    rid = 0
    for h, host in enumerate(hosts):
        base = host.rstrip("/")
        for section in SECTIONS:
            s = seeds[(h % len(VARIANTS), section.name)]
            name = f"h{h:03d}-{section.key}"
            list_url = base + s.list_path
            watches.append((name, list_url))
            for path, title, list_date, etag, fields_json in s.entries:
                rid += 1
                fields = json.loads(fields_json.replace(PLACEHOLDER, base))
                digest = content_hash(fields)
                anchor = age_anchor(fields["published"], stamp, None)
                due = now + dt.timedelta(seconds=rng.uniform(0, recheck_after(RECHECK_S, anchor, now)))
                reports.append((rid, name, base + path, "active", 1, digest, stamp, stamp, stamp, due.isoformat(),
                                stamp, title, list_date, etag, EXTRACTOR_VERSION, tier(anchor, now)))  # fmt: skip
                values = [stored_value(f, fields[f.name]) for f in FIELDS if f.name in BUILT_IN]
                versions.append((rid, name, base + path, 1, *values, digest, "[]", stamp, EXTRACTOR_VERSION))
            walk = max(RECHECK_S, min(2 * s.pages * 60.0, 7 * 86400))  # full_walk "auto" at a 60 s interval
            last_walk = (now - dt.timedelta(seconds=rng.uniform(0, walk))).isoformat()
            facts = {"list_url": list_url, "list_url_found_at": stamp, "list_url_section": section.name,
                     "list_etag": s.list_etag, "baseline_done_at": stamp, "last_full_walk_at": last_walk,
                     "list_pages": str(s.pages)}  # fmt: skip
            state.extend((name, key, value, stamp) for key, value in facts.items())
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT INTO reports (id, watch, url, status, version, content_hash, first_seen, updated_at,"
            " last_fetched_at, recheck_due_at, last_listed_at, list_title, list_date, etag, extractor_version,"
            " recheck_tier) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            reports,
        )
        conn.executemany(
            f"INSERT INTO report_versions (report_id, watch, url, version, {', '.join(BUILT_IN)}, content_hash,"
            " changed_fields, stored_at, extractor_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            versions,
        )
        conn.executemany("INSERT INTO site_state (watch, key, value, updated_at) VALUES (?, ?, ?, ?)", state)
    conn.close()
    return watches


def write_config(path: Path, db: Path, watches: list[tuple[str, str]], scale: Scale) -> None:
    lines = [
        "[crawl]", 'delay = "20ms"', f'recheck = "{RECHECK_S}s"', "hosts_in_parallel = 8", 'timeout = "10s"',
        "[schedule]", f'interval = "{scale.interval:g}s"', f'deliver_interval = "{scale.interval:g}s"',
        "[storage]", f'db = "{db}"',
    ]  # fmt: skip
    for name, list_url in watches:
        section = next(s.name for s in SECTIONS if f"-{s.key}" in name)
        home = list_url.split("/", 3)[:3]
        lines += ["[[watch]]", f'name = "{name}"', f'url = "{"/".join(home)}/"', f'section = "{section}"',
                  f'list_url = "{list_url}"']  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(figures: Figures, quick: bool = False) -> None:
    scale = QUICK if quick else FULL
    how = (f"{scale.watches} watches over {scale.hosts} hosts (5 sections a host, 50-500 reports, 3 layouts), interval"
           f" {scale.interval:g} s, delay 20 ms, recheck 48 min, hosts_in_parallel 8; {scale.intervals} intervals"
           " measured after the first")  # fmt: skip
    print(f"\n8. A thousand watches on one process ({how})")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        fleet = subprocess.Popen(
            [sys.executable, "-m", "bench.fleetsite", "--hosts", str(scale.hosts), "--today", now.date().isoformat()],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )  # fmt: skip
        assert fleet.stdout is not None and fleet.stdin is not None
        hosts = []
        for line in fleet.stdout:
            if line.strip() == "ready":
                break
            hosts.append(line.split()[1])
        db, config_path = Path(tmp) / "fleet.db", Path(tmp) / "fleet.toml"
        began = time.monotonic()
        watches = seed_archive(db, hosts, now, config_path, scale)
        seeded_s = time.monotonic() - began
        reports = sqlite3.connect(db).execute("SELECT count(*) FROM reports").fetchone()[0]
        print(f"   seeded {len(watches)} watches, {reports:,} reports in {seeded_s:.0f} s")
        log_path = Path(tmp) / "watcher.log"  # a file, not a pipe: an unread pipe would stall its logging
        watcher = subprocess.Popen(
            [sys.executable, "-c", "import schedule; raise SystemExit(schedule.main())", "--config", str(config_path),
             "run"],
            cwd=tmp, stdout=subprocess.DEVNULL, stderr=log_path.open("w"),
        )  # fmt: skip
        try:
            time.sleep(scale.interval)  # the first interval: the spread start
            window_start, cpu_start = time.time(), cpu_seconds(watcher.pid)
            peak = 0.0
            end = time.monotonic() + scale.intervals * scale.interval
            while time.monotonic() < end:
                peak = max(peak, rss_mb(watcher.pid))
                time.sleep(1)
            cpu = cpu_seconds(watcher.pid) - cpu_start
            window_end = time.time()
            peak = max(peak, rss_mb(watcher.pid, "VmHWM"))
            status_s = []
            for _ in range(STATUS_CALLS):  # while the service polls on: what a user asking sees
                began = time.monotonic()
                status = subprocess.run(
                    [sys.executable, "-c", "import schedule; raise SystemExit(schedule.main())", "--config",
                     str(config_path), "status", "--json"],
                    cwd=tmp, capture_output=True, text=True, check=False,
                )  # fmt: skip
                status_s.append(time.monotonic() - began)
        finally:
            watcher.send_signal(signal.SIGTERM)
            watcher.wait(timeout=60)
            errors = log_path.read_text(encoding="utf-8", errors="replace")
            fleet.stdin.close()
            counts = [json.loads(line) for line in fleet.stdout if line.startswith("{")]
            fleet.wait(timeout=30)
        report(figures, scale, db, watches, (window_start, window_end), cpu, peak, counts, status, status_s, errors)


def seed_archive(
    db: Path, hosts: list[str], now: dt.datetime, config_path: Path, scale: Scale
) -> list[tuple[str, str]]:
    """Create the archive (the schema, by the release's own code), then seed it."""
    write_config(config_path, db, [], scale)
    open_archive(load_config(config_path), now.isoformat()).close()
    watches = seed(db, hosts, now, random.Random(2026))
    write_config(config_path, db, watches, scale)
    return watches


def report(
    figures: Figures, scale: Scale, db: Path, watches: list[tuple[str, str]], window: tuple[float, float],
    cpu: float, peak_mb: float, counts: list[dict], status: subprocess.CompletedProcess, status_s: list[float],
    errors: str,
) -> None:  # fmt: skip
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT watch, started_at, status FROM polls ORDER BY watch, started_at").fetchall()
    kinds = dict(conn.execute("SELECT kind, count(*) FROM events GROUP BY kind").fetchall())
    events = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"
    starts: dict[str, list[float]] = {name: [] for name, _ in watches}
    failed = 0
    for watch, started, outcome in rows:
        starts[watch].append(dt.datetime.fromisoformat(started).timestamp())
        failed += outcome not in ("ok", "stopped")
    allowed = scale.interval * (1 + JITTER) + 2.0  # the interval plus its jitter, and 2 s of dispatch
    late, in_window, gaps = 0, 0, []
    for times in starts.values():
        inside = [t for t in times if window[0] <= t <= window[1]]
        in_window += len(inside)
        around = [t for t in times if t <= window[1]]
        watch_gaps = [b - a for a, b in itertools.pairwise(around) if b >= window[0]]
        gaps.extend(watch_gaps)
        if not inside or (watch_gaps and max(watch_gaps) > allowed):
            late += 1
    polls_per_watch = in_window / len(watches)
    per_poll = cpu / max(1, in_window)
    share = per_poll * 1000 / 1800
    worst_in_flight = max((c["max_in_flight"] for c in counts), default=0)
    gaps_ms = [c["min_gap"] * 1000 for c in counts if c["min_gap"] is not None]
    requests = sum(c["requests"] for c in counts)
    key = "fleet.quick" if scale is QUICK else "fleet"
    how = f"{scale.watches} watches, {scale.hosts} hosts, interval {scale.interval:g} s"
    figures.add(f"{key}.watches_late", late, "watches", f"{how}: a gap over the interval plus jitter, or no poll")
    figures.add(f"{key}.polls_per_watch", polls_per_watch, "polls", f"{how}, in {scale.intervals} intervals")
    figures.add(f"{key}.max_gap_s", max(gaps, default=0.0), "s", how)
    figures.add(f"{key}.max_in_flight_per_host", worst_in_flight, "requests", "counted by the fixture servers")
    figures.add(f"{key}.min_gap_between_requests_ms", min(gaps_ms, default=0.0), "ms", "delay 20 ms")
    figures.add(f"{key}.rss_peak_mb", peak_mb, "MB", "the watcher process, VmRSS sampled each second and VmHWM")
    figures.add(f"{key}.cpu_s_per_watch_poll", per_poll, "s", how)
    figures.add(f"{key}.core_share_1000_at_30min", share, "cores", "CPU-s per watch-poll x 1,000 / 1,800 s")
    figures.add(
        f"{key}.status_json_s",
        max(status_s),
        "s",
        f"`status --json`, {scale.watches} watches, slowest of {len(status_s)} calls",
    )
    print(f"   polls in {scale.intervals} intervals: {in_window:,} ({polls_per_watch:.2f} per watch; failed {failed},"
          f" events {events}); watches late or missed: {late} (the longest gap between two polls of a watch"
          f" {max(gaps, default=0.0):.1f} s, allowed {allowed:.1f} s)")  # fmt: skip
    print(f"   requests {requests:,}; most in flight to one host: {worst_in_flight} (target 1); shortest gap between"
          f" two requests to one host: {min(gaps_ms, default=0.0):.1f} ms (delay 20 ms)")  # fmt: skip
    print(f"   watcher RSS peak {peak_mb:.0f} MB (target < 200); CPU {per_poll * 1000:.1f} ms per watch-poll:"
          f" {share:.4f} of a core for 1,000 watches at 30 minutes (target < 0.25)")  # fmt: skip
    print(f"   status --json: {max(status_s):.2f} s the slowest of {len(status_s)} calls, median"
          f" {statistics.median(status_s):.2f} s (exit {status.returncode}, target < 1 s)")  # fmt: skip
    noisy = [line for line in errors.splitlines() if "Traceback" in line or "ERROR" in line]
    if noisy:
        print(f"   the watcher logged {len(noisy)} errors, first: {noisy[0]}")
