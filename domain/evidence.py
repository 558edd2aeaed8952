"""Evidence: the bytes a site sent, and the chain that shows the archive was not altered later.

A ``Raw`` is one response as it came: status, headers, and the body after Content-Encoding
was undone (what ``max_bytes`` counts) and before any charset decoding, with the request that
asked for it. Its SHA-256 names it in the archive.

The chain: every version, removal, restore and re-extraction of a watch is a link, and so is
every new hash of an attachment file (its URL, its report's version, the file's sha256 as both
hashes),

    link = sha256(prev_hex + "\\n" + canonical_json(record))

with ``record = {"kind", "watch", "url", "version", "at", "content_hash", "raw_sha256"}``,
``canonical_json`` = ``json.dumps(record, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` encoded as UTF-8, and the first ``prev_hex`` 64 zeros. Changing any
stored record changes every link after it, and the head that was shown before.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

GENESIS = "0" * 64
ORIGINAL = {"content-encoding": "X-Ayrdw-Orig-Content-Encoding", "content-length": "X-Ayrdw-Orig-Content-Length"}


class LinkKind(StrEnum):
    VERSION = "version"
    REMOVAL = "removal"
    RESTORE = "restore"
    REEXTRACTION = "reextraction"
    ATTACHMENT = "attachment"  # a file's first or confirmed new hash: url = the file's, version = its report's


@dataclass(frozen=True)
class Raw:
    """One response as the site sent it, and the request that asked for it."""

    url: str  # the URL that answered (after redirects)
    requested_at: str  # ISO 8601, UTC
    status: int
    headers: tuple[tuple[str, str], ...]  # as received; Content-Encoding/-Length renamed (see ORIGINAL)
    body: bytes = field(repr=False)  # after Content-Encoding, before charset decoding
    method: str = "GET"
    request_headers: tuple[tuple[str, str], ...] = ()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def stored_headers(headers: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Response headers as kept: the body is stored decoded, so the encoding and length the
    site declared are kept under names that say they describe the original transfer."""
    return tuple((ORIGINAL.get(name.lower(), name), value) for name, value in headers)


def canonical_json(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def link(prev_hex: str, record: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hex.encode("ascii") + b"\n" + canonical_json(record)).hexdigest()


def record(kind: str, watch: str, url: str, version: int, at: str, content_hash: str, raw_sha256: str | None) -> dict:
    return {"kind": str(kind), "watch": watch, "url": url, "version": version, "at": at,
            "content_hash": content_hash, "raw_sha256": raw_sha256}  # fmt: skip
