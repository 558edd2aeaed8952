"""What every benchmark shares: the figures it reports (one key each, with its unit and how it
was measured), spreads of repeated runs, and a poll of the fixture site on a fake clock."""

from __future__ import annotations

import datetime as dt
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from crawler.hosts import HostGates  # noqa: E402
from jobs.config import Config, config_from_dict  # noqa: E402
from jobs.poll import run_poll  # noqa: E402
from jobs.result import PollResult  # noqa: E402
from storage.archive import Archive  # noqa: E402

SECTION = "监督工作"
START = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)


class Figures:
    """bench/results.json: one key per figure, each with its unit and how it was measured."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}

    def add(self, key: str, value: float | dict[str, float], unit: str, how: str) -> dict[str, Any]:
        entry = dict(value) if isinstance(value, dict) else {"value": value}
        entry.update(unit=unit, how=how)
        self.data[key] = entry
        return entry


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def fmt(s: dict[str, float], digits: int = 1) -> str:
    return f"{s['median']:.{digits}f} [{s['min']:.{digits}f}-{s['max']:.{digits}f}]"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


def make_config(base_url: str, db: Path, **crawl: str | int) -> Config:
    return config_from_dict(
        {
            "site": {"url": base_url + "/"},
            "crawl": {"delay": "0s", "retry_backoff": "10ms", "recheck": "24h", **crawl},
            "schedule": {"interval": "30m"},
            "storage": {"db": str(db)},
        }
    )


def poll(config: Config, store: Archive, clock: Clock, gates: HostGates | None = None) -> PollResult:
    """One poll; ``gates``: what the polls of one process share, as the service's do (its
    politeness per host and its one watchdog thread), else the poll's own, as a CLI poll's."""
    result = run_poll(config, store, clock=clock, sleep=lambda s: None, gates=gates)
    if not result.ok:
        raise RuntimeError(result.error)
    return result
