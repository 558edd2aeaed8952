"""Atom 1.0 feeds (RFC 4287): one entry per event (new, changed, removed, restored), newest
first, at most ``MAX_ENTRIES``. An entry's id names its watch and event
(``urn:ayrdw-watch:<watch>:event:<id>``), its time is the event's, its link the report's,
and its summary the event's story as the email's HTML shows it, changes marked."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from domain.events import Notice
from domain.times import iso, utcnow
from jobs.version import PROJECT_URL, VERSION
from notify import render
from notify.story import headline

ATOM = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 100


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def atom(
    events: list[dict[str, Any]], *, feed_id: str, title: str, self_url: str, home_url: str, zone: str,
    heads: dict[str, str] | None = None,
) -> bytes:  # fmt: skip
    """The feed of these events (newest first)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title)
    if heads:  # the evidence chain's head per watch: a reader who keeps it can later tell it was not rewritten
        _sub(feed, "subtitle", "; ".join(f"chain head {watch}: {head}" for watch, head in sorted(heads.items())))
    _sub(feed, "updated", events[0]["occurred_at"] if events else iso(utcnow()))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=home_url)
    author = _sub(feed, "author")
    _sub(author, "name", "ayrdw-watch")
    _sub(feed, "generator", "ayrdw-watch", uri=PROJECT_URL, version=VERSION)
    for event in events[:MAX_ENTRIES]:
        notice = Notice.from_payload(event["payload"])
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"urn:ayrdw-watch:{event['watch']}:event:{event['id']}")
        what = notice.field("title") or event["url"]
        _sub(entry, "title", f"{headline(notice)}: {what}")
        _sub(entry, "updated", event["occurred_at"])
        _sub(entry, "published", event["occurred_at"])
        _sub(entry, "link", rel="alternate", type="text/html", href=event["url"])
        _sub(entry, "category", term=event["kind"], label=headline(notice))
        _sub(entry, "summary", render.html_body(notice, zone), type="html")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)
