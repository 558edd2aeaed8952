"""The channel plug-in point: what a channel module provides, what a notifier returns, and
the registry of kinds.

A channel is one module (notify/webhook.py, notify/email.py). It owns:

- ``KIND`` (the ``kind =`` of its [[watchers]] entries) and ``KEYS`` (its keys there, beside
  ``kind``, ``name`` and ``events``), read by ``settings(values, env, require_secrets)``
  into a frozen dataclass whose ``target`` says where it sends (the watcher's id derives
  from it) and whose ``label`` names it in logs and `outbox` (never a secret);
- optionally ``TABLE = (name, dataclass)``: a config table of its own (email: [smtp]),
  ``finish_table(table, env, require_secrets)`` for its secrets, and ``check(config)`` for
  rules across tables; ``warnings(config)`` for what is allowed but unwise;
- ``notifier(watcher, config)``: the object that sends.

Adding a channel is one module and one line in ``CHANNELS``. A notifier gets a batch of
due deliveries for one watcher and yields, as soon as the receiver has answered each
message it sent (one delivery, or several in a digest), the delivery ids and an error or
None. It never touches the archive: the delivery pass records each result before the next
message goes out, so a crash resends at most the one message in flight.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

from storage.outbox import Due

CHANNELS = {  # kind -> module
    "webhook": "notify.webhook",
    "email": "notify.email",
    "dingtalk": "notify.dingtalk",
    "wecom": "notify.wecom",
    "feishu": "notify.feishu",
    "apprise": "notify.apprise_urls",
}


def channel(kind: str) -> ModuleType:
    """The module of a channel kind (imported when first needed)."""
    return importlib.import_module(CHANNELS[kind])


class ChannelError(ValueError):
    """A channel's key with a bad or missing value. ``table``: a key of the channel's own config
    table (e.g. smtp.host) rather than of the watcher entry."""

    def __init__(self, message: str, key: str | None = None, table: str | None = None) -> None:
        super().__init__(message)
        self.key, self.table = key, table

    def where(self, entry: str) -> str:
        """The key's full name: "watchers[2].url", "smtp.host", "watchers[1]"."""
        base = self.table or entry
        return f"{base}.{self.key}" if self.key else base


@dataclass(frozen=True)
class Watcher:
    """One recipient of events (or, with role "alert", of operator alerts)."""

    kind: str
    settings: Any = field(repr=False)  # the channel's own settings (with its secrets)
    events: tuple[str, ...] | None = None  # None: [notify] events
    name: str | None = None
    role: str = "watcher"  # or "alert": an operator hearing about trouble
    watches: tuple[str, ...] | None = None  # None: every watch

    @property
    def id(self) -> str:
        """Stable across restarts: the kind and where it sends (not the secret)."""
        import hashlib  # OpenSSL's loader: only when an id is asked for

        digest = hashlib.sha256(f"{self.role}|{self.kind}|{self.settings.target}".encode()).hexdigest()[:12]
        return f"{self.kind}-{digest}"

    @property
    def label(self) -> str:
        """For logs and `outbox`: its name, or what its channel may show."""
        return self.name or self.settings.label


@dataclass(frozen=True)
class SendResult:
    delivery_ids: tuple[str, ...]
    error: str | None = None  # None: delivered

    @property
    def ok(self) -> bool:
        return self.error is None


class Notifier(Protocol):
    label: str

    def send(self, batch: list[Due]) -> Iterator[SendResult]: ...

    def ping(self, message: str, occurred_at: str) -> None:
        """Send a test message; raise NotifyError with a one-line reason on failure."""
        ...


class NotifyError(Exception):
    """A send that failed: ``str(err)`` is one line, with no secret in it. ``unreachable``:
    the receiver did not answer at all (the rest of a batch would wait for the same timeout)."""

    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def read_keys(values: Mapping[str, Any], parsers: Mapping[str, Callable[[Any], Any]]) -> dict[str, Any]:
    """A channel's keys of an entry, each through its parser (domain.values); the first bad one
    is a ChannelError naming it."""
    parsed = {}
    for key, parse in parsers.items():
        if key in values:
            try:
                parsed[key] = parse(values[key])
            except ValueError as exc:
                raise ChannelError(str(exc), key) from None
    return parsed


def read_secret(
    parsed: Mapping[str, Any], key: str, env: Mapping[str, str], require: bool, table: str | None = None
) -> str | None:
    """A secret given as ``key`` or, better, named by ``key_env`` (the variable holding it).
    Unset variable: an error when the command sends (``require``), else None."""
    variable = parsed.get(f"{key}_env")
    if variable is None:
        return parsed.get(key)
    if parsed.get(key) is not None:
        raise ChannelError(f"give {key} or {key}_env, not both", table=table)
    if env.get(variable):
        return env[variable]
    if require:
        raise ChannelError(f"environment variable {variable} is not set", f"{key}_env", table)
    return None


def value_or_env(
    parsed: Mapping[str, Any], key: str, env: Mapping[str, str], require: bool,
    parse: Callable[[Any], Any], what: str, unset: Any,
) -> Any:  # fmt: skip
    """A secret value (a robot's URL, Apprise URLs) given as ``key`` or named by ``key_env``, the
    variable's text read by ``parse``. Unset variable: an error when the command sends
    (``require``), else ``unset`` (read-only commands need no secret)."""
    variable = parsed.get(f"{key}_env")
    if variable is None:
        return parsed.get(key)
    if key in parsed:
        raise ChannelError(f"give {key} or {key}_env, not both", key)
    if not env.get(variable):
        if require:
            raise ChannelError(f"environment variable {variable} is not set", f"{key}_env")
        return unset
    try:
        return parse(env[variable])
    except ValueError:
        raise ChannelError(f"environment variable {variable} does not hold {what}", f"{key}_env") from None


def notifier_for(watcher: Watcher, config: Any) -> Notifier:
    """The notifier of a watcher's kind, built from the config."""
    return channel(watcher.kind).notifier(watcher, config)
