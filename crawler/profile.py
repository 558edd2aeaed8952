"""Site knowledge as data: optional CSS selectors that override the heuristics.

A profile is a TOML file (see ``sites/ayrdw.toml``)::

    [selectors]
    section_link = "#nav a"      # where the section's nav link is
    list_item = "ul.list li"     # one element per report on a list page
    title = "h1.title"
    published = ".info .date"    # an element whose text holds the date
    source = ".info .source"     # an element whose text holds 来源：…
    body = "#zoom"
    attachments = ".fujian a"
    remove = [".share", ".print"] # dropped before the body is read

Every key is optional; what a profile does not name, the heuristics find.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from crawler.errors import CrawlError


class ProfileError(CrawlError):
    pass


@dataclass(frozen=True)
class Selectors:
    section_link: str | None = None
    list_item: str | None = None
    title: str | None = None
    published: str | None = None
    source: str | None = None
    body: str | None = None
    attachments: str | None = None
    remove: tuple[str, ...] = ()


def load_profile(path: Path) -> Selectors:
    """Read and check a profile; a bad key or selector is a one-line ProfileError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"profile {path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {path}: not valid TOML ({exc})") from None
    unknown = set(data) - {"selectors", "site"}
    if unknown:
        raise ProfileError(f"profile {path}: unknown table [{sorted(unknown)[0]}]")
    raw = data.get("selectors", {})
    known = {f.name for f in fields(Selectors)}
    for key, value in raw.items():
        if key not in known:
            raise ProfileError(f"profile {path}: unknown key selectors.{key}")
        values = value if key == "remove" else [value]
        if key == "remove" and not isinstance(value, list):
            raise ProfileError(f"profile {path}: selectors.remove must be a list of CSS selectors")
        for selector in values:
            if not isinstance(selector, str) or not _valid_css(selector):
                raise ProfileError(f"profile {path}: selectors.{key} is not a valid CSS selector: {selector!r}")
    if "remove" in raw:
        raw = {**raw, "remove": tuple(raw["remove"])}
    return Selectors(**raw)


def _valid_css(selector: str) -> bool:
    from selectolax.lexbor import LexborHTMLParser  # the parser: only when a profile names selectors

    try:
        LexborHTMLParser("<p></p>").css(selector)
    except Exception:
        return False
    return bool(selector.strip())
