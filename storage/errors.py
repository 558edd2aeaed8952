"""What can go wrong with the archive file, as one line a user can act on (exit 1).

SQLite reports trouble by result code; the code, never the message text, says which
kind it is: a full disk, a read-only file, a damaged file, a file that cannot be opened.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


class ArchiveError(Exception):
    """The archive cannot be used: ``str(err)`` is the one line to show (exit 1)."""


class ArchiveMissing(ArchiveError):
    """No archive file yet: nothing has polled (``status`` says so as its health verdict)."""


class ArchiveNeedsUpgrade(ArchiveError):
    """Written by an older release (or being created right now by a writer)."""


class ArchiveDamaged(ArchiveError):
    """SQLite's integrity check fails, or the file is not a database at all."""


class ArchiveUnreachable(ArchiveError):
    """The file cannot be opened where the config says it is (a folder, a path we cannot create):
    a config problem rather than a failed job."""


def folder_problem(path: str | Path, exc: OSError) -> ArchiveUnreachable:
    """The one line for an archive folder we cannot create or write: a folder that exists and is
    not ours to write (a bind mount owned by another user, a read-only mount) says how to fix it."""
    folder = Path(path).parent
    if folder.is_dir():
        return ArchiveUnreachable(
            not_writable(folder) or f"cannot write in the archive's folder {folder} ({exc.strerror})"
        )
    return ArchiveUnreachable(f"cannot create the archive's folder {folder} ({exc.strerror})")


def not_writable(folder: Path) -> str | None:
    """Why this process cannot write in an existing ``folder``, or None when it can."""
    if os.access(folder, os.W_OK):
        return None
    if os.statvfs(folder).f_flag & os.ST_RDONLY:
        return f"the archive's folder {folder} is read-only (a read-only mount)"
    return (
        f"the archive's folder {folder} is not writable by this user (uid {os.getuid()}); with Docker, a"
        f" bind-mounted folder must belong to uid 10001 (chown 10001:10001 it) or run the container with --user"
    )


def describe(exc: sqlite3.Error, path: str | Path) -> ArchiveError:
    """The one-line error for an SQLite error on the archive at ``path``."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == sqlite3.SQLITE_FULL:
        return ArchiveError(f"the archive at {path} cannot grow: the disk is full")
    if primary == sqlite3.SQLITE_READONLY:
        return ArchiveError(f"the archive at {path} is read-only (check the file's and its folder's permissions)")
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return ArchiveDamaged(f"the archive at {path} is damaged ({exc}); restore it from a backup")
    if primary == sqlite3.SQLITE_CANTOPEN:
        return ArchiveUnreachable(f"cannot open the archive at {path} ({exc})")
    if primary == sqlite3.SQLITE_IOERR:
        return ArchiveError(f"disk I/O error on the archive at {path} ({exc})")
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return ArchiveError(f"the archive at {path} stayed locked by another connection ({exc})")
    return ArchiveError(f"the archive at {path}: {exc}")
