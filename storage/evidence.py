"""The archive's evidence: raw responses (content-addressed, compressed blobs) and each
watch's chain of links (domain/evidence.py says how a link is computed). Written in the
transaction of the version, removal or restore they prove; read only by `verify`,
`evidence`, and whoever shows a chain head."""

from __future__ import annotations

import hashlib
import json
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.change import content_hash
from domain.evidence import GENESIS, Raw, link, record
from storage.reports import fields_of

if TYPE_CHECKING:
    from sqlite_utils import Database

CODEC = "zlib"  # the standard library's: any Python can read the blobs back
LEVEL = 6
CHUNK = 1 << 20  # a file goes into and out of the blob store this much at a time


def compress(body: bytes) -> bytes:
    return zlib.compress(body, LEVEL)


def decompress(data: bytes, codec: str) -> bytes:
    if codec == "zlib":
        return zlib.decompress(data)
    if codec == "none":
        return data
    raise ValueError(f"unknown blob codec {codec!r}")


def _of(watch: str | None, since: str | None, time_column: str) -> tuple[str, list[str]]:
    """A WHERE clause for one watch (None: all) and rows at or after ``since``."""
    clauses, args = [], []
    for clause, value in (("watch = ?", watch), (f"{time_column} >= ?", since)):
        if value:
            clauses.append(clause)
            args.append(value)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


@dataclass(frozen=True)
class Broken:
    """The first thing `verify` found wrong."""

    what: str  # one line


