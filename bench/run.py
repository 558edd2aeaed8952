"""`make bench`: what a poll costs the site and us, measured side by side in one run.

1. requests and bytes per poll, counted by the fixture server (baseline, idle with and
   without validators, 3 new reports, an edit caught by the rolling re-check);
2. extraction speed and field accuracy, ours against trafilatura, on the fixture report
   pages of every layout and the real pages in tests/realpages;
3. CPU time and SQLite work of an idle poll with 100, 1,000 and 10,000 stored reports,
   and the database size per 1,000 reports;
4. memory: RSS after 1 and after 500 idle polls (in one process), and the service's RSS
   after start and after 200 short-interval polls.

Each figure is the median of several runs with min and max. Prints a table and writes
bench/results.json. Never part of `make test`.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.charset import decode_html  # noqa: E402
from crawler.extract import extract_report  # noqa: E402
from crawler.models import Page  # noqa: E402
from fixturesite.server import FixtureServer  # noqa: E402
from fixturesite.site import FixtureSite  # noqa: E402
from jobs.config import Config, config_from_dict  # noqa: E402
from jobs.poll import run_poll  # noqa: E402
from jobs.result import PollResult  # noqa: E402
from jobs.watchers import open_archive  # noqa: E402
from storage.archive import Archive  # noqa: E402

SECTION = "监督工作"
START = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
RESULTS: dict[str, Any] = {}


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def fmt(s: dict[str, float], digits: int = 1) -> str:
    return f"{s['median']:.{digits}f} [{s['min']:.{digits}f}-{s['max']:.{digits}f}]"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


def make_config(base_url: str, db: Path, **crawl: str) -> Config:
    return config_from_dict(
        {
            "site": {"url": base_url + "/"},
            "crawl": {"delay": "0s", "retry_backoff": "10ms", "recheck": "24h", **crawl},
            "schedule": {"interval": "30m"},
            "storage": {"db": str(db)},
        }
    )


def poll(config: Config, store: Archive, clock: Clock) -> PollResult:
    result = run_poll(config, store, clock=clock, sleep=lambda s: None)
    if not result.ok:
        raise RuntimeError(result.error)
    return result


# -- 1. requests and bytes per poll ------------------------------------------------------------------
def requests_per_poll(runs: int = 3) -> None:
    figures: dict[str, dict[str, list[float]]] = {}

    def record(name: str, site: FixtureSite) -> None:
        entry = figures.setdefault(name, {"requests": [], "bytes": []})
        entry["requests"].append(len(site.requests))
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
                for _ in range(3):
                    site.add_report(site.new_report())
                clock.now += dt.timedelta(minutes=30)
                poll(config, store, clock)
                record(f"poll after 3 new reports ({tag})", site)
                edited = site.sections[SECTION][12]
                site.edit_report(edited.slug, paragraphs=[*edited.paragraphs, "（本报告已更正。）"])
                for _ in range(48):
                    clock.now += dt.timedelta(minutes=30)
                    site.reset_log()
                    if poll(config, store, clock).changed:
                        break
                record(f"poll that catches an edit by re-check ({tag})", site)
    RESULTS["requests_per_poll"] = {name: {k: spread(v) for k, v in f.items()} for name, f in figures.items()}
    targets = {
        "idle poll (with validators)": 1,
        "idle poll (without validators)": 2,
        "poll after 3 new reports (with validators)": 5,
        "poll after 3 new reports (without validators)": 5,
    }
    print("\n1. Requests and bytes per poll (fixture site 'trs', 26 reports, counted by the server)")
    print(f"   {'poll':<58} {'requests':>16} {'bytes':>22}  target")
    for name, f in RESULTS["requests_per_poll"].items():
        target = targets.get(name)
        mark = "" if target is None else (f"<= {target} " + ("ok" if f["requests"]["max"] <= target else "MISSED"))
        print(f"   {name:<58} {fmt(f['requests'], 0):>16} {fmt(f['bytes'], 0):>22}  {mark}")


# -- 2. extraction speed and accuracy ----------------------------------------------------------------
def _fixture_pages() -> list[dict[str, Any]]:
    pages = []
    for layout in ("table-gbk", "trs", "modern"):
        site = FixtureSite(layout, noise=True)
        for report in site.sections[SECTION]:
            path = site.report_path(report.slug)
            _, headers, body = site.handle("GET", path, {})
            text, _ = decode_html(body, headers.get("Content-Type"))
            url = "http://127.0.0.1" + path
            truth = report.expected(url)
            pages.append({"kind": f"fixture {layout}", "url": url, "html": text, "truth": truth})
    return pages


def _real_pages() -> list[dict[str, Any]]:
    pages = []
    for truth_file in sorted((ROOT / "tests" / "realpages").glob("*.truth.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        if truth["kind"] != "article":
            continue
        html_file = truth_file.with_name(truth_file.name.replace(".truth.json", ".html"))
        text, _ = decode_html(html_file.read_bytes())
        pages.append({"kind": "real", "url": f"http://{truth['site']}/a.html", "html": text, "truth": truth})
    return pages


def _bigrams(text: str) -> Counter:
    s = re.sub(r"\s+", "", text)
    return Counter(s[i : i + 2] for i in range(len(s) - 1))


def _body_score(got: str, page: dict[str, Any]) -> float:
    """Fixture pages: character-bigram F1 against the true text. Real pages: 1 when the first
    and last paragraphs are found (or, without a body, nothing is returned), else 0."""
    truth = page["truth"]
    if page["kind"] != "real":
        a, b = _bigrams(got), _bigrams(truth["text"])
        overlap = sum((a & b).values())
        if not overlap:
            return 0.0
        precision, recall = overlap / sum(a.values()), overlap / sum(b.values())
        return 2 * precision * recall / (precision + recall)
    squeeze = lambda s: re.sub(r"\s+", "", s or "")  # noqa: E731
    if truth["first_paragraph"] is None:
        return 1.0 if not squeeze(got) else 0.0
    return float(squeeze(truth["first_paragraph"]) in squeeze(got) and squeeze(truth["last_paragraph"]) in squeeze(got))


def _ours(page: dict[str, Any]) -> tuple[str | None, str | None, str]:
    report = extract_report(Page(page["url"], page["url"], 200, page["html"]))
    return report.title, report.published, report.text


def _trafilatura(page: dict[str, Any]) -> tuple[str | None, str | None, str]:
    import trafilatura

    doc = trafilatura.bare_extraction(page["html"], url=page["url"], with_metadata=True)
    if doc is None:
        return None, None, ""
    data = doc.as_dict() if hasattr(doc, "as_dict") else doc
    return data.get("title"), data.get("date"), data.get("text") or ""


def extraction(runs: int = 5) -> None:
    pages = _fixture_pages() + _real_pages()
    tools: dict[str, Callable] = {"ayrdw-watch": _ours}
    try:
        import trafilatura  # noqa: F401

        tools["trafilatura"] = _trafilatura
    except ImportError:
        print("   (trafilatura not installed: `make bench` installs the bench extra)")
    RESULTS["extraction"] = {"pages": len(pages), "tools": {}}
    for name, tool in tools.items():
        tool(pages[0])  # warm up (imports, caches)
        rates = []
        for _ in range(runs):
            started = time.perf_counter()
            outputs = [tool(p) for p in pages]
            rates.append(len(pages) / (time.perf_counter() - started))
        accuracy = {}
        for group in ("fixture", "real"):
            chosen = [(p, o) for p, o in zip(pages, outputs, strict=True) if p["kind"].startswith(group)]
            titles = [o[0] == p["truth"]["title"] for p, o in chosen]
            dates = [o[1] == p["truth"]["published"] for p, o in chosen]
            bodies = [_body_score(o[2], p) for p, o in chosen]
            accuracy[group] = {
                "pages": len(chosen),
                "title": sum(titles) / len(chosen),
                "date": sum(dates) / len(chosen),
                "body": sum(bodies) / len(chosen),
            }
        RESULTS["extraction"]["tools"][name] = {"pages_per_second": spread(rates), "accuracy": accuracy}
    real = sum(1 for p in pages if p["kind"] == "real")
    fixture = len(pages) - real
    print(f"\n2. Extraction: {len(pages)} pages ({fixture} fixture report pages of 3 layouts, {real} real articles)")
    print(f"   {'tool':<14} {'pages/s':>24} {'title fix/real':>16} {'date fix/real':>16} {'body fix/real':>16}")
    tools_results = RESULTS["extraction"]["tools"]
    for name, r in tools_results.items():
        a = r["accuracy"]
        cols = [f"{a['fixture'][k]:.2f}/{a['real'][k]:.2f}" for k in ("title", "date", "body")]
        print(f"   {name:<14} {fmt(r['pages_per_second']):>24} {cols[0]:>16} {cols[1]:>16} {cols[2]:>16}")
    if "trafilatura" in tools_results:
        ratio = (
            tools_results["ayrdw-watch"]["pages_per_second"]["median"]
            / tools_results["trafilatura"]["pages_per_second"]["median"]
        )
        RESULTS["extraction"]["speed_ratio"] = ratio
        print(f"   speed ratio ayrdw-watch / trafilatura: {ratio:.1f}x (target >= 10x)")


def corpus_checks() -> None:
    """The regression checks of tests/realpages, on the pages tuned on and, apart, on the pages
    held out (nobody tunes on them: their figure is the honest one)."""
    from tests.corpus import score

    RESULTS["corpus"] = {"tuned": score(held_out=False), "held_out": score(held_out=True)}
    print("\n2b. Real-page field checks (title, date, source, credits, attachments, first/last paragraph,")
    print("    chrome; items and next page of lists), as tests/test_realpages.py runs them")
    for name, result in RESULTS["corpus"].items():
        print(f"   {name:<9} {result['passed']}/{result['checks']} = {result['accuracy']:.1%}  failing: "
              f"{', '.join(result['failed']) or 'none'}")  # fmt: skip


# -- 3. cost against archive size ---------------------------------------------------------------------
def _fill(store: Archive, count: int, now: str) -> None:
    """Synthetic reports, inserted directly: realistic text, one version each, never due."""
    site = FixtureSite("modern")
    sample = [r for r in site.sections[SECTION]]
    far = (START + dt.timedelta(days=365)).isoformat()
    reports, versions = [], []
    for i in range(count):
        r = sample[i % len(sample)]
        url = f"http://archive.example/jdgz/{i}.html"
        reports.append(
            {"url": url, "status": "active", "version": 1, "content_hash": f"{i:064x}", "first_seen": now,
             "updated_at": now, "last_fetched_at": now, "recheck_due_at": far, "failures": 0}
        )  # fmt: skip
        versions.append(
            {"url": url, "version": 1, "title": f"{r.title}（{i}）", "published": r.published, "source": r.source,
             "text": "\n".join(r.paragraphs) + f"\n{i}", "attachments": "[]", "credits": json.dumps(r.credits),
             "content_hash": f"{i:064x}", "changed_fields": "[]", "stored_at": now}
        )  # fmt: skip
    with store.db.atomic():
        store.db["reports"].insert_all(reports, batch_size=1000)
        store.db["report_versions"].insert_all(versions, batch_size=1000)
        store.db.execute("UPDATE reports SET recheck_due_at = ?", [far])  # no re-check due: an idle poll


class SqliteWork:
    """Counts what SQLite does for us: statements run, and VM instructions (in steps of 100)."""

    STEP = 100

    def __init__(self, store: Archive) -> None:
        self.conn = store.db.conn
        self.reset()
        self.conn.set_progress_handler(self._step, self.STEP)
        self.conn.set_trace_callback(self._statement)

    def reset(self) -> None:
        self.vm_steps = 0
        self.statements = 0

    def _step(self) -> int:
        self.vm_steps += self.STEP
        return 0  # 0: carry on

    def _statement(self, sql: str) -> None:
        self.statements += 1

    def detach(self) -> None:
        self.conn.set_progress_handler(None, 0)
        self.conn.set_trace_callback(None)


def archive_size(runs: int = 31) -> None:
    RESULTS["archive"] = {}
    site = FixtureSite("trs")
    with FixtureServer(site) as server:
        for count in (100, 1_000, 10_000):
            with tempfile.TemporaryDirectory() as tmp:
                db = Path(tmp) / "a.db"
                config = make_config(server.base_url, db)
                store = open_archive(config, START.isoformat())
                clock = Clock()
                poll(config, store, clock)  # the fixture's own 23 reports, and the list validators
                _fill(store, count, START.isoformat())
                for _ in range(3):  # warm up: caches, the first 304, imports
                    clock.now += dt.timedelta(minutes=30)
                    poll(config, store, clock)
                work = SqliteWork(store)
                cpu, vm, sql = [], [], []
                for _ in range(runs):
                    clock.now += dt.timedelta(minutes=30)
                    work.reset()
                    gc.collect()  # the fill's garbage is not this poll's cost
                    started = time.process_time()
                    result = poll(config, store, clock)
                    cpu.append((time.process_time() - started) * 1000)
                    vm.append(work.vm_steps)
                    sql.append(work.statements)
                    assert result.requests == 1, result.summary()
                work.detach()
                RESULTS["archive"][count] = {
                    "cpu_ms": spread(cpu),
                    "sqlite_vm_steps": spread(vm),
                    "sql_statements": spread(sql),
                }
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "size.db"
            store = open_archive(make_config(server.base_url, db), START.isoformat())
            before = db.stat().st_size
            _fill(store, 1_000, START.isoformat())
            store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            text_bytes = store.db.execute("SELECT sum(length(CAST(text AS BLOB))) FROM report_versions").fetchone()[0]
            RESULTS["archive"]["db_bytes_per_1000_reports"] = db.stat().st_size - before
            RESULTS["archive"]["text_bytes_per_1000_reports"] = text_bytes
    a = RESULTS["archive"]
    print("\n3. An idle poll against archive size (synthetic reports; 1 request, 304, nothing due)")
    print(f"   {'stored reports':>15} {'CPU ms':>22} {'SQLite VM steps':>28} {'SQL statements':>18}")
    for count in (100, 1_000, 10_000):
        r = a[count]
        cells = (fmt(r["cpu_ms"], 2), fmt(r["sqlite_vm_steps"], 0), fmt(r["sql_statements"], 0))
        print(f"   {count:>15,} {cells[0]:>22} {cells[1]:>28} {cells[2]:>18}")
    cpu_ratio = a[10_000]["cpu_ms"]["median"] / a[100]["cpu_ms"]["median"]
    vm_ratio = a[10_000]["sqlite_vm_steps"]["median"] / a[100]["sqlite_vm_steps"]["median"]
    a["ratio_10000_over_100"] = {"cpu": cpu_ratio, "sqlite_vm_steps": vm_ratio}
    print(f"   10,000 / 100: CPU {cpu_ratio:.2f}x, SQLite work {vm_ratio:.2f}x (target <= 1.2x)")
    print(
        f"   database size per 1,000 reports: {a['db_bytes_per_1000_reports'] / 1e6:.2f} MB"
        f" (of which text {a['text_bytes_per_1000_reports'] / 1e6:.2f} MB, stored once per version)"
    )


# -- 4. memory ---------------------------------------------------------------------------------------
_MEMORY_PROBE = r"""
import datetime as dt, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from bench.run import Clock, make_config, poll
from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from jobs.watchers import open_archive

