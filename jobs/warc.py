"""`ayrdw-watch warc`: the kept responses and the chain as a WARC 1.1 file (through warcio), the
format web archives (Heritrix, Browsertrix, pywb, the Wayback Machine) read.

Each kept response becomes a ``request`` and a ``response`` record. The HTTP block is rebuilt
so the payload matches its headers: the body is stored decoded, so ``Content-Length`` is its
length and the site's ``Content-Encoding``/``Content-Length`` stay as ``X-Ayrdw-Orig-*``
(``Transfer-Encoding`` likewise). Each chain link becomes a ``metadata`` record (JSON).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jobs.version import VERSION
from storage.archive import Archive

SPOOL_IN_MEMORY = 8_000_000
DROPPED = {"content-length", "transfer-encoding"}  # re-declared for the stored (decoded) body


def _warc_date(moment: str) -> str:
    when = dt.datetime.fromisoformat(moment).astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def write_warc(archive: Archive, out: Path, watch: str | None = None, since: str | None = None) -> dict[str, int]:
    """Write the WARC; returns how many records of each kind were written."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    counts = {"response": 0, "request": 0, "metadata": 0}
    with out.open("wb") as file:
        writer = WARCWriter(file, gzip=str(out).endswith(".gz"), warc_version="WARC/1.1")
        info = {"software": f"ayrdw-watch/{VERSION}", "format": "WARC File Format 1.1",
                "description": "raw responses and chain links of an ayrdw-watch archive"}  # fmt: skip
        writer.write_record(writer.create_warcinfo_record(out.name, info))
        for response in _responses(archive, watch, since):
            body = _spooled(archive, response["raw_sha256"])
            size = body.seek(0, io.SEEK_END)
            body.seek(0)
            headers = [(k, v) for k, v in response["headers"] if k.lower() not in DROPPED]
            headers += [(f"X-Ayrdw-Orig-{k.title()}", v) for k, v in response["headers"] if k.lower() in DROPPED
                        and not k.lower().startswith("x-ayrdw")]  # fmt: skip
            headers.append(("Content-Length", str(size)))
            http = StatusAndHeaders(f"{response['status']} {_reason(response['status'])}", headers, protocol="HTTP/1.1")
            date = _warc_date(response["requested_at"])
            record = writer.create_warc_record(
                response["url"], "response", payload=body, http_headers=http,
                warc_headers_dict={"WARC-Date": date},
            )  # fmt: skip
            parts = urlsplit(response["url"])
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            request_headers = StatusAndHeaders(
                f"{response['method']} {target} HTTP/1.1", response["request_headers"], is_http_request=True
            )
            request = writer.create_warc_record(
                response["url"], "request", http_headers=request_headers,
                warc_headers_dict={"WARC-Date": date,
                                   "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID")},
            )  # fmt: skip
            writer.write_record(record)
            writer.write_record(request)
            body.close()
            counts["response"] += 1
            counts["request"] += 1
        for link in _links(archive, watch, since):
            payload = json.dumps(link, ensure_ascii=False, sort_keys=True).encode("utf-8")
            record = writer.create_warc_record(
                link["url"], "metadata", payload=io.BytesIO(payload),
                warc_headers_dict={"WARC-Date": _warc_date(link["at"]), "Content-Type": "application/json"},
            )  # fmt: skip
            writer.write_record(record)
            counts["metadata"] += 1
    return counts


def _spooled(archive: Archive, sha256: str) -> tempfile.SpooledTemporaryFile:
    """A kept body as a file warcio can read twice (digest, then record), in memory only when small:
    an attachment file can be as large as max_attachment."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (the caller closes it)
    for block in archive.evidence.blob_chunks(sha256):
        spool.write(block)
    return spool


def _responses(archive: Archive, watch: str | None, since: str | None) -> Iterator[dict[str, Any]]:
    ids = archive.evidence.response_ids(watch, since)
    for response_id in ids:
        found = archive.evidence.response(response_id)
        if found is not None:
            yield found


def _links(archive: Archive, watch: str | None, since: str | None) -> Iterator[dict[str, Any]]:
    yield from archive.evidence.links(watch, since)
