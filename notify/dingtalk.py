"""DingTalk (钉钉) custom robot: ``kind = "dingtalk"``.

Keys: ``url`` (or ``url_env``) -- the robot's webhook address with its ``access_token``;
``secret`` (or ``secret_env``) -- the robot's 加签 secret, optional. Signing adds
``timestamp`` (milliseconds since the epoch) and ``sign`` = URL-encoded base64 of
HMAC-SHA256(key = secret, message = "{timestamp}\\n{secret}") to the query string.
The message is ``markdown`` (``title`` and ``text``), marks written ``[-删去-]{+新增+}``.
Delivered when the answer is HTTP 200 with ``errcode`` 0; 20 messages a minute
(errcode 130101 beyond).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

from domain.events import Notice
from notify import markdown, robot
from notify.base import Watcher
from notify.robot import RobotNotifier, RobotSettings

KIND = "dingtalk"
KEYS = robot.KEYS
MAX_BYTES = 18_000  # DingTalk refuses a body over 20,000 bytes; the JSON around the text takes the rest
STYLE = markdown.Style(max_bytes=MAX_BYTES)


def settings(values: Mapping[str, Any], env: Mapping[str, str], require_secrets: bool) -> RobotSettings:
    return robot.robot_settings(KIND, values, env, require_secrets)


def warnings(config: Any) -> list[str]:
    return []


def sign(url: str, body: dict[str, Any], secret: str, now: float) -> tuple[str, dict[str, Any]]:
    timestamp = str(int(now * 1000))
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp}&sign={quote_plus(base64.b64encode(digest))}", body


def one(notice: Notice, zone: str) -> dict[str, Any]:
    return _markdown(markdown.title(notice), markdown.message(notice, zone, STYLE))


def several(notices: list[Notice], zone: str) -> dict[str, Any]:
    return _markdown(f"{len(notices)} 条更新", markdown.digest(notices, zone, markdown.Style()))


def _markdown(title: str, text: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


def fits(body: dict[str, Any]) -> bool:
    return len(body["markdown"]["text"].encode("utf-8")) <= MAX_BYTES


ROBOT = robot.Robot(KIND, 20, one, several, fits, sign, robot.errcode_error)


def notifier(watcher: Watcher, config: Any) -> RobotNotifier:
    return robot.notifier(ROBOT, watcher, config)
