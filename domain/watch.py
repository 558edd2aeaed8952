"""A watch: one section of one site, the thing being watched. Every row of the archive that
belongs to one names it, and a poll, a baseline, a full walk, trouble and alerts are per
watch."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
DEFAULT = "default"  # the one watch of a config with [site] and no [[watch]]


@dataclass(frozen=True)
class Watch:
    name: str
    url: str  # the site's home page
    section: str  # the whole text of the nav link that leads to the section
    list_url: str | None = None  # skip discovery
    profile: Path | None = None
    selectors: Any = field(default=None, compare=False, repr=False)  # the profile's, read once at load
    interval: float | None = None  # seconds; None: [schedule] interval
    recheck: float | None = None  # seconds; None: [crawl] recheck
    full_walk: float | None = None  # seconds; None: [crawl] full_walk
    subject_prefix: str = ""  # for mail subjects

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    def ref(self) -> dict[str, str]:
        """What a payload says of it: {"name", "url", "section"}."""
        return {"name": self.name, "url": self.url, "section": self.section}
