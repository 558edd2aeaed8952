"""The config's arrays of tables: the watches ([[watch]], or the one [site] makes) and the
recipients ([[watchers]], [[alerts]]). Each entry is checked when the config loads, so a bad
one fails at start, not mid-poll, with one line naming its key."""

from __future__ import annotations

from typing import Any

from crawler.profile import ProfileError, Selectors, load_profile
from domain.values import (
    duration,
    event_kinds,
    header_text,
    http_url,
    path,
    positive_duration,
    text,
    watch_name,
)
from domain.watch import DEFAULT, Watch
from notify.base import CHANNELS, ChannelError, Watcher, channel


class EntryError(Exception):
    """One line: the key of an entry and what is wrong with it."""


WATCH_KEYS = {
    "name": watch_name,
    "url": http_url,
    "section": text,
    "list_url": http_url,
    "profile": path,
    "interval": positive_duration,
    "recheck": duration,
    "full_walk": duration,
    "subject_prefix": header_text,
}


def watch_from_entry(values: dict[str, Any], entry: str, base: Any, where: str) -> Watch:
    """One [[watch]]: name, url and section are required."""
    for key in values:
        if key not in WATCH_KEYS:
            raise EntryError(f"{where}: unknown key {entry}.{key} (known: {', '.join(WATCH_KEYS)})")
    parsed: dict[str, Any] = {}
    for key, value in values.items():
        try:
            parsed[key] = WATCH_KEYS[key](value)
        except ValueError as exc:
            raise EntryError(f"{where}: {entry}.{key}: {exc}") from None
    for key in ("name", "url", "section"):
        if key not in parsed:
            raise EntryError(f"{where}: {entry}.{key}: a watch needs a {key}")
    if parsed.get("profile") is not None and not parsed["profile"].is_absolute():
        parsed["profile"] = base / parsed["profile"]
    return Watch(**parsed, selectors=_profile(parsed.get("profile"), f"{entry}.profile", where))


def watch_from_site(site: Any, where: str) -> Watch:
    """A config with [site] and no [[watch]] watches one section: the watch named "default"."""
    return Watch(
        DEFAULT, site.url, site.section, site.list_url, site.profile,
        selectors=_profile(site.profile, "site.profile", where),
    )  # fmt: skip


def _profile(file: Any, key: str, where: str) -> Selectors:
    """The site profile's selectors, read and checked with the config: a bad profile is a
    config error at start, and no poll reads the file again."""
    if file is None:
        return Selectors()
    try:
        return load_profile(file)
    except ProfileError as exc:
        raise EntryError(f"{where}: {key}: {exc}") from None


COMMON_WATCHER_KEYS = frozenset({"kind", "name", "events", "watches"})


def watcher_from_entry(
    values: dict[str, Any],
    entry: str,
    role: str,
    env: dict[str, str],
    where: str,
    require_secrets: bool = True,
) -> Watcher:
    """One [[watchers]] / [[alerts]] entry. The common keys are read here; the rest belong to the
    channel of its kind."""
    kind = values.get("kind")
    if kind not in CHANNELS:
        kinds = " or ".join(f'"{k}"' for k in CHANNELS)
        raise EntryError(f"{where}: {entry}.kind: expected {kinds}, got {kind!r}")
    module = channel(kind)
    for key in values:
        if key not in COMMON_WATCHER_KEYS | module.KEYS:
            raise EntryError(f"{where}: unknown key {entry}.{key} for a {kind} watcher")
    common: dict[str, Any] = {}
    for key, parse in (("events", event_kinds), ("name", text), ("watches", watch_names)):
        if key in values:
            try:
                common[key] = parse(values[key])
            except ValueError as exc:
                raise EntryError(f"{where}: {entry}.{key}: {exc}") from None
    try:
        own = module.settings({k: v for k, v in values.items() if k in module.KEYS}, env, require_secrets)
    except ChannelError as exc:
        raise EntryError(f"{where}: {exc.where(entry)}: {exc}") from None
    return Watcher(kind=kind, settings=own, role=role, **common)


def watch_names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a list of watch names, got {value!r}")
    return tuple(watch_name(v) for v in value)


def check_watches(watches: tuple[Watch, ...], recipients: tuple[Watcher, ...], where: str) -> None:
    """Names are unique, and every name a recipient lists is a watch."""
    names = [w.name for w in watches]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise EntryError(f"{where}: watch names must be unique: {', '.join(twice)} given more than once")
    for recipient in recipients:
        unknown = [n for n in recipient.watches or () if n not in names]
        if unknown:
            who, known = recipient.name or recipient.label, ", ".join(names)
            raise EntryError(f"{where}: {who}: watches: no watch named {', '.join(unknown)} (watches: {known})")
