"""Feishu / Lark (飞书) custom bot: ``kind = "feishu"``.

Keys: ``url`` (or ``url_env``) -- the bot's webhook address (its token is in the path);
``secret`` (or ``secret_env``) -- the bot's 签名校验 secret, optional. Signing puts
``timestamp`` (seconds since the epoch, a string) and ``sign`` = base64 of
HMAC-SHA256(key = "{timestamp}\\n{secret}", message = empty) into the JSON body.
The message is a ``post`` (rich text): a deletion is styled ``lineThrough``, an insertion
``underline``. Delivered when the answer's ``code`` (older answers: ``StatusCode``) is 0.
Feishu allows 100 messages a minute and 5 a second per bot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from domain.events import Notice
from domain.marks import Segment
from notify import robot
from notify.base import Watcher
from notify.robot import RobotNotifier, RobotSettings
from notify.story import Story, by_kind, headline, story

KIND = "feishu"
KEYS = robot.KEYS
MAX_BYTES = 18_000  # Feishu refuses a request body over 20 KB
Element = dict[str, Any]


def settings(values: Mapping[str, Any], env: Mapping[str, str], require_secrets: bool) -> RobotSettings:
    return robot.robot_settings(KIND, values, env, require_secrets)


def warnings(config: Any) -> list[str]:
    return []


def sign(url: str, body: dict[str, Any], secret: str, now: float) -> tuple[str, dict[str, Any]]:
    timestamp = str(int(now))
    key = f"{timestamp}\n{secret}".encode()
    signature = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    return url, {"timestamp": timestamp, "sign": signature, **body}


def _text(text: str, *style: str) -> Element:
    return {"tag": "text", "text": text, **({"style": list(style)} if style else {})}


def _link(text: str, href: str) -> Element:
    return {"tag": "a", "text": text, "href": href}


def _marked(line: list[Segment]) -> list[Element]:
    styles = {"-": ("lineThrough",), "+": ("underline",)}
    return [_text(text or "…", *styles.get(op, ())) for op, text in line]


def _content(told: Story) -> list[list[Element]]:
    rows: list[list[Element]] = [[_text(f"检测时间: {told.detected}")]]
    for change in told.changes:
        rows.append([_text(f"{change.label}修改（删去的划线，新增的加下划线）:")])
        rows += [_marked(line) for line in change.lines]
        if change.more:
            rows.append([_text(f"…（另有 {change.more} 段修改，见原文）")])
    if told.unchanged_note:
        rows.append([_text(told.unchanged_note)])
    if not told.url and not told.facts:
        return rows
    rows += [[_text(f"{label}: {value}")] for label, value in told.facts]
    rows.append([_text("链接: "), _link(told.url, told.url)])
    if told.attachments:
        rows.append([_text("相关附件:")])
        rows += [[_text("· "), _link(a.name, a.url), *([_text(f"（{a.detail}）")] if a.detail else [])]
                 for a in told.attachments]  # fmt: skip
    if told.paragraphs:
        rows.append([_text(f"{told.paragraphs_label}:")])
        rows += [[_text(paragraph)] for paragraph in told.paragraphs]
    return rows


def _post(title: str, rows: list[list[Element]]) -> dict[str, Any]:
    return {"msg_type": "post", "content": {"post": {"zh_cn": {"title": title, "content": rows}}}}


def one(notice: Notice, zone: str) -> dict[str, Any]:
    told = story(notice, zone)
    rows = _content(told)
    body = _post(f"{told.headline}: {told.title}"[:120], rows)
    while not fits(body) and len(rows) > 2:  # cut from the end, keep the link
        rows = rows[:-1]
        body = _post(body["content"]["post"]["zh_cn"]["title"], [*rows, [_text("…（内容过长，已截断）")]])
    return body


def several(notices: list[Notice], zone: str) -> dict[str, Any]:
    rows: list[list[Element]] = []
    for kind, titles in by_kind(notices):
        rows.append([_text(f"{kind}（{len(titles)}）:", "bold")])
        for notice in (n for n in notices if headline(n) == kind):
            told = story(notice, zone)
            rows.append([_text("· "), _link(told.title or told.url, told.url)] if told.url else [_text(told.title)])
            first = next((c for c in told.changes if c.lines), None)
            if first:
                rows.append([_text(f"  {first.label}: "), *_marked(first.lines[0])])
    return _post(f"本次共 {len(notices)} 条更新", rows)


def fits(body: dict[str, Any]) -> bool:
    return len(json.dumps(body, ensure_ascii=False).encode("utf-8")) <= MAX_BYTES


def error(answer: Mapping[str, Any]) -> str | None:
    code = answer.get("code", answer.get("StatusCode"))
    if code == 0:
        return None
    return f"code {code}: {str(answer.get('msg') or answer.get('StatusMessage') or 'no msg')[:200]}"


ROBOT = robot.Robot(KIND, 100, one, several, fits, sign, error, min_interval=0.2)


def notifier(watcher: Watcher, config: Any) -> RobotNotifier:
    return robot.notifier(ROBOT, watcher, config)
