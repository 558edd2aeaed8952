"""The limits one attempt of a fetch keeps, whatever the server does: a deadline for the whole
attempt, and a body decoded within the size cap.

httpcore reads each phase's timeout (connect, write, waiting for the headers) from a
mapping as the phase starts: ``Deadline`` answers what is left of the attempt. The body's
read timeout is taken once for every chunk, so a watchdog shuts the socket at the deadline
instead. ``Decoder`` undoes gzip or deflate with zlib's ``max_length``, so a compression
bomb is never inflated beyond what the cap allows.
"""

from __future__ import annotations

import contextlib
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
    def watching(self, response: httpx.Response) -> Iterator[None]:
        if response.status_code in (204, 304):  # no body to wait for: no watchdog thread
            yield
            return
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        timer = threading.Timer(max(0.0, self.end - time.monotonic()), _cut, [sock])
        timer.daemon = True
        if sock is not None:
            timer.start()
        try:
            yield
        finally:
            timer.cancel()


def _cut(sock: socket.socket | None) -> None:
    if sock is not None:
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
