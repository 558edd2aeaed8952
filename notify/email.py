"""Email over SMTP, the channel's config: the [smtp] table and an email watcher's keys.
The sending is notify/smtp.py, loaded when a message goes out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from domain.values import (
    boolean,
    email_address,
    email_list,
    env_name,
    port,
    positive_duration,
    secret_text,
    setting,
    text,
)
from notify.base import ChannelError, Watcher, read_keys, read_secret

if TYPE_CHECKING:
    from notify.smtp import EmailNotifier

KIND = "email"
KEYS = frozenset({"to"})
LOOPBACK = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class SmtpConfig:
    """The [smtp] table: the mail server every email watcher sends through."""

    host: str | None = setting(None, text)
    port: int = setting(25, port)
    starttls: bool = setting(False, boolean)
    ssl: bool = setting(False, boolean)
    user: str | None = setting(None, text)
    password: str | None = setting(None, secret_text, secret=True)
    password_env: str | None = setting(None, env_name)
    sender: str = setting("ayrdw-watch <ayrdw-watch@localhost>", email_address, key="from")
    timeout: float = setting(30.0, positive_duration)


TABLE = ("smtp", SmtpConfig)


@dataclass(frozen=True)
class EmailSettings:
    to: tuple[str, ...]

    @property
    def target(self) -> str:
        return ",".join(sorted(a.lower() for a in self.to))

    @property
    def label(self) -> str:
        return "email " + ", ".join(self.to)


def settings(values: Mapping[str, Any], env: Mapping[str, str], require_secrets: bool) -> EmailSettings:
    parsed = read_keys(values, {"to": email_list})
    if "to" not in parsed:
        raise ChannelError("an email watcher needs at least one address", "to")
    return EmailSettings(parsed["to"])


def finish_table(smtp: SmtpConfig, env: Mapping[str, str], require_secrets: bool) -> SmtpConfig:
    """The password from the variable ``password_env`` names."""
    if smtp.password_env and smtp.password:
        raise ChannelError("give password or password_env, not both", table="smtp")
    if smtp.password_env:
        password = read_secret({"password_env": smtp.password_env}, "password", env, require_secrets, "smtp")
        return replace(smtp, password=password)
    return smtp


def _smtp(config: Any) -> SmtpConfig:
    return config.tables.get("smtp") or SmtpConfig()


def check(config: Any) -> None:
    smtp = _smtp(config)
    if any(w.kind == KIND for w in (*config.watchers, *config.alerts)) and not smtp.host:
        raise ChannelError("email watchers need an [smtp] host", "host", "smtp")
    if smtp.ssl and smtp.starttls:
        raise ChannelError("ssl and starttls exclude each other (ssl for port 465)", table="smtp")


def warnings(config: Any) -> list[str]:
    smtp = _smtp(config)
    if smtp.password and smtp.host and not (smtp.ssl or smtp.starttls) and smtp.host not in LOOPBACK:
        return [f"smtp: the password goes to {smtp.host} without TLS; set starttls = true (or ssl = true for port 465)"]
    return []


def notifier(watcher: Watcher, config: Any) -> EmailNotifier:
    from notify.smtp import EmailNotifier  # smtplib and the email package: only to send

    smtp = _smtp(config)
    notify = config.notify
    return EmailNotifier(
        to=watcher.settings.to,
        label=watcher.label,
        host=smtp.host or "",
        port=smtp.port,
        sender=smtp.sender,
        starttls=smtp.starttls,
        use_ssl=smtp.ssl,
        user=smtp.user,
        password=smtp.password,
        timeout=min(smtp.timeout, notify.timeout) if notify.timeout else smtp.timeout,
        digest_over=notify.digest_over,
        subject_prefix=notify.subject_prefix or config.watches[0].subject_prefix,
        prefixes={w.name: w.subject_prefix for w in config.watches},
        timezone=notify.timezone,
    )
