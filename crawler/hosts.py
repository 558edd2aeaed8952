"""Politeness per host, shared by every fetcher of the process: watches on one site take turns.

One request at a time to a host, and the configured delay (or robots.txt's Crawl-delay)
between the end of one and the start of the next, however many watches (and polls) talk to
it; the cookies it set are kept for the next fetcher (a site's session, a JS challenge's
cookie). The process makes one ``HostGates`` and hands it to every poll; with it goes the
one ``Watchdog`` that cuts a body read at its deadline.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import httpx

from crawler.limits import Watchdog


@dataclass
class HostGate:
    lock: threading.Lock = field(default_factory=threading.Lock)  # held while a request is in flight
    last_end: float | None = None  # when the last request to this host ended (the fetcher's clock)
    cookies: httpx.Cookies = field(default_factory=httpx.Cookies)


class HostGates:
    def __init__(self) -> None:
        self._gates: dict[str, HostGate] = {}
        self._lock = threading.Lock()
        self.watchdog = Watchdog()

    def gate(self, host: str) -> HostGate:
        with self._lock:
            return self._gates.setdefault(host.lower(), HostGate())
