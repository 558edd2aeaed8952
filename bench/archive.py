"""What a poll costs as the archive grows: 100, 1,000 and 10,000 reports stored by a real
baseline of a fixture site that big (served by another process, so its CPU is not ours),
then polls every 30 minutes with re-checks due as the re-check policy spreads them (the
baseline spreads the first re-checks over the 24 h period; each poll re-checks what is due).
Per poll: requests, our CPU time, SQLite's work. And the database size per 1,000 reports, with
the raw responses kept (the default) and, for 1,000 reports, without them, and with attachment
files of a realistic size (random bytes, 200 KB on average: PDFs compress little)."""

from __future__ import annotations

import datetime as dt
import gc
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import ROOT, START, Clock, Figures, fmt, make_config, poll, spread
from crawler.hosts import HostGates
from jobs.config import Config, EvidenceConfig
from jobs.result import PollResult
from jobs.watchers import open_archive
from storage.archive import Archive

# (reports, keep raw responses, mean attachment KB): 1,000 is measured without raw responses too
# ([evidence] keep_raw = false) and with attachment files of 200 KB on average (else a line of text each)
VARIANTS = ((100, True, 0), (1_000, True, 0), (1_000, False, 0), (1_000, True, 200), (10_000, True, 0))


def _key(count: int, keep: bool, kb: int) -> str:
    return f"archive.{count}" + ("" if keep else "_no_raw") + (f"_files_{kb}kb" if kb else "")


@contextmanager
def served(reports: int, attachment_kb: int = 0, page_size: int = 0, dated_until: str = "") -> Iterator[str]:
    """The fixture site ('trs', no per-request noise, with validators) in a process of its own."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fixturesite", "--layout", "trs", "--port", "0", "--reports", str(reports),
         "--no-noise", "--attachment-kb", str(attachment_kb), *(["--page-size", str(page_size)] if page_size else []),
         *(["--dated-until", dated_until] if dated_until else [])],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        home = urlsplit(proc.stdout.readline().split(" at ")[1].split()[0])
        yield f"{home.scheme}://{home.netloc}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


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


def measured_poll(
    config: Config, store: Archive, clock: Clock, work: SqliteWork, gates: HostGates | None = None
) -> tuple[PollResult, float]:
    """The next poll, 30 minutes on: its result and our process's CPU milliseconds (SQLite's work in
    ``work``)."""
    clock.now += dt.timedelta(minutes=30)
    work.reset()
    gc.collect()
    began = time.process_time()
    result = poll(config, store, clock, gates)
    return result, (time.process_time() - began) * 1000


def run(figures: Figures, polls: int = 21) -> None:
    how = (f"{polls} polls 30 min apart after a real baseline, fixture site 'trs' with validators and no noise,"
           " re-check 24 h, our process's CPU time")  # fmt: skip
    for count, keep, kb in VARIANTS:
        key = _key(count, keep, kb)
        with tempfile.TemporaryDirectory() as tmp, served(count, kb) as base_url:
            db = Path(tmp) / "a.db"
            config = make_config(base_url, db, max_list_pages=5000)
            config = replace(config, evidence=EvidenceConfig(keep_raw=keep))
            store = open_archive(config, START.isoformat())
            clock, gates = Clock(), HostGates()  # the polls of one process, as in the service
            started = time.monotonic()
            poll(config, store, clock, gates)  # the baseline: every report stored, its re-check spread over 24 h
            baseline_s = time.monotonic() - started
            for _ in range(2):  # warm up: caches, the first 304
                clock.now += dt.timedelta(minutes=30)
                poll(config, store, clock, gates)
            work = SqliteWork(store)
            cpu, vm, sql, requests = [], [], [], []
            for _ in range(polls):
                result, ms = measured_poll(config, store, clock, work, gates)
                cpu.append(ms)
                vm.append(work.vm_steps)
                sql.append(work.statements)
                requests.append(result.requests)
            work.detach()
            store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            size = db.stat().st_size
            files, file_bytes = store.db.execute(
                "SELECT count(*), coalesce(sum(size), 0) FROM attachment_files WHERE sha256 IS NOT NULL"
            ).fetchone()
        figures.add(f"{key}.requests_per_poll", spread(requests), "requests", how)
        figures.add(f"{key}.cpu_ms_per_poll", spread(cpu), "ms", how)
        figures.add(f"{key}.sqlite_vm_steps_per_poll", spread(vm), "VM steps (x100)", how)
        figures.add(f"{key}.sql_statements_per_poll", spread(sql), "statements", how)
        figures.add(f"{key}.baseline_seconds", baseline_s, "s", "wall time of the baseline poll")
        figures.add(f"{key}.db_bytes_per_1000_reports", size * 1000 / count, "bytes",
                    "database file size after the polls (WAL checkpointed), per 1,000 reports")  # fmt: skip
        figures.add(f"{key}.files_per_1000_reports", files * 1000 / count, "files", "attachment files kept")
        figures.add(f"{key}.file_mb_per_1000_reports", file_bytes / 1e6 * 1000 / count, "MB",
                    "the attachment files' own bytes, per 1,000 reports")  # fmt: skip
    d = figures.data
    print(f"\n3. A poll against archive size ({how})")
    print(f"   {'reports':>8} {'requests/poll':>18} {'CPU ms/poll':>22} {'CPU ms/request':>15} {'SQLite VM steps':>26}"
          f" {'SQL statements':>16} {'MB/1000':>8} {'files/1000':>10} {'file MB/1000':>12}")  # fmt: skip
    for count, keep, kb in VARIANTS:
        key = _key(count, keep, kb)
        r = {k.split(".")[-1]: v for k, v in d.items() if k.startswith(f"{key}.")}
        per_request = r["cpu_ms_per_poll"]["median"] / r["requests_per_poll"]["median"]
        mb = r["db_bytes_per_1000_reports"]["value"] / 1e6
        label = f"{count:,}" + ("" if keep else " no raw") + (f" files {kb}KB" if kb else "")
        print(
            f"   {label:>8} {fmt(r['requests_per_poll'], 0):>18} {fmt(r['cpu_ms_per_poll'], 1):>22}"
            f" {per_request:>15.2f} {fmt(r['sqlite_vm_steps_per_poll'], 0):>26}"
            f" {fmt(r['sql_statements_per_poll'], 0):>16} {mb:>8.2f}"
            f" {r['files_per_1000_reports']['value']:>10.0f} {r['file_mb_per_1000_reports']['value']:>12.1f}"
        )
    print("   (MB/1000: the whole archive file; file MB/1000: the attachment files' own bytes, inside it)")
