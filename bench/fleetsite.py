"""`python -m bench.fleetsite --hosts 200`: fixture sites on 127.0.0.2 and up, one process.

Each host serves one of VARIANTS (layouts and section sizes, mixed), its five sections
holding that many reports each (no per-request noise, with validators). The server of each
host counts what it is asked: requests, the most in flight at once, and the shortest gap
between the end of one request and the start of the next. It prints one line per host
(`host URL`) and then `ready`; on SIGTERM or stdin closing it prints one JSON line of those
counts per host and exits."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite

LAYOUTS = ("trs", "modern", "table-gbk")
SIZES = (50, 200, 350, 500)  # reports per section: 275 on average
VARIANTS = tuple((layout, size) for size in SIZES for layout in LAYOUTS)


def variant_site(index: int, today: date) -> FixtureSite:
    layout, size = VARIANTS[index % len(VARIANTS)]
    return FixtureSite(layout, reports_per_section=size, reports_per_other_section=size, noise=False, dated_until=today)


def host_address(index: int) -> str:
    return f"127.0.{2 + index // 250}.{2 + index % 250}"


@dataclass
class CountedSite:
    """One host's view of a shared FixtureSite: what this host was asked, and how politely."""

    site: FixtureSite
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    last_end: float | None = None
    min_gap: float | None = None

    def handle(self, method: str, path: str, headers: object) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            started = time.monotonic()
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self.last_end is not None and self.in_flight == 1:
                gap = started - self.last_end
                self.min_gap = gap if self.min_gap is None else min(self.min_gap, gap)
        try:
            return self.site.handle(method, path, headers)  # type: ignore[arg-type]
        finally:
            with self.lock:
                self.in_flight -= 1
                self.last_end = time.monotonic()

    def counts(self) -> dict[str, object]:
        return {"requests": self.requests, "max_in_flight": self.max_in_flight, "min_gap": self.min_gap}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fleetsite", description=__doc__)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args(argv)
    sites = [variant_site(i, args.today) for i in range(min(args.hosts, len(VARIANTS)))]
    counted = [CountedSite(sites[i % len(sites)]) for i in range(args.hosts)]
    servers = [FixtureServer(c, host=host_address(i)).start() for i, c in enumerate(counted)]  # type: ignore[arg-type]
    for server in servers:
        print(f"host {server.url('/')}", flush=True)
    print("ready", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    with contextlib.suppress(BrokenPipeError):  # the bench that started us may be gone
        for server, c in zip(servers, counted, strict=True):
            print(json.dumps({"host": server.url("/"), **c.counts()}), flush=True)
    for server in servers:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
