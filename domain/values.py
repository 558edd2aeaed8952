"""How a config value is read: durations, sizes, URLs, addresses, secrets.

Each parser turns a TOML value into the Python one, or raises ValueError with a short
reason that the config loader puts after the key's name. ``setting`` declares a table's
field with its parser, so the config tables (jobs/config.py) and each channel's own keys
(notify/*.py) are read the same way.
"""

from __future__ import annotations

import re
from dataclasses import field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from domain.events import EventKind

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$", re.I)
_SIZE_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}


MAX_DURATION = 366 * 86400.0  # a year: anything longer is a typo (and overflows the scheduler)


def duration(value: Any) -> float:
    """ "30m", "1s", "24h", "500ms", "0s" -> seconds."""
    m = _DURATION.match(value) if isinstance(value, str) else None
    if not m:
        raise ValueError(f'expected a duration like "30s", "30m" or "24h", got {value!r}')
    seconds = float(m.group(1)) * _DURATION_UNITS[m.group(2)]
    if seconds > MAX_DURATION:
        raise ValueError(f"at most a year (366d), got {value!r}")
    return seconds


def duration_or_auto(value: Any) -> float | None:
    """ "auto" -> None (the program chooses), else a duration."""
    if value == "auto":
        return None
    try:
        return duration(value)
    except ValueError:
        raise ValueError(f'expected "auto" or a duration like "24h" or "7d", got {value!r}') from None


def positive_duration(value: Any) -> float:
    seconds = duration(value)
    if seconds <= 0:
        raise ValueError(f"must be longer than 0s, got {value!r}")
    return seconds


def size(value: Any) -> int:
    """ "5MB", "512KB", 1000000 -> bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    m = _SIZE.match(value) if isinstance(value, str) else None
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f'expected a size like "5MB" or "512KB", got {value!r}')
    return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])


def positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"expected a number above 0, got {value!r}")
    return float(value)


def positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number of at least 1, got {value!r}")
    return value


def non_negative_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a whole number of at least 0, got {value!r}")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value.strip()


def header_text(value: Any) -> str:
    """Text that ends up in a mail header: one line (a CR or LF would start a header of its own)."""
    value = text(value)
    if "\r" in value or "\n" in value:
        raise ValueError("must be one line (no line breaks: it goes into a mail header)")
    return value


def secret_text(value: Any) -> str:
    """A secret: checked like text, and never repeated in an error."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got a {type(value).__name__} (the value is not shown)")
    return value.strip()


def http_url(value: Any) -> str:
    value = text(value)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return value


def proxy_url(value: Any) -> str:
    value = text(value)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https", "socks5", "socks5h") or not parts.hostname:
        raise ValueError(f"expected a proxy URL like http://host:port, got {value!r}")
    return value


def path(value: Any) -> Path:
    return Path(text(value))  # made relative to the config file by load_config


def setting(default: Any, parse: Any, key: str | None = None, secret: bool = False) -> Any:
    """A config field: its parser, the TOML key when it is not the field name, and
    whether it is a secret (kept out of repr, so it never reaches a log line)."""
    return field(default=default, metadata={"parse": parse, "key": key}, repr=not secret)


EVENT_KINDS = tuple(str(kind) for kind in EventKind)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def time_zone(value: Any) -> str:
    """An IANA zone name ("Asia/Shanghai", "UTC"): what times in messages are written in."""
    import zoneinfo  # the tzdata package when the system has no zone files (the slim image)

    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'expected an IANA time zone like "Asia/Shanghai" or "UTC", got {value!r}')
    try:
        zoneinfo.ZoneInfo(value.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'unknown time zone {value!r} (an IANA name like "Asia/Shanghai" or "UTC")') from None
    return value.strip()


def event_kinds(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or any(v not in EVENT_KINDS for v in value):
        raise ValueError(f"expected a list drawn from {list(EVENT_KINDS)}, got {value!r}")
    return tuple(dict.fromkeys(value))


def email_address(value: Any) -> str:
    value = header_text(value)
    import email.utils  # the mail package loads slowly: only to read an address

    _, address = email.utils.parseaddr(value)
    if not _EMAIL.match(address):
        raise ValueError(f"expected an email address, got {value!r}")
    return value


def email_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a list of email addresses, got {value!r}")
    return tuple(email_address(v) for v in value)


def port(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise ValueError(f"expected a port number (1-65535), got {value!r}")
    return value


def host_names(value: Any) -> frozenset[str]:
    """["files.example.gov.cn", "127.0.0.2"]: host names, no scheme, path or port."""
    hosts = value if isinstance(value, list) else None
    pattern = r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?"
    if hosts is None or any(not isinstance(h, str) or not re.fullmatch(pattern, h.strip()) for h in hosts):
        raise ValueError(f'expected a list of host names like ["files.example.gov.cn"], got {value!r}')
    return frozenset(h.strip().lower().rstrip(".") for h in hosts)


def env_name(value: Any) -> str:
    value = text(value)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ValueError(f"expected the name of an environment variable, got {value!r}")
    return value


def watch_name(value: Any) -> str:
    """A watch's name: the stable id in the archive, the command line, exports and payloads."""
    if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,62}", value):
        raise ValueError(f"expected a name of lowercase letters, digits, - and _ (at most 63), got {value!r}")
    return value
