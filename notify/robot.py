"""What the chat robots (DingTalk, WeCom, Feishu) share: their keys, the POST, the rate limit.

Each robot is a channel module of its own (notify/dingtalk.py, wecom.py, feishu.py) that
describes itself as a ``Robot``: how to dress one event and a digest, how to sign a request,
and how to read the answer (HTTP 200 is not enough: the JSON says ``errcode`` / ``code``).
This module sends for all of them:

- the robot's URL carries its token, so the whole URL is a secret (``url`` or ``url_env``):
  the label names only the kind and the host, errors never quote it, the watcher id is a hash;
- the vendors allow about 20 messages a minute per robot: a pass that has more events than
  ``[notify] digest_over``, or more than the minute has room for, sends a digest instead (split
  into as few messages as the size limit allows); when the minute is full it waits for room.
  The count is kept by the process (the service keeps its notifiers between passes); two
  processes sending to one robot within a minute may still be refused, and a refused message
  is a failed attempt, retried like any other.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from domain.events import Notice
from domain.values import env_name, http_url, secret_text
from notify.base import ChannelError, NotifyError, SendResult, read_keys, read_secret, value_or_env
from storage.outbox import Due

if TYPE_CHECKING:
    import httpx

KEYS = frozenset({"url", "url_env", "secret", "secret_env"})
WINDOW = 60.0  # the vendors count messages per minute


@dataclass(frozen=True)
class RobotSettings:
    kind: str
    url: str = field(repr=False)  # holds the robot's token: a secret
    secret: str | None = field(default=None, repr=False)

    @property
    def target(self) -> str:
        return self.url  # hashed into the watcher id, never shown

    @property
    def label(self) -> str:
        return f"{self.kind} {urlsplit(self.url).hostname or '?'}"


def robot_settings(
    kind: str, values: Mapping[str, Any], env: Mapping[str, str], require_secrets: bool, signed: bool = True
) -> RobotSettings:
    parsers: dict[str, Callable[[Any], Any]] = {"url": http_url, "url_env": env_name}
    if signed:
        parsers |= {"secret": secret_text, "secret_env": env_name}
    elif {"secret", "secret_env"} & set(values):
        raise ChannelError(f"a {kind} robot is not signed: drop secret / secret_env (the URL's key is the secret)")
    parsed = read_keys(values, parsers)
    url = value_or_env(parsed, "url", env, require_secrets, http_url, "an http(s) URL", f"https://{kind}.invalid/")
    if url is None:
        raise ChannelError(f"a {kind} watcher needs url (or url_env): the robot's webhook address", "url")
    return RobotSettings(kind, url, read_secret(parsed, "secret", env, require_secrets) if signed else None)


@dataclass(frozen=True)
class Robot:
    """What one vendor's robot needs: its bodies, its signature, its answers."""

    kind: str
    per_minute: int
    one: Callable[[Notice, str], dict[str, Any]]  # (notice, zone) -> JSON body
    several: Callable[[list[Notice], str], dict[str, Any]]  # a digest
    fits: Callable[[dict[str, Any]], bool]  # within the vendor's size limit
    sign: Callable[[str, dict[str, Any], str, float], tuple[str, dict[str, Any]]]  # url, body, secret, now
    error: Callable[[Mapping[str, Any]], str | None]  # the answer's error, None: delivered
    min_interval: float = 0.0  # seconds between two messages (Feishu: 5 a second)


@dataclass
class RobotNotifier:
    robot: Robot
    url: str = field(repr=False)
    label: str
    secret: str | None = field(default=None, repr=False)
    timeout: float = 15.0
    user_agent: str = "ayrdw-watch"
    digest_over: int = 5
    zone: str = "Asia/Shanghai"
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    sent_at: deque[float] = field(default_factory=deque)  # when this process sent its last messages

    # -- what goes out -------------------------------------------------------------------------------
    def send(self, batch: list[Due]) -> Iterator[SendResult]:
        if not batch:
            return
        if len(batch) > self.digest_over or len(batch) > self._room():
            messages = [(tuple(d.id for d in part), self.robot.several([d.notice for d in part], self.zone))
                        for part in self._parts(batch)]  # fmt: skip
        else:
            messages = [((d.id,), self.robot.one(d.notice, self.zone)) for d in batch]
        with self._client() as client:
            for i, (ids, body) in enumerate(messages):
                try:
                    self._post(client, body)
                except NotifyError as exc:
                    yield SendResult(ids, str(exc))
                    if exc.unreachable:
                        for rest, _ in messages[i + 1 :]:
                            yield SendResult(rest, str(exc))
                        return
                    continue
                yield SendResult(ids)

    def _parts(self, batch: list[Due]) -> list[list[Due]]:
        """The batch in as few digests as the size limit allows (halving until each fits)."""
        if len(batch) == 1 or self.robot.fits(self.robot.several([d.notice for d in batch], self.zone)):
            return [batch]
        half = len(batch) // 2
        return self._parts(batch[:half]) + self._parts(batch[half:])

    def ping(self, message: str, occurred_at: str) -> None:
        with self._client() as client:
            self._post(client, self.robot.one(Notice("ping", occurred_at, message=message), self.zone))

    # -- the minute's room -----------------------------------------------------------------------------
    def _room(self) -> int:
        now = self.clock()
        while self.sent_at and now - self.sent_at[0] >= WINDOW:
            self.sent_at.popleft()
        return self.robot.per_minute - len(self.sent_at)

    def _wait_for_room(self) -> None:
        while self._room() <= 0:
            self.sleep(max(0.05, WINDOW - (self.clock() - self.sent_at[0])))
        if self.sent_at and self.robot.min_interval:
            self.sleep(max(0.0, self.robot.min_interval - (self.clock() - self.sent_at[-1])))

    # -- the request -------------------------------------------------------------------------------------
    def _client(self) -> httpx.Client:
        import httpx

        from domain.tls import tls_context

        return httpx.Client(timeout=self.timeout, headers={"User-Agent": self.user_agent}, verify=tls_context(True))

    def _post(self, client: httpx.Client, body: dict[str, Any]) -> None:
        import httpx

        self._wait_for_room()
        url, body = (self.url, body) if not self.secret else self.robot.sign(self.url, body, self.secret, time.time())
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.sent_at.append(self.clock())
        try:
            response = client.post(url, content=data, headers={"Content-Type": "application/json; charset=utf-8"})
        except httpx.TimeoutException:
            raise NotifyError(f"{self.label}: unreachable (timed out after {self.timeout:g}s)", True) from None
        except httpx.TransportError as exc:
            raise NotifyError(f"{self.label}: unreachable ({type(exc).__name__})", True) from None
        if response.status_code != 200:
            raise NotifyError(f"{self.label}: HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise NotifyError(f"{self.label}: the answer is not JSON") from None
        error = self.robot.error(answer if isinstance(answer, dict) else {})
        if error:
            raise NotifyError(f"{self.label}: {error}")


def notifier(robot: Robot, watcher: Any, config: Any) -> RobotNotifier:
    settings: RobotSettings = watcher.settings
    notify = config.notify
    return RobotNotifier(
        robot, settings.url, watcher.label, settings.secret, notify.timeout, config.crawl.user_agent,
        notify.digest_over, notify.timezone,
    )  # fmt: skip


def errcode_error(answer: Mapping[str, Any]) -> str | None:
    """DingTalk and WeCom: ``{"errcode": 0, "errmsg": "ok"}`` is success."""
    code = answer.get("errcode")
    if code == 0:
        return None
    return f"errcode {code}: {str(answer.get('errmsg') or 'no errmsg')[:200]}"
