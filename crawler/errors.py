"""One error tree for everything the crawler can run into.

    CrawlError                 anything that stops one page from being read
    ├── FetchError             network trouble or an HTTP status we cannot use
    │   ├── TooLargeError      the body passed max_bytes while streaming
    │   ├── OffSiteError       a redirect (or link) that leaves the site's host
    │   └── RobotsDisallowed   robots.txt forbids the URL for our User-Agent
    ├── BlockedError           a WAF challenge page instead of content
    ├── MarkupTooDeep          markup nested deeper than any page needs (refused, not parsed)
    └── DiscoveryError         the section link or the list items cannot be found

Every message is one line that names the URL, so the CLI can print it as is.

``Interrupted`` is not a CrawlError on purpose: it is no trouble with the site but
the service being stopped, and it must pass every "skip this page" handler.
"""

from __future__ import annotations


class CrawlError(Exception):
    """Base class: ``str(err)`` is a one-line, user-facing message."""

    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class FetchError(CrawlError):
    def __init__(self, message: str, url: str | None = None, status: int | None = None) -> None:
        super().__init__(message, url)
        self.status = status


class TooLargeError(FetchError):
    pass


class OffSiteError(FetchError):
    pass


class RobotsDisallowed(FetchError):
    pass


class BlockedError(CrawlError):
    """A challenge page: the site (or its WAF) wants a browser, not us."""

    def __init__(self, message: str, url: str | None = None, waf: str | None = None) -> None:
        super().__init__(message, url)
        self.waf = waf


class MarkupTooDeep(CrawlError):
    pass


class DiscoveryError(CrawlError):
    pass


class Interrupted(Exception):
    """The service is stopping: abandon the poll between two requests."""
