"""Serve a FixtureSite over real HTTP on a background thread (tests, and the `demo` command)."""

from __future__ import annotations

import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from .site import REASONS, FixtureSite


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the site; writes its answer byte for byte (own Server header included)."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections must not pin threads forever
    disable_nagle_algorithm = True  # headers and body go out as separate writes: avoid 40 ms stalls
    site: FixtureSite

    def _answer(self) -> None:
        try:
            status, headers, body = self.site.handle(self.command, self.path, self.headers)
        except Exception as exc:  # a broken scenario should show up as a 500, not a dropped connection
            body = f"fixture site error: {exc!r}".encode()
            status, headers = (
                500,
                {"Content-Type": "text/plain; charset=utf-8", "Content-Length": str(len(body))},
            )
        reason = REASONS.get(status) or self.responses.get(status, ("",))[0]
        try:
            self.send_response_only(status, reason)
            if "Date" not in headers:
                self.send_header("Date", formatdate(usegmt=True))
            for name, value in headers.items():
                self.send_header(name, value)
            if status >= 400 or self.command not in ("GET", "HEAD"):
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # client gave up (e.g. a "timeout" fault)
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the site keeps its own request log."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        """Dropped connections are normal in fault scenarios; do not print tracebacks."""


class FixtureServer:
    """A FixtureSite on http://host:port; `with FixtureServer(site) as srv: srv.url("/")`."""

    def __init__(self, site: FixtureSite, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site
        self.host = host
        self.port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FixtureServer:
        handler = type("FixtureHandler", (_Handler,), {"site": self.site})
        self._httpd = _Server((self.host, self.port), handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="fixturesite", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """Absolute URL of a site-absolute path."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
