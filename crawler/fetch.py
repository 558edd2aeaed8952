"""The polite HTTP client: one request at a time, a pause between requests,
robots.txt honoured, retries with backoff, a size cap, same-origin redirects,
conditional requests, charset decoding and challenge detection.

Limits that really bound: one attempt ends within ``timeout`` of its start, connect,
headers and body together (a server that drips one byte a second is cut off); the body
is counted after Content-Encoding is undone, so a gzip bomb stops at ``max_bytes``
without ever being inflated whole; waits between attempts never exceed
``max_retry_wait``.

Everything the crawler downloads goes through :class:`Fetcher.get`, so these
rules hold for every request the project makes to the site.
"""

from __future__ import annotations

import email.utils
import ipaddress
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from crawler.challenge import JS_COOKIE, detect_challenge, literal_cookie
from crawler.charset import decode_html
from crawler.download import Download, FileSink
from crawler.errors import BlockedError, FetchError, Interrupted, OffSiteError, RobotsDisallowed, TooLargeError
from crawler.hosts import HostGate, HostGates
from crawler.limits import Deadline, decoder_for
from crawler.models import Page
from crawler.settings import FetchSettings
from domain.evidence import Raw, stored_headers
from domain.fetchlog import FetchRecord
from domain.times import iso, utcnow
from domain.tls import tls_context

RETRY_STATUSES = {429, 500, 502, 503, 504}


@dataclass
class _Retryable(Exception):
    message: str
    status: int | None = None
    retry_after: float | None = None

    def __str__(self) -> str:
        return self.message


DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower().rstrip("."), parts.port or DEFAULT_PORTS.get(scheme)


def redirect_allowed(source: str, target: str) -> bool:
    """A redirect keeps the origin (scheme, host, port), or upgrades http to https on the same
    host and default ports. https to http, another port or another host is refused: the
    answer would not be the site's."""
    a, b = _origin(source), _origin(target)
    if a == b:
        return True
    return a[0] == "http" and b[0] == "https" and a[1] == b[1] and a[2] == 80 and b[2] == 443


def same_site(host_a: str, host_b: str) -> bool:
    """Hosts that are one site: equal, or equal but for a leading "www."."""

    def bare(host: str) -> str:
        host = host.lower().rstrip(".")
        return host[4:] if host.startswith("www.") else host

    return bare(host_a) == bare(host_b)


