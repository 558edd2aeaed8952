"""Home page -> the section's list URL, by the text of its navigation link.

The link's whole visible text, trimmed, must equal the section name: 监督工作
matches, 人大监督工作专题 does not. Hidden dropdown submenus count (they are in
the markup even when a stylesheet hides them).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from crawler.clean import remove_spaces
from crawler.dom import parse
from crawler.errors import DiscoveryError
from crawler.fetch import Fetcher, same_site
from crawler.models import Page, SectionLink


def find_section(page: Page, name: str, selector: str | None = None) -> SectionLink:
    """The section's list URL on this home page; DiscoveryError when there is none."""
    tree = parse(page.text)
    wanted = remove_spaces(name)
    base = page.final_url
    site = urlsplit(base).hostname or ""
    candidates = tree.css(selector) if selector else tree.css("a")
    exact: list[str] = []
    near: list[str] = []
    no_href = False
    for a in candidates:
        text = remove_spaces(a.text(deep=True)) or remove_spaces(_image_alt(a))
        if text != wanted:
            if wanted in text and len(near) < 3:
                near.append(text)
            continue
        href = (a.attributes.get("href") or "").strip()
        if not href or href.lower().startswith(("javascript", "#", "mailto:")):
            no_href = True
            continue
        url = urljoin(base, href).split("#", 1)[0]
        if not same_site(urlsplit(url).hostname or "", site):
            continue
        exact.append(url)
    if exact:
        urls = list(dict.fromkeys(exact))
        how = f'link text "{name}" on {base}'
        if selector:
            how += f" (profile selector {selector!r})"
        if len(urls) > 1:
            how += f"; {len(urls)} different links carry that text, the first is used ({', '.join(urls[1:3])} ...)"
        return SectionLink(urls[0], how)
    hint = ""
    if no_href:
        hint = f'; a "{name}" link exists but has no usable href (javascript:/#): set [site] list_url'
    elif near:
        hint = "; links that only contain the name: " + ", ".join(near)
    raise DiscoveryError(f'{base}: no link whose text is "{name}"{hint}', base)


def _image_alt(a) -> str:
    img = a.css_first("img")
    return (img.attributes.get("alt") or "") if img is not None else (a.attributes.get("title") or "")


def locate_section(fetcher: Fetcher, home_url: str, name: str, selector: str | None = None) -> SectionLink:
    """Fetch the home page (following its redirects) and find the section link on it."""
    page = fetcher.get(home_url)
    if page.status != 200:
        raise DiscoveryError(f"{home_url}: home page answered HTTP {page.status}", home_url)
    return find_section(page, name, selector)
