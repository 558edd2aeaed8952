"""What counts as a change of a report, decided here and only here.

Every declared field (domain.report.FIELDS) is compared in a normalised form: NFKC,
every kind of space, whitespace runs. View counters, today's date, tokens and markup
never reach the fields, and whitespace or width variants of the same text compare equal.

Attachment facts (sha256, size, content type of a kept download) are not the page's words:
they are left out of comparisons, and enter a version's content hash only in the version a
confirmed change of a file made (its entry keeps the ``previous_sha256``). So filling in a
hash downloaded late never re-hashes a version, and a file that changes is a change.

Noise that does reach the body (a counter, a clock, a random token inside the report's
own text) is learnt per report: the lines that differ between two fetches moments apart
are noise, remembered by their *shape* (the line with its digit-bearing runs masked),
and left out of the comparison from then on.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from domain import marks
from domain.report import FACT_KEYS, FIELDS


def normalise(text: str) -> str:
    """The form two versions are compared in: NFKC, every kind of space one space, trimmed.
    Stored fields never go through it."""
    text = unicodedata.normalize("NFKC", text)
    if "\u200b" in text or "\ufeff" in text:  # not whitespace to str.split(), spaces to a reader
        text = text.replace("\u200b", " ").replace("\ufeff", " ")
    return " ".join(text.split())


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return normalise(value)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return value


# Numbers, clocks and tokens: every run of ASCII letters and digits (with a token's - _ + / =).
# A token need not hold a digit ("abcdefab", base64): masking only digit-bearing hex runs gave
# such a token a shape of its own, so a stored version's token line never matched a noise shape
# learnt from two later fetches, and the report was announced as changed.
_VARYING = re.compile(r"[0-9A-Za-z][0-9A-Za-z_+/=-]*")


def line_shape(line: str) -> str:
    """A line with what varies between requests masked: "浏览 123 次" and "浏览 124 次" share a shape."""
    return _VARYING.sub("#", normalise(line))


def noisy_shapes(text_a: str, text_b: str) -> frozenset[str]:
    """Shapes of the lines that differ between two fetches of one page moments apart."""
    a, b = set(text_a.split("\n")), set(text_b.split("\n"))
    return frozenset(line_shape(line) for line in a ^ b if line.strip())


def without_noise(fields: dict[str, Any], noise: Iterable[str]) -> dict[str, Any]:
    """The fields with the body's noisy lines left out (the stored text keeps them)."""
    shapes = set(noise)
    if not shapes or not fields.get("text"):
        return fields
    lines = [line for line in fields["text"].split("\n") if line_shape(line) not in shapes]
    return {**fields, "text": "\n".join(lines)}


def _page_words(value: Any) -> Any:
    """An attachment list as the page gives it: each entry without the facts the archive added."""
    if not isinstance(value, list):
        return value
    return [{k: v for k, v in a.items() if k not in FACT_KEYS} if isinstance(a, dict) else a for a in value]


def comparable(fields: dict[str, Any]) -> dict[str, Any]:
    """The declared fields in their normalised form (attachments as the page lists them)."""
    return {
        f.name: _normalise(_page_words(fields.get(f.name)) if f.name == "attachments" else fields.get(f.name))
        for f in FIELDS
    }


def changed_files(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The facts of the attachments whose file changed in this version (confirmed, both hashes known)."""
    value = fields.get("attachments")
    entries = value if isinstance(value, list) else []
    return [
        {k: a.get(k) for k in ("url", "previous_sha256", "sha256", "size", "content_type")}
        for a in entries
        if isinstance(a, dict) and a.get("previous_sha256") and a.get("sha256")
    ]


def content_hash(fields: dict[str, Any], noise: Iterable[str] = ()) -> str:
    """sha256 of the normalised fields, and of the facts of files that changed in this version.
    With ``noise``, the body's lines of those shapes are left out (for comparing; a stored
    version's hash is always of all its fields)."""
    normalised = comparable(without_noise(fields, noise))
    files = changed_files(fields)
    if files:  # absent otherwise: every hash stored before attachments were kept stays the same
        normalised["attachment_files"] = files
    blob = json.dumps(normalised, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def same_content(a: dict[str, Any], b: dict[str, Any], noise: Iterable[str] = ()) -> bool:
    """Whether two readings of a page say the same, noise and attachment facts aside."""
    return comparable(without_noise(a, noise)) == comparable(without_noise(b, noise))


def diff_order() -> list[str]:
    """The order changes are listed in: the declaration's, except that release 0.1.0 listed
    credits before attachments, and payloads keep that order byte for byte."""
    names = [f.name for f in FIELDS]
    names.remove("credits")
    names.insert(names.index("attachments"), "credits")
    return names


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    a, b = comparable(old), comparable(new)
    return [name for name in diff_order() if a[name] != b[name]]


def text_diff(old: str, new: str, url: str = "") -> str:
    """Unified diff of two texts, line by line (a line is a paragraph)."""
    lines = difflib.unified_diff(
        old.split("\n"), new.split("\n"), fromfile=f"{url} (before)", tofile=f"{url} (after)", lineterm="", n=1
    )
    return "\n".join(lines)


MARKED = ("title", "source", "text")  # the fields a change of gets character-level "inline" marks


def changes(old: dict[str, Any], new: dict[str, Any], url: str = "") -> dict[str, dict[str, Any]]:
    """{field: {"old": ..., "new": ...}} for each changed field; the text also gets "diff", and
    the text, title and source "inline" (domain.marks: the whole text, every character marked)."""
    result: dict[str, dict[str, Any]] = {}
    for name in changed_fields(old, new):
        entry: dict[str, Any] = {"old": old.get(name), "new": new.get(name)}
        if name == "text":
            entry["diff"] = text_diff(old.get(name) or "", new.get(name) or "", url)
        if name in MARKED:
            entry["inline"] = marks.inline(old.get(name), new.get(name))
        result[name] = entry
    return result