def private(host: str) -> bool:
    """A loopback, private or link-local address (or localhost): never reached from a link."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def _raw(url: str, response: httpx.Response, body: bytes) -> Raw:
    """The response as evidence keeps it, with the request that asked for it (cookies left out)."""
    return Raw(
        url=url, requested_at=iso(utcnow()), status=response.status_code, body=body,
        headers=stored_headers(list(response.headers.multi_items())),
        request_headers=tuple((k, v) for k, v in response.request.headers.multi_items() if k.lower() != "cookie"),
    )  # fmt: skip


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass
class Fetcher:
    """One httpx client for one site, used by one poll (or one CLI command).

    ``site_host`` limits redirects (and requests) to the site; when None the host
    of the first URL fetched is the site. ``robots`` maps an origin to the text of
    its robots.txt, so a caller can keep it between polls.
    """

    settings: FetchSettings
    site_host: str | None = None
    robots: dict[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    transport: httpx.BaseTransport | None = None
    records: list[FetchRecord] = field(default_factory=list)
    stop: threading.Event | None = None  # set by the service on SIGTERM: no new request starts
    gates: HostGates | None = None  # the process's politeness per host (default: this fetcher's own)

    def __post_init__(self) -> None:
        s = self.settings
        self._gates = self.gates or HostGates()
        self._client = httpx.Client(
            headers={
                "User-Agent": s.user_agent,
                "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                "Accept-Encoding": "gzip, deflate",  # what _read_capped can undo within the cap
            },
            timeout=s.timeout,
            follow_redirects=False,
            proxy=s.proxy,
            verify=tls_context(s.verify_tls),
            transport=self.transport,
            cookies=self._gates.gate(self.site_host).cookies if self.site_host else None,
        )
        self._parsed_robots: dict[str, Protego] = {}

    # -- public ---------------------------------------------------------------------------------
    @property
    def requests(self) -> int:
        return len(self.records)

    @property
    def bytes_received(self) -> int:
        return sum(r.nbytes for r in self.records)

    def close(self) -> None:
        if self.site_host:  # what the site set is kept for the next fetcher of this host
            self._gates.gate(self.site_host).cookies.update(self._client.cookies)
        self._client.close()
        if self.gates is None:  # its own gates: their watchdog thread ends with it
            self._gates.watchdog.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None, listed: bool = False) -> Page:
        """Fetch one HTML page. Returns the final Page for 2xx, 304 and 4xx (callers read
        ``status``); raises FetchError after retries, BlockedError on a challenge page.
        A page of another site is fetched only when the site's list links to it (``listed``),
        and never at a private address the site itself is not at."""
        url = url.split("#", 1)[0]
        host = urlsplit(url).hostname or ""
        if self.site_host is None:
            self.site_host = host
        if not same_site(host, self.site_host) and not (listed and private(host) <= private(self.site_host)):
            raise OffSiteError(f"{url}: not on the site ({self.site_host})", url)
        self._check_robots(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current, redirected, asked_again = url, False, False
        for _ in range(self.settings.max_redirects + 2):
            response, body = self._request_with_retries(current, headers)
            waf = self._challenge_of(response, body)
            if waf and not asked_again and self._keep_challenge_cookies(current, response, body):
                asked_again = True  # the same URL once more, with what the challenge set, after the delay
                continue
            if waf:
                raise self._blocked(current, response, body, waf, asked_again)
            location = response.headers.get("location")
            if response.status_code in (301, 302, 303, 307, 308) and location:
                target = urljoin(current, location).split("#", 1)[0]
                if not redirect_allowed(current, target):
                    raise OffSiteError(f"{url}: redirected off the site, to another origin ({target})", url)
                self._check_robots(target)
                current, redirected = target, True
                continue
            return self._page(url, current, response, body, redirected)
        raise FetchError(f"{url}: more than {self.settings.max_redirects} redirects", url)

    def download(
        self,
        url: str,
        sink: FileSink,
        *,
        hosts: frozenset[str] = frozenset(),
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Download:
        """Fetch an attachment into ``sink`` (up to its cap), by the same rules as a page: the
        host's delay and lock, robots.txt, retries. Allowed: http(s) on the site's host or one
        of ``hosts``, redirects included. Returns 200 or 304; raises FetchError otherwise
        (TooLargeError over the cap, OffSiteError off the allowed hosts), BlockedError on a
        challenge page."""
        url = url.split("#", 1)[0]
        self._check_file_host(url, hosts)
        headers = {"Accept": "*/*"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(self.settings.max_redirects + 1):
            self._check_robots(current)
            response, _ = self._request_with_retries(current, headers, sink=sink)
            waf = self._challenge_of(response, sink.head)
            if waf:
                raise self._blocked(current, response, sink.head, waf, False)
            location = response.headers.get("location")
            if response.status_code in (301, 302, 303, 307, 308) and location:
                target = urljoin(current, location).split("#", 1)[0]
                if not redirect_allowed(current, target):
                    self._check_file_host(target, hosts)
                current = target
                continue
            if response.status_code not in (200, 304):
                raise FetchError(f"{current}: HTTP {response.status_code}", current, response.status_code)
            raw = _raw(current, response, b"")  # the body is in the sink
            content_type = (response.headers.get("content-type") or "").split(";")[0].strip().lower() or None
            return Download(url, current, response.status_code, content_type, response.headers.get("etag"),
                            response.headers.get("last-modified"), raw)  # fmt: skip
        raise FetchError(f"{url}: more than {self.settings.max_redirects} redirects", url)

    def _check_file_host(self, url: str, hosts: frozenset[str]) -> None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        if parts.scheme.lower() not in ("http", "https"):
            raise OffSiteError(f"{url}: not http(s)", url)
        if not (self.site_host and same_site(host, self.site_host)) and host not in hosts:
            raise OffSiteError(f"{url}: host {host} is neither the site's nor in [evidence] attachment_hosts", url)

    # -- robots.txt ------------------------------------------------------------------------------
    def _check_robots(self, url: str) -> None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        rules = self._parsed_robots.get(origin)
        if rules is None:
            text = self.robots.get(origin)
            if text is None:
                text = self._download_robots(origin)
            rules = Protego.parse(text)
            self._parsed_robots[origin] = rules
        if not rules.can_fetch(url, self.settings.user_agent):
            raise RobotsDisallowed(f"{url}: disallowed by robots.txt", url)

    def _download_robots(self, origin: str) -> str:
        """robots.txt text; "" (allow all) when it is missing. A failure is not cached."""
        url = origin + "/robots.txt"
        try:
            response, body = self._request_with_retries(url, {}, retries=0)
        except FetchError:
            return ""
        if response.status_code == 200:
            text, _ = decode_html(body, response.headers.get("content-type"))
            if "<html" in text[:1000].lower():
                text = ""  # a soft-404 page, not a robots file
            self.robots[origin] = text
            return text
        if 400 <= response.status_code < 500:
            self.robots[origin] = ""
        return ""

    def crawl_delay(self) -> float:
        """The pause between requests: ours, or robots.txt's Crawl-delay when longer (capped)."""
        delay = self.settings.delay
        for rules in self._parsed_robots.values():
            asked = rules.crawl_delay(self.settings.user_agent)
            if asked:
                delay = max(delay, min(float(asked), 300.0))
        return delay

    # -- one request, retried --------------------------------------------------------------------
    def _request_with_retries(
        self, url: str, headers: dict[str, str], retries: int | None = None, sink: FileSink | None = None
    ) -> tuple[httpx.Response, bytes]:
        s = self.settings
        attempts = (s.retries if retries is None else retries) + 1

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            asked = getattr(exc, "retry_after", None)
            backoff = min(s.backoff * (2 ** (state.attempt_number - 1)), s.max_retry_wait)
            return max(backoff, asked or 0.0)

        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            wait=wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self.stop.wait if self.stop is not None else self.sleep,
            reraise=True,
        )
        try:
            return retrying(self._request_once, url, headers, sink)
        except _Retryable as exc:
            raise FetchError(f"{url}: {exc.message}", url, exc.status) from None

    def _request_once(
        self, url: str, headers: dict[str, str], sink: FileSink | None = None
    ) -> tuple[httpx.Response, bytes]:
        gate = self._gates.gate(urlsplit(url).hostname or "")
        with gate.lock:  # one request at a time to a host, whatever fetcher asks
            return self._request_at(gate, url, headers, sink)

    def _request_at(
        self, gate: HostGate, url: str, headers: dict[str, str], sink: FileSink | None = None
    ) -> tuple[httpx.Response, bytes]:
        """One attempt. With a ``sink`` the body goes there (a download), capped at its cap."""
        self._pause(gate)
        started = self.clock()
        deadline = Deadline(self.settings.timeout if sink is None else sink.deadline(self.settings.timeout))
        status: int | None = None
        body = b""
        if sink is not None:
            sink.reset()
        try:
            with self._client.stream("GET", url, headers=headers, extensions={"timeout": deadline}) as response:
                status = response.status_code
                with deadline.watching(response, self._gates.watchdog):
                    body = self._read_capped(url, response, sink)
        except TooLargeError as exc:
            self._record(gate, url, status, sink.size if sink else len(body), started, str(exc))
            raise
        except httpx.TransportError as exc:
            if isinstance(exc, httpx.TimeoutException) or deadline.passed:
                self._record(gate, url, status, 0, started, "timeout")
                raise _Retryable(f"timed out after {self.settings.timeout:g}s") from None
            self._record(gate, url, status, 0, started, type(exc).__name__)
            raise _Retryable(f"connection failed ({type(exc).__name__}: {exc})") from None
        self._record(gate, url, status, sink.size if sink else len(body), started, None)
        if status in RETRY_STATUSES and not self._challenge_of(response, sink.head if sink else body):
            asked = _retry_after(response.headers.get("retry-after"))
            if asked is not None and asked > self.settings.max_retry_wait:
                raise FetchError(
                    f"{url}: HTTP {status}, the site asks to retry after {asked:.0f}s"
                    f" (more than max_retry_wait, {self.settings.max_retry_wait:g}s): the next poll tries again",
                    url,
                    status,
                )
            raise _Retryable(f"HTTP {status}", status, asked)
        return response, body

    def _read_capped(self, url: str, response: httpx.Response, sink: FileSink | None = None) -> bytes:
        """The body with Content-Encoding undone, never more than ``max_bytes`` of it: the
        decoder is asked for at most what is left, so a bomb is never inflated whole. With a
        ``sink`` (a download) the body is written there, up to the sink's cap, and b"" returned."""
        cap = self.settings.max_bytes if sink is None else sink.cap
        what = "max_bytes" if sink is None else "max_attachment"
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        decoder = decoder_for(encoding)
        if decoder is None:
            raise FetchError(f"{url}: unsupported Content-Encoding {encoding!r}", url, response.status_code)
        declared = response.headers.get("content-length")
        if encoding == "identity" and declared and declared.isdigit() and int(declared) > cap:
            raise TooLargeError(f"{url}: response of {declared} bytes is over {what} ({cap})", url)
        chunks: list[bytes] = []
        keep = chunks.append if sink is None else sink.write
        total = 0
        try:
            for raw in response.iter_raw():
                block = decoder.feed(raw, cap - total + 1)
                keep(block)
                total += len(block)
                if total > cap:
                    break
            else:
                block = decoder.flush(cap - total + 1)
                keep(block)
                total += len(block)
        except zlib.error as exc:
            raise FetchError(f"{url}: the body cannot be decoded as {encoding} ({exc})", url) from None
        if total > cap:
            raise TooLargeError(f"{url}: response over {what} ({cap} bytes), cut off", url)
        return b"".join(chunks)

    def _pause(self, gate: HostGate) -> None:
        """Wait out the delay since the last request to the host; raise Interrupted when told to stop."""
        if gate.last_end is not None:
            remaining = gate.last_end + self.crawl_delay() - self.clock()
            if remaining > 0:
                if self.stop is not None:
                    self.stop.wait(remaining)
                else:
                    self.sleep(remaining)
        if self.stop is not None and self.stop.is_set():
            raise Interrupted("stopping: the poll was abandoned between two requests")

    def _record(
        self, gate: HostGate, url: str, status: int | None, nbytes: int, started: float, error: str | None
    ) -> None:
        now = self.clock()
        gate.last_end = now
        self.records.append(FetchRecord(url, status, nbytes, round(now - started, 3), error))

    # -- the final response ----------------------------------------------------------------------
    @staticmethod
    def _challenge_of(response: httpx.Response, body: bytes) -> str | None:
        return detect_challenge(
            response.status_code,
            response.headers.get("server", ""),
            response.headers.get_list("set-cookie"),
            body[:30_000].decode("utf-8", "replace"),
            response.headers.get("location", ""),
        )

    def _keep_challenge_cookies(self, url: str, response: httpx.Response, body: bytes) -> bool:
        """Whether a challenge gave something to send back: cookies in its headers (kept by the
        client already) or one its script sets with string literals, kept here for the host
        as a browser would after running the script. No script is ever run."""
        cookie = literal_cookie(body[:30_000].decode("utf-8", "replace"))
        if cookie is not None:
            self._client.cookies.set(cookie[0], cookie[1], domain=urlsplit(url).hostname or "", path="/")
        return cookie is not None or bool(response.headers.get_list("set-cookie"))

    @staticmethod
    def _blocked(url: str, response: httpx.Response, body: bytes, waf: str, asked_again: bool) -> BlockedError:
        how = ""
        if asked_again:
            how = "; still there when asked again with the cookies it set"
        elif waf == JS_COOKIE and literal_cookie(body[:30_000].decode("utf-8", "replace")) is None:
            how = "; its cookie is computed by a script, which is never run"
        return BlockedError(f"{url}: challenge page ({waf}, HTTP {response.status_code}{how})", url, waf)

    def _page(self, url: str, final: str, response: httpx.Response, body: bytes, redirected: bool) -> Page:
        status = response.status_code
        if status >= 500:
            raise FetchError(f"{final}: HTTP {status}", final, status)
        text, encoding = ("", None) if status == 304 else decode_html(body, response.headers.get("content-type"))
        raw = _raw(final, response, body)
        return Page(
            url=url,
            final_url=final,
            status=status,
            text=text,
            encoding=encoding,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            nbytes=len(body),
            redirected=redirected,
            raw=raw,
        )
