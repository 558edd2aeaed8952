"""/metrics in the Prometheus text format, computed from the archive at scrape time (a custom
collector), so `serve` and `run --web` report the same numbers whichever process polled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from jobs.config import Config
from web.reading import reading


class ArchiveCollector(Collector):
    def __init__(self, config: Config) -> None:
        self.config = config

    def collect(self) -> Iterator[Metric]:
        with reading(self.config) as archive:
            rows = archive.browse.metric_rows()
        polls = CounterMetricFamily("ayrdw_polls", "Polls by watch and result.", labels=["watch", "result"])
        requests = CounterMetricFamily("ayrdw_requests", "HTTP requests made by polls.", labels=["watch"])
        size = CounterMetricFamily("ayrdw_bytes", "Bytes downloaded by polls.", labels=["watch"])
        per_watch: dict[str, list[int]] = {}
        for watch, result, count, sent, received in rows["polls"]:
            polls.add_metric([watch, result], count)
            totals = per_watch.setdefault(watch, [0, 0])
            totals[0] += sent or 0
            totals[1] += received or 0
        for watch, (sent, received) in sorted(per_watch.items()):
            requests.add_metric([watch], sent)
            size.add_metric([watch], received)
        events = CounterMetricFamily("ayrdw_events", "Events by kind.", labels=["watch", "kind"])
        for watch, kind, count in rows["events"]:
            events.add_metric([watch, kind], count)
        deliveries = GaugeMetricFamily("ayrdw_deliveries", "Deliveries by state.", labels=["state"])
        states = dict.fromkeys(("pending", "failed", "delivered"), 0) | dict(rows["deliveries"])
        for state, count in states.items():
            deliveries.add_metric([state], count)
        reports = GaugeMetricFamily("ayrdw_reports", "Reports by watch and status.", labels=["watch", "status"])
        for watch, status, count in rows["reports"]:
            reports.add_metric([watch, status], count)
        last = GaugeMetricFamily(
            "ayrdw_last_success_timestamp_seconds", "When the last successful poll of a watch ended.", labels=["watch"]
        )
        for watch, finished in rows["last_success"]:
            if finished:
                last.add_metric([watch], _seconds(finished))
        yield from (polls, requests, size, events, deliveries, reports, last)


def _seconds(moment: Any) -> float:
    return dt.datetime.fromisoformat(str(moment)).timestamp()


def registry(config: Config) -> CollectorRegistry:
    found = CollectorRegistry(auto_describe=False)
    found.register(ArchiveCollector(config))
    return found
