"""A download that never sits whole in memory: its body goes to a temporary file, hashed as
it is written, capped at ``cap`` bytes (after Content-Encoding is undone).

``Fetcher.download`` fills a ``FileSink`` and returns a ``Download`` (what the server said);
the caller keeps the file (storage.evidence streams it into the blob store) or drops it.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from domain.evidence import Raw

CHUNK = 1 << 20
HEAD = 30_000  # the first bytes, kept to tell a challenge page from a file
MIN_RATE = 100_000  # bytes per second a download is allowed at least, beyond the timeout


class FileSink:
    """Where one download's body goes."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.file = tempfile.TemporaryFile(prefix="ayrdw-download-")  # noqa: SIM115 (closed by close())
        self.reset()

    def reset(self) -> None:
        """Empty again (a retried attempt starts over)."""
        self.file.seek(0)
        self.file.truncate()
        self._hash = hashlib.sha256()
        self.size = 0
        self.head = b""

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.file.write(data)
        self._hash.update(data)
        self.size += len(data)
        if len(self.head) < HEAD:
            self.head += data[: HEAD - len(self.head)]

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        self.file.flush()
        self.file.seek(0)
        while block := self.file.read(size):
            yield block

    def deadline(self, timeout: float) -> float:
        """One attempt's time: the timeout, and room for a file of ``cap`` bytes at a slow rate."""
        return timeout + self.cap / MIN_RATE

    def close(self) -> None:
        self.file.close()


@dataclass(frozen=True)
class Download:
    """What the server answered for one attachment (the body is in the sink)."""

    url: str  # asked for
    final_url: str  # after redirects
    status: int  # 200 or 304
    content_type: str | None
    etag: str | None
    last_modified: str | None
    raw: Raw = field(repr=False)  # headers and request, with an empty body: the sink holds it

    @property
    def not_modified(self) -> bool:
        return self.status == 304
