"""WeCom (企业微信) group robot: ``kind = "wecom"``.

Keys: ``url`` (or ``url_env``) -- the robot's webhook address with its ``key`` (the key is
the only credential: WeCom robots are not signed). The message is ``markdown`` with
``content`` of at most 4,096 UTF-8 bytes (a longer one is cut at a paragraph and ends with
the link to the report); marks are ``[-删去-]{+新增+}`` coloured ``warning`` / ``info``.
Delivered when ``errcode`` is 0; 20 messages a minute (errcode 45009 beyond).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.events import Notice
from notify import markdown, robot
from notify.base import Watcher
from notify.robot import RobotNotifier, RobotSettings

KIND = "wecom"
KEYS = frozenset({"url", "url_env"})
MAX_BYTES = 4096
STYLE = markdown.Style(colours=True, max_bytes=MAX_BYTES)


def settings(values: Mapping[str, Any], env: Mapping[str, str], require_secrets: bool) -> RobotSettings:
    return robot.robot_settings(KIND, values, env, require_secrets, signed=False)


def warnings(config: Any) -> list[str]:
    return []


def sign(url: str, body: dict[str, Any], secret: str, now: float) -> tuple[str, dict[str, Any]]:
    return url, body  # never called: no secret


def one(notice: Notice, zone: str) -> dict[str, Any]:
    return _markdown(markdown.message(notice, zone, STYLE))


def several(notices: list[Notice], zone: str) -> dict[str, Any]:
    return _markdown(markdown.digest(notices, zone, markdown.Style(colours=True)))


def _markdown(content: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": content}}


def fits(body: dict[str, Any]) -> bool:
    return len(body["markdown"]["content"].encode("utf-8")) <= MAX_BYTES


ROBOT = robot.Robot(KIND, 20, one, several, fits, sign, robot.errcode_error)


def notifier(watcher: Watcher, config: Any) -> RobotNotifier:
    return robot.notifier(ROBOT, watcher, config)
