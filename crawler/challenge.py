"""Recognise WAF challenge pages so they are reported, never parsed as content.

Chinese government sites sit behind a handful of WAFs that answer a crawler
with a tiny JavaScript page (and often an odd status) instead of the page.
Markers seen in the wild (see the design notes):

    安全狗     Server: Safedog, cookie safedog-flow-item
    加速乐     Server: jiasule-waf, cookie __jsluid*, status 521
    瑞数       status 412 and a script page with $_ts
    创宇盾     365cyd.com in the body
    知道创宇   /ks-waf-error.png in the body
    wzws       wzws_cid cookie, redirect to a wzwschallenge URL
    any        a 200 page that is little more than a script setting ``document.cookie`` and
               reloading ("JS cookie"): when the cookie is string literals (joined with ``+`` at
               most) the fetcher keeps it and asks once more; no script is ever evaluated
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_TAGS = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<[^>]+>", re.S | re.I)
_BODY_MARKERS = (
    ("365cyd.com", "创宇盾"),
    ("/ks-waf-error.png", "知道创宇"),
    ("wzwschallenge", "wzws"),
    ("$_ts", "瑞数"),
)
_HEADER_MARKERS = (
    ("jiasule", "加速乐"),
    ("safedog", "安全狗"),
    ("yundun", "云盾"),
)
_COOKIE_MARKERS = (
    ("__jsluid", "加速乐"),
    ("safedog-flow-item", "安全狗"),
    ("wzws_cid", "wzws"),
)
CHALLENGE_STATUSES = {202, 412, 521}
JS_COOKIE = "JS cookie"
_LITERAL = r"(?:\"[^\"\\\n]*\"|'[^'\\\n]*')"
_COOKIE_ASSIGNMENT = re.compile(r"document\.cookie\s*=")
_LITERAL_COOKIE = re.compile(rf"document\.cookie\s*=\s*({_LITERAL}(?:\s*\+\s*{_LITERAL})*)\s*(?:[;\n}}<]|$)")
_RELOAD = re.compile(r"location\.reload|location\.replace|location\.href\s*=|location\s*=|location\.assign")


def _tiny_script_page(body: str) -> bool:
    """A page that is little more than a script: a challenge, not content."""
    if len(body) > 30_000 or "<script" not in body.lower():
        return False
    visible = _TAGS.sub(" ", body)
    return len("".join(visible.split())) < 200


def detect_challenge(status: int, server: str, cookies: Iterable[str], body: str, location: str = "") -> str | None:
    """Name of the WAF (or "unknown WAF") when this response is a challenge page, else None."""
    if "wzwschallenge" in location:
        return "wzws"
    tiny = _tiny_script_page(body)
    for marker, name in _BODY_MARKERS:
        if marker in body and (tiny or marker != "$_ts" or status == 412):
            return name
    waf = None
    server = server.lower()
    for marker, name in _HEADER_MARKERS:
        if marker in server:
            waf = name
    cookie_text = " ".join(cookies).lower()
    for marker, name in _COOKIE_MARKERS:
        if marker in cookie_text:
            waf = waf or name
    if tiny and (waf or status in CHALLENGE_STATUSES):
        return waf or "unknown WAF"
    if tiny and _COOKIE_ASSIGNMENT.search(body) and _RELOAD.search(body):
        return JS_COOKIE
    if status == 521 and waf:
        return waf
    return None


def literal_cookie(body: str) -> tuple[str, str] | None:
    """(name, value) of the cookie a challenge page sets with string literals only
    (``document.cookie = "clr" + "=" + "a1b2; path=/"``); None when it is computed."""
    m = _LITERAL_COOKIE.search(body)
    if m is None:
        return None
    text = "".join(part[1:-1] for part in re.findall(_LITERAL, m.group(1)))
    pair = text.split(";", 1)[0]
    name, sep, value = pair.partition("=")
    return (name.strip(), value.strip()) if sep and name.strip() else None
