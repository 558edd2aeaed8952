"""The read-only server's routes (Starlette: a small ASGI toolkit whose test client is httpx,
already our HTTP client; served by uvicorn). Every route opens the archive read-only for the
request (web/reading.py); basic auth ([web] user) covers everything but /healthz.

    /, /w/<watch>/, /w/<watch>/r/<id>, /w/<watch>/r/<id>/diff, /search
                              the pages (web/pages.py, templates/, static/)
    /healthz                  200 or 503, the verdict and one-line reason of `status`
    /metrics                  Prometheus text format (web/metrics.py)
    /feed.atom                Atom feed of every watch's events (web/feeds.py)
    /w/<watch>/feed.atom      one watch's
    /api/reports              reports, filtered or searched (web/api.py)
    /api/reports/<id>         one report, its versions and events
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.times import utcnow
from jobs.config import Config
from storage.errors import ArchiveError
from web import api, feeds
from web.reading import reading

OPEN_PATHS = ("/healthz",)  # a load balancer or Docker asks without credentials


def create_app(config: Config, password: str | None = None) -> Starlette:
    """The app for this config; ``password``: [web] password (or the variable password_env names)."""

    def route(path: str, handler: Callable[[Config, Request], Response]) -> Route:
        def endpoint(request: Request) -> Response:
            try:
                return handler(config, request)
            except ArchiveError as exc:
                return PlainTextResponse(f"archive unavailable: {exc}\n", status_code=503)

        return Route(path, endpoint)

    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    from web import pages

    routes = [
        route("/", pages.index),
        route("/w/{watch}/", pages.watch),
        route("/w/{watch}/r/{report_id:int}", pages.report),
        route("/w/{watch}/r/{report_id:int}/diff", pages.diff),
        route("/search", pages.search),
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
        route("/healthz", healthz),
        route("/metrics", metrics),
        route("/feed.atom", feed),
        route("/w/{watch}/feed.atom", feed),
        route("/api/reports", api.reports),
        route("/api/reports/{report_id:int}", api.report),
    ]
    app = Starlette(routes=routes)
    if config.web.user:
        return BasicAuth(app, config.web.user, password or "")  # type: ignore[return-value]
    return app


def healthz(config: Config, request: Request) -> Response:
    from jobs.status import status
    from storage.lock import holder

    with reading(config) as archive:
        state = status(config, archive, utcnow(), holder(config.storage.db))
    if state["healthy"]:
        return PlainTextResponse("ok\n")
    return PlainTextResponse(f"unhealthy: {state['problems'][0]}\n", status_code=503)


def metrics(config: Config, request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from web.metrics import registry

    return Response(generate_latest(registry(config)), media_type=CONTENT_TYPE_LATEST)


def feed(config: Config, request: Request) -> Response:
    watch = request.path_params.get("watch")
    with reading(config) as archive:
        if watch is not None and watch not in archive.browse.watches():
            return PlainTextResponse(f"no watch named {watch!r}\n", status_code=404)
        events = archive.browse.latest_events(watch, feeds.MAX_ENTRIES)
        heads = {w: h["link"] for w, h in archive.evidence.heads().items() if watch is None or w == watch}
    base = config.web.base_url or str(request.base_url)
    base = base.rstrip("/")
    path = f"/w/{watch}/feed.atom" if watch else "/feed.atom"
    configured = config.watch(watch) if watch else None
    section = configured.section if configured else watch
    title = f"ayrdw-watch: {section}（{watch}）" if watch else "ayrdw-watch: 所有监测"
    body = feeds.atom(
        events,
        feed_id=f"urn:ayrdw-watch:{watch}:feed" if watch else "urn:ayrdw-watch:feed",
        title=title,
        self_url=base + path,
        home_url=(configured.url if configured else base + "/"),
        zone=config.notify.timezone,
        heads=heads,
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


class BasicAuth:
    """HTTP basic auth for every path but OPEN_PATHS (plain ASGI: no per-request overhead beyond
    one header comparison, in constant time)."""

    def __init__(self, app: ASGIApp, user: str, password: str) -> None:
        self.app = app
        self.expected = f"{user}:{password}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        response = PlainTextResponse(
            "authentication required\n", status_code=401, headers={"WWW-Authenticate": 'Basic realm="ayrdw-watch"'}
        )
        await response(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, value = header.partition(b" ")
        if scheme.lower() != b"basic":
            return False
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(given, self.expected)