def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

with FixtureServer(FixtureSite("trs")) as server, tempfile.TemporaryDirectory() as tmp:
    config = make_config(server.base_url, Path(tmp) / "m.db")
    store = open_archive(config, "2026-11-25T08:00:00+00:00")
    clock = Clock()
    poll(config, store, clock)  # the baseline
    clock.now += dt.timedelta(minutes=30)
    poll(config, store, clock)
    after_1 = rss_kb()
    for _ in range(499):
        clock.now += dt.timedelta(seconds=1)
        poll(config, store, clock)
    print(after_1, rss_kb())
"""


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory(runs: int = 3) -> None:
    after_1, after_500 = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _MEMORY_PROBE, str(ROOT)], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.split()
        after_1.append(int(out[0]) / 1024)
        after_500.append(int(out[1]) / 1024)
    growth = [b - a for a, b in zip(after_1, after_500, strict=True)]
    RESULTS["memory"] = {"rss_mb_after_1": spread(after_1), "rss_mb_after_500": spread(after_500)}
    RESULTS["memory"]["growth_mb"] = spread(growth)
    print("\n4. Memory (RSS of one process polling the fixture site; idle polls)")
    print(f"   after 1 poll:    {fmt(RESULTS['memory']['rss_mb_after_1'])} MB")
    print(f"   after 500 polls: {fmt(RESULTS['memory']['rss_mb_after_500'])} MB")
    print(f"   growth:          {fmt(RESULTS['memory']['growth_mb'], 2)} MB (target < 5 MB)")
    _service_memory()


def _service_memory(polls: int = 200) -> None:
    """The real service (`ayrdw-watch run`) polling every 200 ms: RSS after start and after 200 polls."""
    with FixtureServer(FixtureSite("trs")) as server, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "svc.toml"
        config.write_text(
            f'[site]\nurl = "{server.base_url}/"\n[crawl]\ndelay = "0s"\n[storage]\ndb = "svc.db"\n'
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
                started_rss = None
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    done = log.read_text(errors="replace").count("poll: ok")
                    if started_rss is None and done >= 2:
                        started_rss = _rss_kb(proc.pid)
                    if done >= polls:
                        break
                    time.sleep(0.2)
                final_rss = _rss_kb(proc.pid)
            finally:
                proc.terminate()
                proc.wait(timeout=15)
        RESULTS["memory"]["service_rss_mb"] = {
            "after_start": (started_rss or 0) / 1024,
            f"after_{polls}_polls": final_rss / 1024,
            "polls": log.read_text(errors="replace").count("poll: ok"),
        }
    s = RESULTS["memory"]["service_rss_mb"]
    print(f"   service (`run`, 200 ms interval): {s['after_start']:.1f} MB after start, "
          f"{s[f'after_{polls}_polls']:.1f} MB after {s['polls']} polls")  # fmt: skip


def main() -> None:
    started = time.monotonic()
    print(f"ayrdw-watch benchmarks ({os.cpu_count()} cores, Python {sys.version.split()[0]}); median [min-max]")
    requests_per_poll()
    extraction()
    corpus_checks()
    archive_size()
    memory()
    RESULTS["seconds"] = time.monotonic() - started
    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps(RESULTS, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT)} in {RESULTS['seconds']:.0f}s")


if __name__ == "__main__":
    main()
