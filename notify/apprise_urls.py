"""Every other service, through Apprise: ``kind = "apprise"``.

Keys: ``urls`` -- a list of Apprise URLs (``tgram://…``, ``slack://…``, ``bark://…``,
``schan://…``, ``pushplus://…``, ``ntfy://…``, ``json://…``; see the Apprise wiki), or
``urls_env`` -- a variable holding them, separated by spaces or commas. The URLs carry
tokens: they are secrets, never shown (the label names only their schemes). Each event is
one message (title and markdown body, marks ``[-删去-]{+新增+}``); Apprise never digests.
A send Apprise reports as failed for any URL is a failed attempt, retried like any other.

Apprise is the optional extra ``[apprise]`` (in the test extra and the Docker image),
imported only when such a watcher exists.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from domain.events import Notice
from domain.values import env_name
from notify import markdown
from notify.base import ChannelError, NotifyError, SendResult, Watcher, read_keys, value_or_env
from storage.outbox import Due

KIND = "apprise"
KEYS = frozenset({"urls", "urls_env"})
INSTALL = "pip install 'ayrdw-watch[apprise]'"
UNSET = ("unset://",)  # urls_env's variable unset, for a command that sends nothing


def _url_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = re.split(r"[\s,]+", value.strip())
    if not isinstance(value, list | tuple) or not value or not all(isinstance(u, str) and u.strip() for u in value):
        raise ValueError('expected a list of Apprise URLs, e.g. ["tgram://bottoken/ChatID"]')
    return tuple(u.strip() for u in value)


@dataclass(frozen=True)
class AppriseSettings:
    urls: tuple[str, ...] = field(repr=False)  # secrets

    @property
    def target(self) -> str:
        return "\n".join(sorted(self.urls))

    @property
    def label(self) -> str:
        schemes = sorted({urlsplit(u).scheme or "?" for u in self.urls})
        return "apprise " + ", ".join(schemes)


def settings(values: Mapping[str, Any], env: Mapping[str, str], require_secrets: bool) -> AppriseSettings:
    parsed = read_keys(values, {"urls": _url_list, "urls_env": env_name})
    urls = value_or_env(parsed, "urls", env, require_secrets, _url_list, "an Apprise URL", UNSET)
    if urls is None:
        raise ChannelError("an apprise watcher needs urls (or urls_env)", "urls")
    if urls == UNSET:  # a read-only command: no secret needed
        return AppriseSettings(UNSET)
    parsed["urls"] = urls
    found = _apprise()
    if found is None:
        raise ChannelError(f'kind = "apprise" needs the Apprise library: {INSTALL}')
    for k, url in enumerate(parsed["urls"]):
        if found.Apprise.instantiate(url) is None:
            scheme = urlsplit(url).scheme or "?"
            raise ChannelError(f"URL {k + 1} (scheme {scheme}://) is not one Apprise understands", "urls")
    return AppriseSettings(parsed["urls"])


def _apprise() -> Any:
    """The library, its own logging kept out of ours: it writes whole URLs (tokens) into log
    lines. What a failed send says reaches us through ``log_callback``, scrubbed."""
    try:
        import apprise
    except ImportError:
        return None
    quiet = logging.getLogger("apprise")
    if quiet.propagate:
        quiet.propagate = False
        quiet.addHandler(logging.NullHandler())
        logging.getLogger("urllib3").setLevel(logging.WARNING)  # its debug lines name request paths
    return apprise


def warnings(config: Any) -> list[str]:
    return []


def notifier(watcher: Watcher, config: Any) -> AppriseNotifier:
    return AppriseNotifier(watcher.settings.urls, watcher.label, config.notify.timeout, config.notify.timezone)


@dataclass
class AppriseNotifier:
    urls: tuple[str, ...] = field(repr=False)
    label: str
    timeout: float = 15.0
    zone: str = "Asia/Shanghai"

    def send(self, batch: list[Due]) -> Iterator[SendResult]:
        for due in batch:  # never a digest
            try:
                self._notify(due.notice)
            except NotifyError as exc:
                yield SendResult((due.id,), str(exc))
                continue
            yield SendResult((due.id,))

    def ping(self, message: str, occurred_at: str) -> None:
        self._notify(Notice("ping", occurred_at, message=message))

    def _notify(self, notice: Notice) -> None:
        apprise = _apprise()
        if apprise is None:
            raise NotifyError(f"{self.label}: the Apprise library is not installed ({INSTALL})")
        sender = apprise.Apprise()
        for url in self.urls:
            sender.add(url)
        heard: list[str] = []
        result = sender.notify(
            body=markdown.message(notice, self.zone, markdown.Style()),
            title=markdown.title(notice),
            body_format=apprise.NotifyFormat.MARKDOWN,
            timeout=self.timeout,
            log_callback=lambda entry, _plugin: heard.append(str(entry)),
            log_level=logging.WARNING,
        )
        if not result:
            reason = next((line for line in reversed(heard) if "WARNING" in line or "ERROR" in line), "")
            raise NotifyError(f"{self.label}: Apprise reports the send failed{self._scrubbed(reason)}")

    def _scrubbed(self, line: str) -> str:
        """Apprise's own words, with every part of our URLs that could be a token taken out."""
        text = line.split(" - ", 2)[-1].strip() if line else ""
        for url in self.urls:
            parts = urlsplit(url)
            pieces = [url, parts.netloc, *parts.path.split("/"), *re.split(r"[&=]", parts.query)]
            for piece in sorted((p for p in pieces if len(p) >= 6), key=len, reverse=True):
                text = text.replace(piece, "…")
        text = re.sub(r"\S+://\S+", "…", text)
        return f" ({text[:200]})" if text else ""
