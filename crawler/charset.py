"""bytes -> str for HTML from servers that often lie about their charset.

Order, as browsers read it: the HTTP header, then a BOM, then ``<meta>``, then a
statistical guess. Where a declaration and the bytes disagree (the header says
utf-8 but the bytes are GBK), the bytes win: a declared codec is used only if
it decodes the bytes cleanly. gb2312 and gbk are read as gb18030, their superset,
so GBK-only characters (镕 喆 堃 昇) survive.
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels that are really another codec (WHATWG treats latin-1 and ascii as windows-1252).
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "hz-gb-2312": "gb18030",
    "utf8": "utf-8",
    "iso-8859-1": "windows-1252",
    "latin-1": "windows-1252",
    "latin1": "windows-1252",
    "us-ascii": "windows-1252",
    "ascii": "windows-1252",
    "big5-hkscs": "big5hkscs",
}
# A header that says one of these about a page with non-ASCII bytes is a server default, not a fact.
_WEAK = {"cp1252"}

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def normalise_label(label: str | None) -> str | None:
    """A codec name Python knows, with the gb-family mapped to gb18030; None if unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return _ALIASES.get(codec, codec)


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HEADER_CHARSET.search(content_type)
    return m.group(1) if m else None


def meta_charset(body: bytes) -> str | None:
    """The charset named by a <meta> tag in the first 16 KB (heads can be long)."""
    m = _META_CHARSET.search(body[:16384])
    return m.group(1).decode("ascii", "replace") if m else None


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _guess(body: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    return normalise_label(best.encoding) if best else None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode an HTML body; returns ``(text, codec_used)``."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, "replace"), codec
    ascii_only = body.isascii()
    is_utf8 = _decodes(body, "utf-8")
    declared = [normalise_label(header_charset(content_type)), normalise_label(meta_charset(body))]
    for i, codec in enumerate(declared):
        if codec is None:
            continue
        if i == 0 and codec in _WEAK and not ascii_only:
            continue
        if codec == "utf-8":
            if is_utf8:
                return body.decode("utf-8"), "utf-8"
            continue  # the bytes say otherwise
        if is_utf8 and not ascii_only and codec in ("gb18030", "big5", "cp1252"):
            # Valid multi-byte UTF-8 is almost never an accident in a legacy codec.
            continue
        if _decodes(body, codec):
            return body.decode(codec), codec
    if is_utf8:
        return body.decode("utf-8"), "utf-8"
    if _decodes(body, "gb18030"):
        # Before a statistical guess: on a Chinese site, bytes that are valid gb18030 are GBK.
        return body.decode("gb18030"), "gb18030"
    guess = _guess(body)
    if guess and _decodes(body, guess):
        return body.decode(guess), guess
    return body.decode("gb18030", "replace"), "gb18030"
