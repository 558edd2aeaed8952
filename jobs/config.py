"""The TOML config: every key has a default, so no file is needed.

Each table is a frozen dataclass; a field's ``metadata["parse"]`` turns the TOML
value into the Python one and raises ValueError with a short reason, which
``load_config`` turns into a one-line error naming the key. Adding a key is
adding a field.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from crawler.settings import FetchSettings
from domain.values import (
    EVENT_KINDS,
    boolean,
    duration,
    duration_or_auto,
    env_name,
    event_kinds,
    header_text,
    host_names,
    http_url,
    non_negative_int,
    path,
    port,
    positive_duration,
    positive_int,
    positive_number,
    proxy_url,
    secret_text,
    setting,
    size,
    text,
    time_zone,
)
from domain.watch import Watch
from jobs.entries import EntryError, check_watches, watch_from_entry, watch_from_site, watcher_from_entry
from jobs.errors import ConfigError
from jobs.version import PROJECT_URL, VERSION
from notify.base import CHANNELS, ChannelError, Watcher, channel

__all__ = ["VERSION", "Config", "ConfigError", "config_from_dict", "load_config"]

DEFAULT_USER_AGENT = f"ayrdw-watch/{VERSION} (+{PROJECT_URL})"
CONFIG_ENV = "AYRDW_CONFIG"
AUTO_FULL_WALK_MAX = 7 * 86400.0  # "auto" reads even a very long list at least weekly


# -- the tables ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SiteConfig:
    url: str = setting("http://www.ayrdw.gov.cn/", http_url)
    section: str = setting("监督工作", text)
    list_url: str | None = setting(None, http_url)
    profile: Path | None = setting(None, path)


@dataclass(frozen=True)
class CrawlConfig:
    delay: float = setting(1.0, duration)
    timeout: float = setting(20.0, positive_duration)
    max_bytes: int = setting(5_000_000, size)
    max_list_pages: int = setting(200, positive_int)
    user_agent: str = setting(DEFAULT_USER_AGENT, text)
    proxy: str | None = setting(None, proxy_url)
    verify_tls: bool = setting(True, boolean)
    retries: int = setting(2, non_negative_int)
    retry_backoff: float = setting(2.0, duration)
    max_retry_wait: float = setting(60.0, duration)  # the longest wait between attempts; a longer Retry-After fails
    recheck: float = setting(86400.0, duration)
    full_walk: float | None = setting(None, duration_or_auto)  # None ("auto"): by the list's length (below)
    recheck_by_age: bool = setting(True, boolean)  # false: release 0.1.0's policy, every report once per recheck
    requests_per_poll: float = setting(3.0, positive_number)  # re-checks and walks, on average (news aside)
    hosts_in_parallel: int = setting(8, positive_int)  # polls of watches on different hosts at once


@dataclass(frozen=True)
class StorageConfig:
    db: Path = setting(Path("ayrdw.db"), path)


@dataclass(frozen=True)
class ScheduleConfig:
    interval: float = setting(1800.0, positive_duration)
    deliver_interval: float = setting(60.0, positive_duration)  # the delivery pass between polls
    progress_every: float = setting(30.0, positive_duration)  # a progress log line while a poll runs


@dataclass(frozen=True)
class NotifyConfig:
    on_baseline: bool = setting(False, boolean)  # the first poll is silent by default
    events: tuple[str, ...] = setting(EVENT_KINDS, event_kinds)
    max_attempts: int = setting(10, positive_int)  # then the delivery is marked failed (shown by `outbox`)
    retry_backoff: float = setting(120.0, positive_duration)  # the second retry's wait, doubling
    max_retry_wait: float = setting(14400.0, positive_duration)  # the longest wait; dead letters are probed this often
    digest_over: int = setting(5, positive_int)  # more events than this for one email watcher: one digest
    timeout: float = setting(15.0, positive_duration)  # every send
    subject_prefix: str | None = setting(None, header_text)  # None: each watch's own, else "[<section>]"
    alert_after_failures: int = setting(3, positive_int)  # polls failed in a row before operators hear
    timezone: str = setting("Asia/Shanghai", time_zone)  # times in messages; payloads keep ISO 8601 with offset


@dataclass(frozen=True)
class EvidenceConfig:
    keep_raw: bool = setting(True, boolean)  # keep the response each version, removal and restore came from
    signing_key_env: str | None = setting(None, env_name)  # a variable holding an Ed25519 key: heads get signed
    attachment_hosts: frozenset[str] = setting(frozenset(), host_names)  # besides the site's, files come from
    max_attachment: int = setting(size("50MB"), size)  # a larger file is not kept (its entry says why)
    keep_attachments: bool | None = setting(None, boolean)  # None: as keep_raw; false: files hashed, bytes not kept

    @property
    def files_kept(self) -> bool:
        return self.keep_raw if self.keep_attachments is None else self.keep_attachments


@dataclass(frozen=True)
class WebConfig:
    """`serve` and `run --web`: where to listen, how links are written, who may read."""

    host: str = setting("127.0.0.1", text)
    port: int = setting(8080, port)
    base_url: str | None = setting(None, http_url)  # links in feeds; None: built from each request
    user: str | None = setting(None, text)  # basic auth over everything but /healthz
    password: str | None = setting(None, secret_text, secret=True)
    password_env: str | None = setting(None, env_name)


TABLES = {
    "site": SiteConfig,
    "crawl": CrawlConfig,
    "storage": StorageConfig,
    "schedule": ScheduleConfig,
    "notify": NotifyConfig,
    "web": WebConfig,
    "evidence": EvidenceConfig,
}  # and the tables channels bring (notify/*.py TABLE), e.g. [smtp]
LISTS = ("watch", "watchers", "alerts")
_PATH_KEYS = {("site", "profile"), ("storage", "db")}


@dataclass(frozen=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    web: WebConfig = field(default_factory=WebConfig)
    evidence: EvidenceConfig = field(default_factory=EvidenceConfig)
    tables: Mapping[str, Any] = field(default_factory=dict)  # the channels' own tables, by name ([smtp])
    watches: tuple[Watch, ...] = ()  # what is watched: [[watch]] entries, or the one [site] makes
    watchers: tuple[Watcher, ...] = ()
    alerts: tuple[Watcher, ...] = ()  # operators: told when the poll itself is in trouble
    source: Path | None = None  # the file it came from, if any
    signing_key: str | None = field(default=None, repr=False)  # [evidence] signing_key_env's key (a secret)

    def watch(self, name: str) -> Watch | None:
        return next((w for w in self.watches if w.name == name), None)

    def interval(self, watch: Watch) -> float:
        return watch.interval or self.schedule.interval

    def recheck(self, watch: Watch) -> float:
        return self.crawl.recheck if watch.recheck is None else watch.recheck

    def full_walk(self, watch: Watch, list_pages: int | None) -> float:
        """How often the whole list is read, in seconds (0: every poll). "auto": as often as reading
        it at one page every two polls allows, but at least every `recheck` and at most every
        AUTO_FULL_WALK_MAX (a week); a list of unknown length: every `recheck`."""
        given = watch.full_walk if watch.full_walk is not None else self.crawl.full_walk
        if given is not None:
            return given
        recheck = self.recheck(watch)
        if not recheck or not list_pages or not self.crawl.recheck_by_age:
            return recheck
        return min(max(2 * list_pages * self.interval(watch), recheck), max(AUTO_FULL_WALK_MAX, recheck))

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
        cls = all_tables().get(table)
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
    if "watch" in data and "site" in overrides:
        variables = ", ".join(sorted(n for n in env if n.startswith(f"{ENV_PREFIX}SITE_")))
        raise ConfigError(f"config {source}: {variables} sets [site], which [[watch]] entries replace: unset it")
    for table, values in overrides.items():
        if not isinstance(data.setdefault(table, {}), dict):
            raise ConfigError(f"config {source}: {table} must be a table ([{table}])")
        data[table].update(values)
    return config_from_dict(data, base=source.parent, source=source, env=env, require_secrets=require_secrets)


def all_tables() -> dict[str, type]:
    """The config's tables and those the channels bring."""
    return {**TABLES, **{spec[0]: spec[1] for spec in _channel_tables()}}


