"""Search latency over 10,000 synthetic reports (stored by the archive's own writer, so the index
is kept as a poll keeps it): 2-character queries (the LIKE path) and 4-character queries (the
FTS5 trigram index), each timed beside the baseline a user would otherwise write -- one LIKE
scan of the latest versions -- in interleaved rounds. Query terms are drawn from the reports'
own text, so every query has matches."""

from __future__ import annotations

import datetime as dt
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import SECTION, Figures
from domain.change import content_hash
from fixturesite.content import synthetic_report
from storage.archive import Archive
from storage.db import open_db
from storage.search import Query

REPORTS = 10_000
QUERIES = 60  # per length
_CJK = re.compile(r"[\u4e00-\u9fff]{4,}")


def _fill(archive: Archive, rng: random.Random) -> list[str]:
    texts = []
    with archive.transaction():
        for i in range(REPORTS):
            report = synthetic_report(rng, f"s{i:05d}", SECTION, dt.date(2020, 1, 1) + dt.timedelta(days=i % 2000))
            fields = {"title": report.title, "published": report.published, "source": report.source,
                      "text": "\n".join(report.paragraphs), "attachments": [], "credits": report.credits}  # fmt: skip
            archive.reports.save_version(
                url=f"http://bench.gov.cn/jdgz/{i}.html", fields=fields, content_hash=content_hash(fields),
                changed=(), now="2026-11-25T08:00:00+00:00", recheck_due_at="2026-11-26T08:00:00+00:00",
                etag=None, last_modified=None, listed=None, poll_id=None, extractor_version=1,
            )  # fmt: skip
            texts.append(fields["text"])
    return texts


def _terms(texts: list[str], rng: random.Random, length: int) -> list[str]:
    terms = []
    while len(terms) < QUERIES:
        runs = _CJK.findall(rng.choice(texts))
        if runs:
            run = rng.choice(runs)
            start = rng.randrange(len(run) - length + 1)
            terms.append(run[start : start + length])
    return terms


def _baseline(archive: Archive, term: str) -> list[int]:
    """What one would write without an index: LIKE over the latest version's title, source, text."""
    sql = (
        "SELECT r.id FROM reports r JOIN report_versions v ON v.report_id = r.id AND v.version = r.version"
        " WHERE v.title LIKE ? OR v.source LIKE ? OR v.text LIKE ? ORDER BY r.updated_at DESC LIMIT 50"
    )
    like = f"%{term}%"
    return [row[0] for row in archive.db.execute(sql, [like, like, like]).fetchall()]


def _ms(fn) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def run(figures: Figures) -> None:
    rng = random.Random(17)
    with tempfile.TemporaryDirectory() as tmp:
        archive = Archive(open_db(Path(tmp) / "search.db"), "bench")
        started = time.perf_counter()
        texts = _fill(archive, rng)
        fill_s = time.perf_counter() - started
        size_mb = (Path(tmp) / "search.db").stat().st_size / 1e6
        how = f"{REPORTS} synthetic reports, {QUERIES} queries per length drawn from their text, interleaved rounds"
        print(f"\n6. Search ({how}; stored in {fill_s:.1f}s, {size_mb:.0f} MB)")
        print(f"   {'query':<22}{'ours p50':>10}{'p95':>9}{'LIKE scan p50':>15}{'p95':>9}{'p50 ratio':>11}")
        for length in (2, 4):
            ours, scan = [], []
            for k, term in enumerate(_terms(texts, rng, length)):

                def mine(t: str = term) -> object:
                    return archive.browse.search(Query(t, limit=50))

                def theirs(t: str = term) -> object:
                    return _baseline(archive, t)

                pair = (mine, theirs) if k % 2 == 0 else (theirs, mine)  # rotate who runs first
                timed = {f: _ms(f) for f in pair}
                ours.append(timed[mine])
                scan.append(timed[theirs])
            key = f"search.{length}_chars"
            for name, values in (("ours", ours), ("like_scan", scan)):
                for q in (50, 95):
                    figures.add(f"{key}.{name}.p{q}_ms", _pct(values, q), "ms", how)
            ratio = statistics.median(scan) / statistics.median(ours)
            figures.add(f"{key}.like_scan_over_ours", ratio, "x", "median latency of the LIKE scan / ours")
            path = "LIKE path" if length == 2 else "FTS5 trigram"
            print(f"   {length}-character ({path:<12}){_pct(ours, 50):>8.2f}ms{_pct(ours, 95):>7.2f}ms"
                  f"{_pct(scan, 50):>13.2f}ms{_pct(scan, 95):>7.2f}ms{ratio:>10.1f}x")  # fmt: skip
        archive.close()
