"""The TOML config: every key has a default, so no file is needed.

Each table is a frozen dataclass; a field's ``metadata["parse"]`` turns the TOML
value into the Python one and raises ValueError with a short reason, which
``load_config`` turns into a one-line error naming the key. Adding a key is
adding a field.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.fetch import FetchSettings
from crawler.profile import Selectors, load_profile

VERSION = "0.1.0"
PROJECT_URL = "https://github.com/ayrdw-watch/ayrdw-watch"
DEFAULT_USER_AGENT = f"ayrdw-watch/{VERSION} (+{PROJECT_URL})"
CONFIG_ENV = "AYRDW_CONFIG"


class ConfigError(Exception):
    """A bad config file or value: ``str(err)`` is the one line the user sees."""


# -- value parsers: TOML value -> Python value, ValueError("why") when wrong -------------------------
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$", re.I)
_SIZE_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}


def duration(value: Any) -> float:
    """ "30m", "1s", "24h", "500ms", "0s" -> seconds."""
    m = _DURATION.match(value) if isinstance(value, str) else None
    if not m:
        raise ValueError(f'expected a duration like "30s", "30m" or "24h", got {value!r}')
    return float(m.group(1)) * _DURATION_UNITS[m.group(2)]


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


def _field(default: Any, parse: Any) -> Any:
    return field(default=default, metadata={"parse": parse})


# -- the tables ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SiteConfig:
    url: str = _field("http://www.ayrdw.gov.cn/", http_url)
    section: str = _field("监督工作", text)
    list_url: str | None = _field(None, http_url)
    profile: Path | None = _field(None, path)


@dataclass(frozen=True)
class CrawlConfig:
    delay: float = _field(1.0, duration)
    timeout: float = _field(20.0, positive_duration)
    max_bytes: int = _field(5_000_000, size)
    max_list_pages: int = _field(200, positive_int)
    user_agent: str = _field(DEFAULT_USER_AGENT, text)
    proxy: str | None = _field(None, proxy_url)
    verify_tls: bool = _field(True, boolean)
    retries: int = _field(2, non_negative_int)
    retry_backoff: float = _field(2.0, duration)
    recheck: float = _field(86400.0, duration)


@dataclass(frozen=True)
class StorageConfig:
    db: Path = _field(Path("ayrdw.db"), path)


@dataclass(frozen=True)
class ScheduleConfig:
    interval: float = _field(1800.0, positive_duration)


TABLES = {"site": SiteConfig, "crawl": CrawlConfig, "storage": StorageConfig, "schedule": ScheduleConfig}
_PATH_KEYS = {("site", "profile"), ("storage", "db")}


@dataclass(frozen=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    source: Path | None = None  # the file it came from, if any

    def fetch_settings(self) -> FetchSettings:
        c = self.crawl
        return FetchSettings(
            user_agent=c.user_agent,
            delay=c.delay,
            timeout=c.timeout,
            max_bytes=c.max_bytes,
            retries=c.retries,
            backoff=c.retry_backoff,
            proxy=c.proxy,
            verify_tls=c.verify_tls,
        )

    def selectors(self) -> Selectors:
        """The site profile's selectors (none when no profile is configured)."""
        if self.site.profile is None:
            return Selectors()
        try:
            return load_profile(self.site.profile)
        except Exception as exc:  # ProfileError: already one line
            raise ConfigError(f"config: site.profile: {exc}") from None


def load_config(file: str | os.PathLike[str] | None = None) -> Config:
    """Read the config file (or $AYRDW_CONFIG, or none: all defaults)."""
    if file is None:
        file = os.environ.get(CONFIG_ENV) or None
    if file is None:
        return Config()
    source = Path(file)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config: {source}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"config: {source}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config: {source}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {source}: not valid TOML ({exc})") from None
    return config_from_dict(data, base=source.parent, source=source)


def config_from_dict(data: dict[str, Any], base: Path = Path(), source: Path | None = None) -> Config:
    where = f"config {source}" if source else "config"
    tables = {}
    for name, value in data.items():
        if name not in TABLES:
            raise ConfigError(f"{where}: unknown table [{name}] (known: {', '.join(TABLES)})")
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: {name} must be a table ([{name}])")
        tables[name] = _table(TABLES[name], name, value, base, where)
    return Config(**tables, source=source)


def _table(cls: type, name: str, values: dict[str, Any], base: Path, where: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    parsed = {}
    for key, value in values.items():
        spec = known.get(key)
        if spec is None:
            raise ConfigError(f"{where}: unknown key {name}.{key} (known: {', '.join(known)})")
        try:
            result = spec.metadata["parse"](value)
        except ValueError as exc:
            raise ConfigError(f"{where}: {name}.{key}: {exc}") from None
        if (name, key) in _PATH_KEYS and not result.is_absolute():
            result = base / result
        parsed[key] = result
    return cls(**parsed)
