"""One read-only look at the archive per request: opened, used, closed. The server never
writes and never migrates; an archive it cannot read is a 503 with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from jobs.config import Config
from jobs.watchers import open_reader
from storage.archive import Archive


@contextmanager
def reading(config: Config) -> Iterator[Archive]:
    archive = open_reader(config)
    try:
        yield archive
    finally:
        archive.close()