def _channel_tables() -> list[tuple[str, type, Any]]:
    """(table name, dataclass, channel module) of every channel with a table of its own."""
    found = []
    for kind in CHANNELS:
        module = channel(kind)
        if getattr(module, "TABLE", None):
            found.append((*module.TABLE, module))
    return found


def config_from_dict(
    data: dict[str, Any],
    base: Path = Path(),
    source: Path | None = None,
    env: dict[str, str] | None = None,
    require_secrets: bool = True,
) -> Config:
    where = f"config {source}" if source else "config"
    env = dict(os.environ) if env is None else env
    try:
        return _config(data, base, source, env, require_secrets, where)
    except EntryError as exc:
        raise ConfigError(str(exc)) from None


def _config(
    data: dict[str, Any], base: Path, source: Path | None, env: dict[str, str], require_secrets: bool, where: str
) -> Config:
    tables: dict[str, Any] = {}
    known = all_tables()
    watch_entries: list[dict[str, Any]] | None = None
    for name, value in data.items():
        if name in LISTS:
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise ConfigError(f"{where}: {name} must be an array of tables ([[{name}]])")
            if name == "watch":
                watch_entries = value
                continue
            role = "alert" if name == "alerts" else "watcher"
            tables[name] = tuple(
                watcher_from_entry(v, f"{name}[{i + 1}]", role, env, where, require_secrets)
                for i, v in enumerate(value)
            )
            continue
        if name not in known:
            names = ", ".join([*known, *(f"[{n}]" for n in LISTS)])
            raise ConfigError(f"{where}: unknown table [{name}] (known: {names})")
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: {name} must be a table ([{name}])")
        tables[name] = _table(known[name], name, value, base, where)
    if watch_entries is not None:
        if "site" in data:
            raise ConfigError(f"{where}: [site] and [[watch]] exclude each other: make [site] a [[watch]] with a name")
        watches = tuple(watch_from_entry(v, f"watch[{i + 1}]", base, where) for i, v in enumerate(watch_entries))
    else:
        watches = (watch_from_site(tables.get("site") or SiteConfig(), where),)
    notify = tables.get("notify") or NotifyConfig()
    watches = tuple(
        replace(w, subject_prefix=w.subject_prefix or notify.subject_prefix or f"[{w.section}]") for w in watches
    )
    check_watches(watches, (*tables.get("watchers", ()), *tables.get("alerts", ())), where)
    own = {}
    for name, cls, module in _channel_tables():
        try:
            own[name] = module.finish_table(tables.pop(name, None) or cls(), env, require_secrets)
        except ChannelError as exc:
            raise ConfigError(f"{where}: {exc.where(name)}: {exc}") from None
    signing_key = _signing_key(tables.get("evidence") or EvidenceConfig(), env, require_secrets, where)
    config = Config(**tables, tables=own, watches=watches, source=source, signing_key=signing_key)
    for kind in CHANNELS:
        check = getattr(channel(kind), "check", None)
        try:
            if check is not None:
                check(config)
        except ChannelError as exc:
            raise ConfigError(f"{where}: {exc.where(kind)}: {exc}") from None
    return config


def _signing_key(evidence: EvidenceConfig, env: dict[str, str], require: bool, where: str) -> str | None:
    """The Ed25519 key [evidence] signing_key_env names, checked (a command that polls needs it)."""
    variable = evidence.signing_key_env
    if not variable:
        return None
    text = env.get(variable)
    if not text:
        if require:
            raise ConfigError(f"{where}: evidence.signing_key_env: environment variable {variable} is not set")
        return None
    from domain.signing import SigningKeyError, private_key

    try:
        private_key(text)
    except SigningKeyError as exc:
        raise ConfigError(f"{where}: evidence.signing_key_env: {exc}") from None
    return text


def config_warnings(config: Config) -> list[str]:
    """What is allowed but unwise: one line each, logged when a command that sends starts."""
    return [line for kind in CHANNELS for line in channel(kind).warnings(config)]


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
