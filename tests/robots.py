"""Loopback stand-ins for the chat robots, written from the vendors' documentation (not from our
code): each checks what the real service checks -- the token, the signature, the JSON shape, the
size limit, the rate -- and answers with the vendor's own error codes.

- DingTalk custom robot (open.dingtalk.com, 自定义机器人): POST /robot/send?access_token=T[&timestamp
  &sign]; sign = urlencode(base64(HmacSHA256(key=secret, "{timestamp}\\n{secret}"))), timestamp in
  milliseconds within an hour; body {"msgtype": "markdown", "markdown": {"title", "text"}}; answers
  {"errcode": 0, "errmsg": "ok"}, 310000 on a bad signature, 130101 beyond 20 messages a minute.
- WeCom group robot (developer.work.weixin.qq.com, 群机器人): POST /cgi-bin/webhook/send?key=K; body
  {"msgtype": "markdown", "markdown": {"content"}}, content at most 4096 bytes (40058 beyond);
  45009 beyond 20 messages a minute; 93000 for a bad key.
- Feishu custom bot (open.feishu.cn, 自定义机器人): POST /open-apis/bot/v2/hook/TOKEN; with signing the
  body has "timestamp" (seconds, within an hour) and "sign" = base64(HmacSHA256(key="{timestamp}\\n
  {secret}", message="")); {"msg_type": "post", "content": {"post": {"zh_cn": {"title", "content":
  [[element, ...], ...]}}}}; answers {"code": 0, "msg": "success"}, 19021 on a bad signature,
  19024 for a bad msg_type, 9499 on a bad request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


def _json(data: dict[str, Any]) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=200, content_type="application/json")


@dataclass
class RobotReceiver:
    """What every robot stand-in keeps: accepted messages, refusals, a per-minute window."""

    httpserver: HTTPServer
    secret: str | None = None
    per_minute: int = 20
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (code, why)
    arrivals: list[float] = field(default_factory=list)  # every request, accepted or not
    down: int = 0  # the next N requests answer HTTP 500

    def over_rate(self) -> bool:
        now = time.monotonic()
        self.arrivals.append(now)
        recent = [t for t in self.arrivals if now - t < 60]
        return len(recent) > self.per_minute

    def max_in_a_minute(self) -> int:
        times = sorted(self.arrivals)
        return max((sum(1 for t in times if 0 <= t - start < 60) for start in times), default=0)

    def refuse(self, code: int, why: str, key: str = "errcode", message_key: str = "errmsg") -> Response:
        self.refused.append((code, why))
        return _json({key: code, message_key: why})


class DingTalk(RobotReceiver):
    TOKEN = "dt0ken5ecret"

    def __init__(self, httpserver: HTTPServer, secret: str | None = None) -> None:
        super().__init__(httpserver, secret)
        httpserver.expect_request("/robot/send", method="POST").respond_with_handler(self.handle)
        self.url = f"http://127.0.0.1:{httpserver.port}/robot/send?access_token={self.TOKEN}"

    def handle(self, request: Request) -> Response:
        if self.down:
            self.down -= 1
            return Response("busy", status=500)
        if request.args.get("access_token") != self.TOKEN:
            return self.refuse(300001, "token is not exist")
        if self.secret is not None:
            timestamp, sign = request.args.get("timestamp", ""), request.args.get("sign", "")
            message = f"{timestamp}\n{self.secret}".encode()
            expected = base64.b64encode(hmac.new(self.secret.encode(), message, hashlib.sha256).digest()).decode()
            fresh = timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < 3600_000
            if not fresh or not hmac.compare_digest(sign, expected):
                return self.refuse(
                    310000, "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"
                )
        if self.over_rate():
            return self.refuse(130101, "send too fast, exceed 20 times per minute")
        raw = request.get_data()
        if len(raw) > 20_000:
            return self.refuse(460101, "message too long, exceed 20000 bytes")
        body = json.loads(raw)
        markdown = body.get("markdown") or {}
        if body.get("msgtype") != "markdown" or not markdown.get("title") or not markdown.get("text"):
            return self.refuse(40035, "缺少参数 json")
        self.accepted.append(body)
        return _json({"errcode": 0, "errmsg": "ok"})

    def texts(self) -> list[str]:
        return [b["markdown"]["text"] for b in self.accepted]


class WeCom(RobotReceiver):
    KEY = "693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa"

    def __init__(self, httpserver: HTTPServer) -> None:
        super().__init__(httpserver)
        httpserver.expect_request("/cgi-bin/webhook/send", method="POST").respond_with_handler(self.handle)
        self.url = f"http://127.0.0.1:{httpserver.port}/cgi-bin/webhook/send?key={self.KEY}"

    def handle(self, request: Request) -> Response:
        if request.args.get("key") != self.KEY:
            return self.refuse(93000, "invalid webhook url")
        if self.over_rate():
            return self.refuse(45009, "api freq out of limit")
        body = json.loads(request.get_data())
        content = (body.get("markdown") or {}).get("content")
        if body.get("msgtype") != "markdown" or not content:
            return self.refuse(40008, "invalid message type")
        if len(content.encode("utf-8")) > 4096:
            return self.refuse(40058, "markdown.content exceed max length 4096")
        self.accepted.append(body)
        return _json({"errcode": 0, "errmsg": "ok"})

    def texts(self) -> list[str]:
        return [b["markdown"]["content"] for b in self.accepted]


class Feishu(RobotReceiver):
    TOKEN = "2b5d8c3e-feishu-hook-token"

    def __init__(self, httpserver: HTTPServer, secret: str | None = None, old_answers: bool = False) -> None:
        super().__init__(httpserver, secret, per_minute=100)
        self.old_answers = old_answers  # answer as bots did before 2023: {"StatusCode": 0, ...}
        path = f"/open-apis/bot/v2/hook/{self.TOKEN}"
        httpserver.expect_request(path, method="POST").respond_with_handler(self.handle)
        self.url = f"http://127.0.0.1:{httpserver.port}{path}"

    def handle(self, request: Request) -> Response:
        raw = request.get_data()
        if len(raw) > 20 * 1024:
            return self.refuse(9499, "request body too large", "code", "msg")
        body = json.loads(raw)
        if self.secret is not None:
            timestamp = str(body.get("timestamp", ""))
            key = f"{timestamp}\n{self.secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 3600
            if not fresh or not hmac.compare_digest(str(body.get("sign", "")), expected):
                why = "sign match fail or timestamp is not within one hour from current time"
                return self.refuse(19021, why, "code", "msg")
        if self.over_rate():
            return self.refuse(11232, "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]", "code", "msg")
        post = ((body.get("content") or {}).get("post") or {}).get("zh_cn") or {}
        rows = post.get("content")
        tags = {"text", "a", "at", "img"}
        shape_ok = isinstance(rows, list) and all(
            isinstance(row, list) and all(isinstance(e, dict) and e.get("tag") in tags for e in row) for row in rows
        )
        if body.get("msg_type") != "post" or not post.get("title") or not shape_ok:
            return self.refuse(19024, "Key Words Not Found", "code", "msg")
        self.accepted.append(body)
        if self.old_answers:
            return _json({"Extra": None, "StatusCode": 0, "StatusMessage": "success"})
        return _json({"code": 0, "data": {}, "msg": "success"})

    def rows(self, k: int) -> list[list[dict[str, Any]]]:
        return self.accepted[k]["content"]["post"]["zh_cn"]["content"]


class AppriseJson(RobotReceiver):
    """Apprise's json:// target POSTs {"version", "title", "message", "type", ...} to a plain URL."""

    def __init__(self, httpserver: HTTPServer) -> None:
        super().__init__(httpserver, per_minute=10_000)
        httpserver.expect_request("/apprise-hook", method="POST").respond_with_handler(self.handle)
        self.target = f"json://127.0.0.1:{httpserver.port}/apprise-hook"

    def handle(self, request: Request) -> Response:
        self.arrivals.append(time.monotonic())
        if self.down:
            self.down -= 1
            return Response("down", status=500)
        self.accepted.append(json.loads(request.get_data()))
        return Response("ok", status=200)
