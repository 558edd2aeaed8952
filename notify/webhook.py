"""Webhook: POST the event's JSON body, signed with HMAC-SHA256 when a secret is set.

Headers: X-Ayrdw-Event (report.new ...), X-Ayrdw-Delivery (one id per event and
watcher, the same on every retry, so receivers can drop a copy) and, with a secret,
X-Ayrdw-Timestamp (unix seconds of this attempt) with
X-Ayrdw-Signature-256: t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<delivery id>.<body>">,
which a receiver checks against a tolerance so a captured request cannot be replayed
later, and the older X-Ayrdw-Signature: sha256=<hex HMAC of the raw body>. A 2xx answer
delivers. The body is byte-identical on every retry; the timestamp and signature are new.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from domain.values import env_name, http_url, secret_text
from notify.base import ChannelError, NotifyError, SendResult, Watcher, read_keys, read_secret
from storage.outbox import Due

if TYPE_CHECKING:
    import httpx

KIND = "webhook"
KEYS = frozenset({"url", "secret", "secret_env"})


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    secret: str | None = field(default=None, repr=False)

    @property
    def target(self) -> str:
        return self.url

    @property
    def label(self) -> str:
        """No URL path or query: webhook paths often carry tokens."""
        parts = urlsplit(self.url)
        return f"webhook {parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}/…"


def settings(values: Mapping[str, Any], env: Mapping[str, str], require_secrets: bool) -> WebhookSettings:
    parsed = read_keys(values, {"url": http_url, "secret": secret_text, "secret_env": env_name})
    if "url" not in parsed:
        raise ChannelError("a webhook watcher needs a url", "url")
    return WebhookSettings(parsed["url"], read_secret(parsed, "secret", env, require_secrets))


def warnings(config: Any) -> list[str]:
    return []


def notifier(watcher: Watcher, config: Any) -> WebhookNotifier:
    return WebhookNotifier(
        watcher.settings.url, watcher.label, watcher.settings.secret, config.notify.timeout, config.crawl.user_agent
    )


def signature(secret: str, body: bytes) -> str:
    """X-Ayrdw-Signature: the body alone (kept for receivers written before the timestamp)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_256(secret: str, timestamp: int, delivery_id: str, body: bytes) -> str:
    """X-Ayrdw-Signature-256: the attempt's time and the delivery id signed with the body."""
    message = f"{timestamp}.{delivery_id}.".encode() + body
    return f"t={timestamp},v1=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


@dataclass
class WebhookNotifier:
    url: str
    label: str
    secret: str | None = field(default=None, repr=False)
    timeout: float = 15.0
    user_agent: str = "ayrdw-watch"

    def send(self, batch: list[Due]) -> Iterator[SendResult]:
        with self._client() as client:
            for i, due in enumerate(batch):
                try:
                    self._post(client, due.payload.encode("utf-8"), due.kind, due.id)
                except NotifyError as exc:
                    yield SendResult((due.id,), str(exc))
                    if exc.unreachable:  # the rest would only wait for the same timeout
                        for rest in batch[i + 1 :]:
                            yield SendResult((rest.id,), str(exc))
                        return
                    continue
                yield SendResult((due.id,))

    def ping(self, message: str, occurred_at: str) -> None:
        body = json.dumps({"event": "ping", "message": message, "occurred_at": occurred_at}, ensure_ascii=False)
        with self._client() as client:
            self._post(client, body.encode("utf-8"), "ping", "ping-" + uuid.uuid4().hex)

    def _client(self) -> httpx.Client:
        import httpx  # the HTTP client: only when something is sent

        from domain.tls import tls_context

        # The process's one TLS context (domain.tls): a new one per pass costs CPU and memory.
        return httpx.Client(timeout=self.timeout, headers={"User-Agent": self.user_agent}, verify=tls_context(True))

    def _post(self, client: httpx.Client, body: bytes, event: str, delivery_id: str) -> None:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Ayrdw-Event": event,
            "X-Ayrdw-Delivery": delivery_id,
        }
        if self.secret:
            timestamp = int(time.time())
            headers["X-Ayrdw-Timestamp"] = str(timestamp)
            headers["X-Ayrdw-Signature-256"] = signature_256(self.secret, timestamp, delivery_id, body)
            headers["X-Ayrdw-Signature"] = signature(self.secret, body)
        import httpx

        try:
            response = client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise NotifyError(f"{self.label}: unreachable (timed out after {self.timeout:g}s)", True) from None
        except httpx.TransportError as exc:
            raise NotifyError(f"{self.label}: unreachable ({type(exc).__name__})", True) from None
        if not 200 <= response.status_code < 300:
            raise NotifyError(f"{self.label}: HTTP {response.status_code}")
