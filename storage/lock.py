"""One writer per archive: an exclusive OS lock on ``<db>.lock`` that dies with its process.

Two processes that poll or deliver on one SQLite file would announce the same report
twice under different delivery ids. Every command that writes (``run``, ``poll``,
``deliver``, the service inside ``demo``) holds this lock for as long as it runs; a
second one is refused with one line naming the holder. ``flock`` locks belong to the
open file, so ``kill -9`` of the holder frees the archive at once, and nothing stale
has to be cleaned up. The file records the holder's pid and command, for the message.

Readers never take the lock. ``holder()`` tells whether a writer runs: it tries a
shared lock without waiting and lets go at once; a writer that starts in that instant
retries for ``WAIT_SECONDS`` before it gives up, so a reader never makes it fail.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from dataclasses import dataclass
from pathlib import Path

WAIT_SECONDS = 1.0  # a reader's probe holds the file for microseconds; ride over it


class ArchiveBusy(Exception):
    """Another live process writes this archive: ``str(err)`` is the one line to show."""


@dataclass(frozen=True)
class Holder:
    pid: int | None
    command: str


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def _read_holder(fd: int) -> Holder:
    raw = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    pid = int(raw[0]) if raw and raw[0].isdigit() else None
    return Holder(pid, raw[1] if len(raw) > 1 else "?")


class WriterLock:
    """Held from ``acquire()`` until ``release()`` or the end of the process."""

    def __init__(self, db: Path, command: str) -> None:
        self.db = Path(db)
        self.command = command
        self._fd: int | None = None

    def acquire(self) -> WriterLock:
        path = lock_path(self.db)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    os.close(fd)
                    pid = f"pid {holder.pid}" if holder.pid else "pid unknown"
                    raise ArchiveBusy(f"{self.db} is in use by another ayrdw-watch ({pid}, {holder.command})") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {self.command}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the file releases the flock
            self._fd = None

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder(db: Path) -> Holder | None:
    """The live writer of this archive, or None when no process holds the lock."""
    try:
        fd = os.open(lock_path(Path(db)), os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
