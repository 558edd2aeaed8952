"""One HTTP exchange, as the fetch log keeps it: the crawler records it, storage writes it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FetchRecord:
    url: str
    status: int | None
    nbytes: int
    seconds: float
    error: str | None = None
