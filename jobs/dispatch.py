"""Polls of many watches on one process: concurrent across hosts, one at a time per host.

The scheduler says when a watch is due and hands it to ``Dispatcher.submit``, which returns at
once. A bounded pool of ``[crawl] hosts_in_parallel`` threads runs the due polls, each on a
connection of its own to the archive: a host runs one poll at a time (its watches take turns,
first due first; the fetchers' HostGates keep one request in flight per host and the delay
between requests in any case), hosts take turns for the threads, and a watch already waiting
or polling is not queued again (a poll that overruns its interval is coalesced, never stacked).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from domain.watch import Watch

log = logging.getLogger("ayrdw.service")
R = TypeVar("R")  # what each worker thread holds for its polls (the service: a connection to the archive)


def host_of(watch: Watch) -> str:
    """The host a watch's polls talk to (its list URL's when it names one on another host)."""
    return (urlsplit(watch.list_url or watch.url).hostname or watch.url).lower()


@dataclass
class Dispatcher(Generic[R]):
    run: Callable[[Watch, R], None]  # (watch, the worker's resource): the poll
    workers: int
    open_resource: Callable[[], R]  # once per worker thread
    close_resource: Callable[[R], None]
    _cond: threading.Condition = field(default_factory=threading.Condition, init=False)
    _waiting: OrderedDict[str, deque[Watch]] = field(default_factory=OrderedDict, init=False)  # host -> due watches
    _busy_hosts: set[str] = field(default_factory=set, init=False)
    _pending: set[str] = field(default_factory=set, init=False)  # watches waiting or polling
    _running: int = field(default=0, init=False)
    _closed: bool = field(default=False, init=False)

    def start(self) -> Dispatcher:
        for n in range(self.workers):
            threading.Thread(target=self._work, name=f"poll-{n + 1}", daemon=True).start()
        return self

    def submit(self, watch: Watch) -> bool:
        """Queue a due poll; False when the watch is already waiting or polling (coalesced)."""
        with self._cond:
            if self._closed or watch.name in self._pending:
                return False
            self._pending.add(watch.name)
            self._waiting.setdefault(host_of(watch), deque()).append(watch)
            self._cond.notify()
            return True

    def shutdown(self, timeout: float) -> bool:
        """No queued poll starts; True when the polls in flight ended within ``timeout``."""
        with self._cond:
            self._closed = True
            dropped = [w for queue in self._waiting.values() for w in queue]
            self._waiting.clear()
            self._pending.difference_update(w.name for w in dropped)
            self._cond.notify_all()
            return self._cond.wait_for(lambda: self._running == 0, timeout)

    def _next(self) -> tuple[str, Watch] | None:
        """The first host with a due watch and no poll in flight (hosts take turns), or None."""
        for host, queue in self._waiting.items():
            if host not in self._busy_hosts:
                watch = queue.popleft()
                if queue:
                    self._waiting.move_to_end(host)  # its next watch waits for the other hosts' turn
                else:
                    del self._waiting[host]
                return host, watch
        return None

    def _work(self) -> None:
        resource = self.open_resource()
        try:
            while (picked := self._take()) is not None:
                host, watch = picked
                try:
                    self.run(watch, resource)
                except Exception:  # the runner logs its own failures; this keeps the worker alive
                    log.exception("poll of %s crashed", watch.name)
                finally:
                    with self._cond:
                        self._busy_hosts.discard(host)
                        self._pending.discard(watch.name)
                        self._running -= 1
                        self._cond.notify_all()
        finally:
            self.close_resource(resource)

    def _take(self) -> tuple[str, Watch] | None:
        """Wait for a due watch whose host is free and claim both; None once shut down."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or any(h not in self._busy_hosts for h in self._waiting))
            picked = None if self._closed else self._next()
            if picked is not None:
                self._busy_hosts.add(picked[0])
                self._running += 1
            return picked


def spread(watches: list[Watch], interval_of: Callable[[Watch], float]) -> dict[str, float]:
    """Each watch's first poll, in seconds after the start: evenly over the shortest interval of
    the watches (with one interval for all, that interval; a watch polled every day is still
    polled in the first minutes), hosts interleaved (consecutive slots go to different hosts),
    so a thousand watches never fire together at start. The first watch polls at once."""
    by_host: OrderedDict[str, deque[Watch]] = OrderedDict()
    for watch in watches:
        by_host.setdefault(host_of(watch), deque()).append(watch)
    order: list[Watch] = []
    while by_host:
        for host in list(by_host):
            order.append(by_host[host].popleft())
            if not by_host[host]:
                del by_host[host]
    span = min((interval_of(w) for w in order), default=0.0)
    return {watch.name: span * i / len(order) for i, watch in enumerate(order)}
