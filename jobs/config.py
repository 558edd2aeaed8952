"""The TOML config: every key has a default, so no file is needed.

Each table is a frozen dataclass; a field's ``metadata["parse"]`` turns the TOML
value into the Python one and raises ValueError with a short reason, which
``load_config`` turns into a one-line error naming the key. Adding a key is
adding a field.
"""

from __future__ import annotations

import email.utils
import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.fetch import FetchSettings
from crawler.profile import ProfileError, Selectors, load_profile

VERSION = "0.3.0"
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


def _field(default: Any, parse: Any, key: str | None = None, secret: bool = False) -> Any:
    """A config field: its parser, the TOML key when it is not the field name, and
    whether it is a secret (kept out of repr, so it never reaches a log line)."""
    return field(default=default, metadata={"parse": parse, "key": key}, repr=not secret)


EVENT_KINDS = ("new", "changed", "removed", "restored")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def event_kinds(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or any(v not in EVENT_KINDS for v in value):
        raise ValueError(f"expected a list drawn from {list(EVENT_KINDS)}, got {value!r}")
    return tuple(dict.fromkeys(value))


def email_address(value: Any) -> str:
    value = header_text(value)
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


def env_name(value: Any) -> str:
    value = text(value)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ValueError(f"expected the name of an environment variable, got {value!r}")
    return value


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
    max_retry_wait: float = _field(60.0, duration)  # the longest wait between attempts; a longer Retry-After fails
    recheck: float = _field(86400.0, duration)


@dataclass(frozen=True)
class StorageConfig:
    db: Path = _field(Path("ayrdw.db"), path)


@dataclass(frozen=True)
class ScheduleConfig:
    interval: float = _field(1800.0, positive_duration)
    deliver_interval: float = _field(60.0, positive_duration)  # the delivery pass between polls
    progress_every: float = _field(30.0, positive_duration)  # a progress log line while a poll runs


@dataclass(frozen=True)
class SmtpConfig:
    host: str | None = _field(None, text)
    port: int = _field(25, port)
    starttls: bool = _field(False, boolean)
    ssl: bool = _field(False, boolean)
    user: str | None = _field(None, text)
    password: str | None = _field(None, secret_text, secret=True)
    password_env: str | None = _field(None, env_name)
    sender: str = _field("ayrdw-watch <ayrdw-watch@localhost>", email_address, key="from")
    timeout: float = _field(30.0, positive_duration)


@dataclass(frozen=True)
class NotifyConfig:
    on_baseline: bool = _field(False, boolean)  # the first poll is silent by default
    events: tuple[str, ...] = _field(EVENT_KINDS, event_kinds)
    max_attempts: int = _field(10, positive_int)  # then the delivery is marked failed (shown by `outbox`)
    retry_backoff: float = _field(120.0, positive_duration)  # the second retry's wait, doubling
    max_retry_wait: float = _field(14400.0, positive_duration)  # the longest wait; dead letters are probed this often
    digest_over: int = _field(5, positive_int)  # more events than this for one email watcher: one digest
    timeout: float = _field(15.0, positive_duration)  # every send
    subject_prefix: str = _field("[监督工作]", header_text)
    alert_after_failures: int = _field(3, positive_int)  # polls failed in a row before operators hear


@dataclass(frozen=True)
class WatcherConfig:
    """One recipient of events: a webhook URL or email addresses."""

    kind: str
    url: str | None = None
    secret: str | None = field(default=None, repr=False)
    to: tuple[str, ...] = ()
    events: tuple[str, ...] | None = None  # None: [notify] events
    name: str | None = None
    role: str = "watcher"  # or "alert": an operator hearing about trouble

    @property
    def id(self) -> str:
        """Stable across restarts: the kind and where it sends (not the secret)."""
        target = self.url if self.kind == "webhook" else ",".join(sorted(a.lower() for a in self.to))
        digest = hashlib.sha256(f"{self.role}|{self.kind}|{target}".encode()).hexdigest()[:12]
        return f"{self.kind}-{digest}"

    @property
    def label(self) -> str:
        """For logs and `outbox`: no secret, no URL path or query (webhook paths often carry tokens)."""
        if self.name:
            return self.name
        if self.kind == "webhook":
            parts = urlsplit(self.url or "")
            return f"webhook {parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}/…"
        return "email " + ", ".join(self.to)


TABLES = {
    "site": SiteConfig,
    "crawl": CrawlConfig,
    "storage": StorageConfig,
    "schedule": ScheduleConfig,
    "smtp": SmtpConfig,
    "notify": NotifyConfig,
}
LISTS = ("watchers", "alerts")
_PATH_KEYS = {("site", "profile"), ("storage", "db")}


@dataclass(frozen=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    watchers: tuple[WatcherConfig, ...] = ()
    alerts: tuple[WatcherConfig, ...] = ()  # operators: told when the poll itself is in trouble
    selectors: Selectors = field(default_factory=Selectors)  # the site profile, read once at load
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
            max_retry_wait=c.max_retry_wait,
            proxy=c.proxy,
            verify_tls=c.verify_tls,
        )


ENV_PREFIX = "AYRDW_"


def env_overrides(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """``AYRDW_<TABLE>_<KEY>=value`` sets ``[table] key`` (e.g. AYRDW_STORAGE_DB=/data/ayrdw.db,
    AYRDW_SCHEDULE_INTERVAL=10m), for containers configured by environment. Values are read
    as TOML when they parse (numbers, true/false), else as text. Secrets are not taken this
    way: name their variable with password_env / secret_env."""
    found: dict[str, dict[str, Any]] = {}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or name == CONFIG_ENV:
            continue
        table, _, key = name[len(ENV_PREFIX) :].lower().partition("_")
        cls = TABLES.get(table)
        if cls is None:
            continue  # e.g. AYRDW_WEBHOOK_SECRET, read through secret_env
        spec = {(f.metadata.get("key") or f.name): f for f in fields(cls)}.get(key)
        if spec is None:
            raise ConfigError(f"environment {name}: no key {table}.{key}")
        if not spec.repr:  # a secret
            continue
        try:
            value: Any = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        found.setdefault(table, {})[key] = value
    return found


def load_config(
    file: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None, require_secrets: bool = True
) -> Config:
    """Read the config file (or $AYRDW_CONFIG, or none: all defaults), then AYRDW_* overrides.
    ``require_secrets=False`` (read-only commands): a secret's variable may be unset."""
    env = dict(os.environ) if env is None else env
    if file is None:
        file = env.get(CONFIG_ENV) or None
    overrides = env_overrides(env)
    if file is None:
        return config_from_dict(overrides, base=Path(), env=env, require_secrets=require_secrets)
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
    except RecursionError:
        raise ConfigError(f"config: {source}: not valid TOML (nested too deeply)") from None
    for table, values in overrides.items():
        if not isinstance(data.setdefault(table, {}), dict):
            raise ConfigError(f"config {source}: {table} must be a table ([{table}])")
        data[table].update(values)
    return config_from_dict(data, base=source.parent, source=source, env=env, require_secrets=require_secrets)


def config_from_dict(
    data: dict[str, Any],
    base: Path = Path(),
    source: Path | None = None,
    env: dict[str, str] | None = None,
    require_secrets: bool = True,
) -> Config:
    where = f"config {source}" if source else "config"
    env = dict(os.environ) if env is None else env
    tables: dict[str, Any] = {}
    for name, value in data.items():
        if name in LISTS:
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise ConfigError(f"{where}: {name} must be an array of tables ([[{name}]])")
            role = "alert" if name == "alerts" else "watcher"
            tables[name] = tuple(
                _watcher(v, f"{name}[{i + 1}]", role, env, where, require_secrets) for i, v in enumerate(value)
            )
            continue
        if name not in TABLES:
            known = ", ".join([*TABLES, *(f"[{n}]" for n in LISTS)])
            raise ConfigError(f"{where}: unknown table [{name}] (known: {known})")
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: {name} must be a table ([{name}])")
        tables[name] = _table(TABLES[name], name, value, base, where)
    config = Config(**tables, selectors=_profile(tables.get("site"), where), source=source)
    return _with_smtp_password(config, env, where, require_secrets)


def _profile(site: SiteConfig | None, where: str) -> Selectors:
    """The site profile's selectors, read and checked with the config: a bad profile is a
    config error at start, and no poll reads the file again."""
    if site is None or site.profile is None:
        return Selectors()
    try:
        return load_profile(site.profile)
    except ProfileError as exc:
        raise ConfigError(f"{where}: site.profile: {exc}") from None


def _watcher(
    values: dict[str, Any], name: str, role: str, env: dict[str, str], where: str, require_secrets: bool = True
) -> WatcherConfig:
    """One [[watchers]] / [[alerts]] entry, checked now so a bad one fails at start, not mid-poll."""
    kind = values.get("kind")
    allowed = {
        "webhook": {"kind", "url", "secret", "secret_env", "events", "name"},
        "email": {"kind", "to", "events", "name"},
    }
    if kind not in allowed:
        raise ConfigError(f'{where}: {name}.kind: expected "webhook" or "email", got {kind!r}')
    for key in values:
        if key not in allowed[kind]:
            raise ConfigError(f"{where}: unknown key {name}.{key} for a {kind} watcher")
    parsers = {"url": http_url, "secret": secret_text, "secret_env": env_name, "events": event_kinds, "name": text}
    parsers["to"] = email_list
    parsed: dict[str, Any] = {}
    for key, value in values.items():
        if key == "kind":
            continue
        try:
            parsed[key] = parsers[key](value)
        except ValueError as exc:
            raise ConfigError(f"{where}: {name}.{key}: {exc}") from None
    if kind == "webhook" and "url" not in parsed:
        raise ConfigError(f"{where}: {name}.url: a webhook watcher needs a url")
    if kind == "email" and "to" not in parsed:
        raise ConfigError(f"{where}: {name}.to: an email watcher needs at least one address")
    secret_env = parsed.pop("secret_env", None)
    if secret_env:
        if "secret" in parsed:
            raise ConfigError(f"{where}: {name}: give secret or secret_env, not both")
        if env.get(secret_env):
            parsed["secret"] = env[secret_env]
        elif require_secrets:
            raise ConfigError(f"{where}: {name}.secret_env: environment variable {secret_env} is not set")
    return WatcherConfig(kind=kind, role=role, **parsed)


def _with_smtp_password(config: Config, env: dict[str, str], where: str, require_secrets: bool = True) -> Config:
    smtp = config.smtp
    uses_email = any(w.kind == "email" for w in (*config.watchers, *config.alerts))
    if uses_email and not smtp.host:
        raise ConfigError(f"{where}: smtp.host: email watchers need an [smtp] host")
    if smtp.ssl and smtp.starttls:
        raise ConfigError(f"{where}: smtp: ssl and starttls exclude each other (ssl for port 465)")
    if smtp.password_env:
        if smtp.password:
            raise ConfigError(f"{where}: smtp: give password or password_env, not both")
        if env.get(smtp.password_env):
            config = replace(config, smtp=replace(smtp, password=env[smtp.password_env]))
        elif require_secrets:
            raise ConfigError(f"{where}: smtp.password_env: environment variable {smtp.password_env} is not set")
    return config


LOOPBACK = ("localhost", "127.0.0.1", "::1")


def config_warnings(config: Config) -> list[str]:
    """What is allowed but unwise: one line each, logged when a command that sends starts."""
    smtp, warnings = config.smtp, []
    if smtp.password and smtp.host and not (smtp.ssl or smtp.starttls) and smtp.host not in LOOPBACK:
        warnings.append(
            f"smtp: the password goes to {smtp.host} without TLS; set starttls = true (or ssl = true for port 465)"
        )
    return warnings


def _table(cls: type, name: str, values: dict[str, Any], base: Path, where: str) -> Any:
    known = {(f.metadata.get("key") or f.name): f for f in fields(cls)}
    parsed = {}
    for key, value in values.items():
        spec = known.get(key)
        if spec is None:
            raise ConfigError(f"{where}: unknown key {name}.{key} (known: {', '.join(known)})")
        try:
            result = spec.metadata["parse"](value)
        except ValueError as exc:
            raise ConfigError(f"{where}: {name}.{key}: {exc}") from None
        except RecursionError:
            raise ConfigError(f"{where}: {name}.{key}: nested too deeply") from None
        if (name, key) in _PATH_KEYS and not result.is_absolute():
            result = base / result
        parsed[spec.name] = result
    return cls(**parsed)
