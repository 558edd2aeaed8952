"""How the fetcher behaves, as the config sets it: plain data, importable without the HTTP
client (the command line reads the config before it knows whether it will fetch)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str
    delay: float = 1.0  # seconds between the end of one request and the start of the next
    timeout: float = 20.0
    max_bytes: int = 5_000_000
    retries: int = 2  # further attempts after the first, on network errors, 429 and 5xx
    backoff: float = 2.0  # the first retry waits this long, then doubles
    max_retry_wait: float = 60.0  # the longest wait between attempts; a longer Retry-After fails at once
    proxy: str | None = None
    verify_tls: bool = True
    max_redirects: int = 10