class Evidence:
    def __init__(self, db: Database, watch: str) -> None:
        self.db = db
        self.watch = watch

    # -- writing (in the caller's transaction) -----------------------------------------------------
    def keep(self, raw: Raw) -> int:
        """The response and its blob (once per body, however many versions point to it); its id."""
        sha = raw.sha256
        self.db.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, codec, data) VALUES (?, ?, ?, ?)",
            [sha, len(raw.body), CODEC, compress(raw.body)],
        )
        return self._response(raw, sha)

    def keep_file(self, raw: Raw, sha256: str, size: int, chunks: Iterable[bytes]) -> int:
        """A downloaded file and its response row, streamed into the blob store (compressed
        through a temporary file, then written into the row a chunk at a time): never whole in
        memory. ``raw`` holds the headers (its body is empty); its id."""
        if self.db.execute("SELECT 1 FROM blobs WHERE sha256 = ?", [sha256]).fetchone() is None:
            with tempfile.TemporaryFile(prefix="ayrdw-blob-") as packed:
                squeeze = zlib.compressobj(LEVEL)
                for block in chunks:
                    packed.write(squeeze.compress(block))
                packed.write(squeeze.flush())
                length = packed.tell()
                cursor = self.db.execute(
                    "INSERT INTO blobs (sha256, size, codec, data) VALUES (?, ?, ?, zeroblob(?))",
                    [sha256, size, CODEC, length],
                )
                packed.seek(0)
                with self.db.conn.blobopen("blobs", "data", int(cursor.lastrowid)) as blob:
                    while block := packed.read(CHUNK):
                        blob.write(block)
        return self._response(raw, sha256)

    def _response(self, raw: Raw, body_sha256: str) -> int:
        """The response row (its body already in the blob store); its id."""
        cursor = self.db.execute(
            "INSERT INTO responses (watch, url, method, requested_at, request_headers, status, headers, raw_sha256)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [self.watch, raw.url, raw.method, raw.requested_at, json.dumps(raw.request_headers, ensure_ascii=False),
             raw.status, json.dumps(raw.headers, ensure_ascii=False), body_sha256],
        )  # fmt: skip
        return int(cursor.lastrowid)

    def append(
        self, kind: str, url: str, version: int, at: str, digest: str, raw_sha256: str | None,
        response_id: int | None = None,
    ) -> str:  # fmt: skip
        """The next link of this watch's chain; returns it (the new head)."""
        prev = self.head() or GENESIS
        value = link(prev, record(kind, self.watch, url, version, at, digest, raw_sha256))
        self.db.execute(
            "INSERT INTO chain (watch, kind, url, version, at, content_hash, raw_sha256, response_id, prev, link)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [self.watch, str(kind), url, version, at, digest, raw_sha256, response_id, prev, value],
        )
        return value

    # -- reading -------------------------------------------------------------------------------------
    def head(self, watch: str | None = None) -> str | None:
        row = self.db.execute(
            "SELECT link FROM chain WHERE watch = ? ORDER BY id DESC LIMIT 1", [watch or self.watch]
        ).fetchone()
        return row[0] if row else None

    def heads(self) -> dict[str, dict[str, Any]]:
        """Each watch's chain head: {watch: {"link", "links", "at"}}."""
        sql = (
            "SELECT c.watch, c.link, n.links, c.at FROM chain c JOIN (SELECT watch, max(id) AS last, count(*) AS links"
            " FROM chain GROUP BY watch) n ON c.id = n.last"
        )
        return {w: {"link": value, "links": n, "at": at} for w, value, n, at in self.db.execute(sql).fetchall()}

    def blob(self, sha256: str) -> bytes | None:
        row = self.db.execute("SELECT codec, data FROM blobs WHERE sha256 = ?", [sha256]).fetchone()
        return decompress(row[1], row[0]) if row else None

    def blob_chunks(self, sha256: str) -> Iterator[bytes]:
        """A blob's bytes a chunk at a time (a kept file can be as large as max_attachment)."""
        row = self.db.execute("SELECT rowid, codec FROM blobs WHERE sha256 = ?", [sha256]).fetchone()
        if row is not None:
            yield from _unpacked(self.db, row[0], row[1])

    def response(self, response_id: int) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT id, url, method, requested_at, request_headers, status, headers, raw_sha256 FROM responses"
            " WHERE id = ?", [response_id],
        ).fetchone()  # fmt: skip
        if row is None:
            return None
        keys = ("id", "url", "method", "requested_at", "request_headers", "status", "headers", "raw_sha256")
        found = dict(zip(keys, row, strict=True))
        found["request_headers"] = json.loads(found["request_headers"] or "[]")
        found["headers"] = json.loads(found["headers"] or "[]")
        return found

    def links_of(self, url: str, watch: str) -> list[dict[str, Any]]:
        keys = ("id", "kind", "url", "version", "at", "content_hash", "raw_sha256", "response_id", "prev", "link")
        rows = self.db.execute(
            f"SELECT {', '.join(keys)} FROM chain WHERE watch = ? AND url = ? ORDER BY id", [watch, url]
        ).fetchall()
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def response_ids(self, watch: str | None = None, since: str | None = None) -> list[int]:
        """Kept responses in the order they were fetched (the WARC export)."""
        where, args = _of(watch, since, "requested_at")
        return [rid for (rid,) in self.db.execute(f"SELECT id FROM responses{where} ORDER BY id", args).fetchall()]

    def links(self, watch: str | None = None, since: str | None = None) -> list[dict[str, Any]]:
        keys = ("id", "watch", "kind", "url", "version", "at", "content_hash", "raw_sha256", "prev", "link")
        where, args = _of(watch, since, "at")
        rows = self.db.execute(f"SELECT {', '.join(keys)} FROM chain{where} ORDER BY id", args).fetchall()
        return [dict(zip(keys, row, strict=True)) for row in rows]

    # -- signed heads --------------------------------------------------------------------------------
    def length(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM chain WHERE watch = ?", [self.watch]).fetchone()[0])

    def add_signature(self, index: int, head: str, signature: str, public_key: str, at: str) -> None:
        self.db.execute(
            "INSERT INTO signatures (watch, idx, head, signature, public_key, signed_at) VALUES (?, ?, ?, ?, ?, ?)",
            [self.watch, index, head, signature, public_key, at],
        )

    def signatures(self, watches: list[str]) -> list[dict[str, Any]]:
        keys = ("watch", "idx", "head", "signature", "public_key", "signed_at")
        rows = self.db.execute(f"SELECT {', '.join(keys)} FROM signatures ORDER BY id").fetchall()
        return [dict(zip(keys, r, strict=True)) for r in rows if not watches or r[0] in watches]

    def link_at(self, watch: str, index: int) -> str | None:
        """The link at this position (from 1) of a watch's chain."""
        row = self.db.execute(
            "SELECT link FROM chain WHERE watch = ? ORDER BY id LIMIT 1 OFFSET ?", [watch, index - 1]
        ).fetchone()
        return row[0] if row else None

    # -- verify ------------------------------------------------------------------------------------
    def verify(self, watches: list[str]) -> tuple[int, Broken | None]:
        """Every content hash from its fields, every link, every blob; (links checked, the first break)."""
        for row in self.db.query("SELECT * FROM report_versions ORDER BY id"):
            if watches and row["watch"] not in watches:
                continue
            if content_hash(fields_of(row)) != row["content_hash"]:
                where = f"version {row['version']} of {row['url']} ({row['watch']})"
                return 0, Broken(f"{where}: its fields do not hash to its content hash: the stored fields were changed")
        versions = {(r[0], r[1], r[2]): r[3] for r in self.db.execute(
            "SELECT watch, url, version, content_hash FROM report_versions").fetchall()}  # fmt: skip
        checked = 0
        names = watches or [w for (w,) in self.db.execute("SELECT DISTINCT watch FROM chain ORDER BY watch")]
        for watch in names:
            prev = GENESIS
            for row in self.db.query("SELECT * FROM chain WHERE watch = ? ORDER BY id", [watch]):
                expected = link(prev, record(row["kind"], watch, row["url"], row["version"], row["at"],
                                             row["content_hash"], row["raw_sha256"]))  # fmt: skip
                where = f"link {row['id']} ({row['kind']} of {row['url']}, version {row['version']}, {watch})"
                if row["prev"] != prev or row["link"] != expected:
                    return checked, Broken(f"{where}: the chain is broken here: a record was changed or removed")
                stored = versions.get((watch, row["url"], row["version"]))
                if stored is not None and stored != row["content_hash"]:
                    return checked, Broken(f"{where}: the version's content hash is not the one the chain holds")
                prev = row["link"]
                checked += 1
        for rowid, sha, codec in self.db.execute("SELECT rowid, sha256, codec FROM blobs").fetchall():
            digest = hashlib.sha256()
            try:
                for block in _unpacked(self.db, rowid, codec):
                    digest.update(block)
            except (zlib.error, ValueError):
                return checked, Broken(f"blob {sha}: cannot be read back ({codec})")
            if digest.hexdigest() != sha:
                return checked, Broken(f"blob {sha}: its bytes do not hash to its name: the response was changed")
        return checked, None


def _unpacked(db: Database, rowid: int, codec: str) -> Iterator[bytes]:
    """A blob row's bytes, decompressed a chunk at a time, read through SQLite's blob handle."""
    if codec not in ("zlib", "none"):
        raise ValueError(f"unknown blob codec {codec!r}")
    unpack = zlib.decompressobj() if codec == "zlib" else None
    with db.conn.blobopen("blobs", "data", rowid, readonly=True) as blob:
        while block := blob.read(CHUNK):
            yield unpack.decompress(block) if unpack else block
    if unpack is not None:
        yield unpack.flush()
        if not unpack.eof:
            raise zlib.error("the compressed stream ends early")
