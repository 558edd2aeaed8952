"""The limits one attempt of a fetch keeps, whatever the server does: a deadline for the whole
attempt, and a body decoded within the size cap.

httpcore reads each phase's timeout (connect, write, waiting for the headers) from a
mapping as the phase starts: ``Deadline`` answers what is left of the attempt. The body's
read timeout is taken once for every chunk, so a ``Watchdog`` (one thread for the process)
shuts the socket at the deadline instead. ``Decoder`` undoes gzip or deflate with zlib's
``max_length``, so a compression bomb is never inflated beyond what the cap allows.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
import zlib
from collections.abc import Iterator

import httpx


class Deadline(dict):
    """httpcore reads each phase's timeout from this mapping as the phase starts (connect,
    write, waiting for the headers): each gets what is left of the attempt. The body is
    bounded by a watchdog that shuts the socket at the deadline, since httpcore reads the
    body's timeout once, for every chunk."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.end = time.monotonic() + seconds

    def get(self, key: object, default: object = None) -> float:  # type: ignore[override]
        return max(0.001, self.end - time.monotonic())

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.end

    @contextlib.contextmanager
    def watching(self, response: httpx.Response, watchdog: Watchdog) -> Iterator[None]:
        """While the body is read, ``watchdog`` shuts the socket at the deadline."""
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if response.status_code in (204, 304) or sock is None:  # no body to wait for
            yield
            return
        with watchdog.watch(sock, self.end):
            yield


class Watchdog:
    """One thread that shuts the socket of a body read still going at its deadline, for every
    fetcher of the process: a thread per request (a ``threading.Timer``) cost about 0.3 ms of
    CPU, a third of an idle request's. The thread starts when a read is first watched and ends
    after ``IDLE`` seconds with nothing to watch, or at ``close()`` once nothing is watched. A
    read that ends early is only forgotten (no wake-up); the thread is woken only when a new
    deadline comes before the one it waits for."""

    IDLE = 60.0

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._watched: dict[int, tuple[float, socket.socket]] = {}
        self._keys = itertools.count()
        self._running = False
        self._closing = False
        self._wake_at = 0.0  # when the thread wakes next (monotonic)

    def close(self) -> None:
        """End the thread once nothing is watched (a fetcher's own watchdog, as the fetcher closes)."""
        with self._cond:
            self._closing = True
            self._cond.notify()

    @contextlib.contextmanager
    def watch(self, sock: socket.socket, end: float) -> Iterator[None]:
        with self._cond:
            key = next(self._keys)
            self._watched[key] = (end, sock)
            if not self._running:
                self._running, self._closing = True, False
                threading.Thread(target=self._run, name="ayrdw-watchdog", daemon=True).start()
            elif end < self._wake_at:
                self._cond.notify()
        try:
            yield
        finally:
            with self._cond:
                self._watched.pop(key, None)

    def _run(self) -> None:
        with self._cond:
            idle_until = time.monotonic() + self.IDLE
            while True:
                now = time.monotonic()
                for key in [k for k, (end, _) in self._watched.items() if end <= now]:
                    _cut(self._watched.pop(key)[1])
                if self._watched:
                    self._wake_at = min(end for end, _ in self._watched.values())
                    idle_until = self._wake_at + self.IDLE
                elif now >= idle_until or self._closing:
                    self._running = False
                    return
                else:
                    self._wake_at = idle_until
                self._cond.wait(self._wake_at - now)


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class Decoder:
    """Undo one Content-Encoding a chunk at a time, never producing more than asked."""

    def __init__(self, wbits: int | None) -> None:
        self._wbits = wbits
        self._zlib = zlib.decompressobj(wbits) if wbits is not None else None
        self._first = True

    def feed(self, data: bytes, limit: int) -> bytes:
        """Up to ``limit`` decoded bytes of ``data`` (``limit`` of them: there is more)."""
        if self._zlib is None:
            return data
        if self._first and self._wbits == zlib.MAX_WBITS and data:
            self._first = False
            if data[0] & 0x0F != 8:  # "deflate" sent raw, without the zlib header, as many servers do
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        out = [self._zlib.decompress(data, limit)]
        produced = len(out[0])
        while self._zlib.unconsumed_tail and produced < limit:
            out.append(self._zlib.decompress(self._zlib.unconsumed_tail, limit - produced))
            produced += len(out[-1])
        return b"".join(out)

    def flush(self, limit: int) -> bytes:
        return self._zlib.flush()[:limit] if self._zlib is not None else b""


def decoder_for(encoding: str) -> Decoder | None:
    if encoding in ("", "identity"):
        return Decoder(None)
    if encoding in ("gzip", "x-gzip"):
        return Decoder(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return Decoder(zlib.MAX_WBITS)
    return None
