"""Search: which reports hold some words, ranked, with the words marked in a snippet.

The index is an FTS5 table with the trigram tokenizer over the title, source and text of
each report's latest version (rowid = the report's id), written in the same transaction as
each version (``index``). Trigrams find any substring of 3 or more characters, Chinese
included; a shorter term (公报, 县) cannot use them, so such a term is matched with LIKE
over the same columns. Matches come back best first (bm25, the title weighing most) with
a snippet (``snippet``) whose matches are wrapped in ``MARK_START`` / ``MARK_END``: each reader (the
command line, the API, the web view) shows them its own way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("ayrdw.search")

INDEX_SQL = "CREATE VIRTUAL TABLE IF NOT EXISTS report_search USING fts5(title, source, text, tokenize = 'trigram')"
MARK_START, MARK_END = "\x02", "\x03"
SNIPPET_CHARS = 24  # around a match, each side
_COLUMNS = ("title", "source", "text")
_ESC = "'\\'"
_BATCH = 2000
_PROGRESS_OVER = 5000  # an archive this large says how far indexing has come


def index(db: Any, report_id: int, fields: dict[str, Any]) -> None:
    """The report's latest version in the index (in the caller's transaction)."""
    db.execute("DELETE FROM report_search WHERE rowid = ?", [report_id])
    db.execute(
        "INSERT INTO report_search (rowid, title, source, text) VALUES (?, ?, ?, ?)",
        [report_id, fields.get("title") or "", fields.get("source") or "", fields.get("text") or ""],
    )


def index_existing(db: Any) -> None:
    """Every report's latest version into the index (the migration that adds it)."""
    total = db.execute("SELECT count(*) FROM reports").fetchone()[0]
    done, last = 0, 0
    while True:
        ids = [r[0] for r in db.execute("SELECT id FROM reports WHERE id > ? ORDER BY id LIMIT ?", [last, _BATCH])]
        if not ids:
            break
        db.execute(
            "INSERT INTO report_search (rowid, title, source, text)"
            " SELECT r.id, coalesce(v.title, ''), coalesce(v.source, ''), coalesce(v.text, '')"
            " FROM reports r JOIN report_versions v ON v.report_id = r.id AND v.version = r.version"
            f" WHERE r.id IN ({','.join('?' * len(ids))})",
            ids,
        )
        done, last = done + len(ids), ids[-1]
        if total > _PROGRESS_OVER:
            log.warning("indexing the archive for search: %d of %d reports", done, total)


@dataclass(frozen=True)
class Query:
    text: str
    watch: str | None = None
    status: str | None = None  # active | removed
    limit: int = 50
    offset: int = 0

    @property
    def terms(self) -> list[str]:
        return [t for t in self.text.split() if t]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def ranked(db: Any, query: Query) -> list[int]:
    """The ids of the reports matching every term of the query, best first. Long terms go
    through the index; short ones are LIKE over the latest versions (a plain table: faster to
    scan than FTS5's). Only ids are sorted: carrying the texts through the sort doubles it."""
    terms = query.terms
    if not terms:
        return []
    long, short = [t for t in terms if len(t) >= 3], [t for t in terms if len(t) < 3]
    where, params = [], []
    joined = ""
    if long:
        joined = " JOIN report_search ON report_search.rowid = r.id"
        where.append("report_search MATCH ?")
        params.append(" AND ".join('"' + t.replace('"', '""') + '"' for t in long))
    for term in short:
        where.append(f"({' OR '.join(f'v.{c} LIKE ? ESCAPE {_ESC}' for c in _COLUMNS)})")
        params += [_like(term)] * len(_COLUMNS)
    if query.watch:
        where.append("r.watch = ?")
        params.append(query.watch)
    if query.status:
        where.append("r.status = ?")
        params.append(query.status)
    if long:
        rank = "bm25(report_search, 10.0, 3.0, 1.0)"
    else:  # LIKE alone: reports whose title holds the terms first, then the newest
        rank = " + ".join([f"(v.title LIKE ? ESCAPE {_ESC})"] * len(short)) + " DESC"
        params += [_like(t) for t in short]
    sql = (
        "SELECT r.id FROM reports r"
        f" JOIN report_versions v ON v.report_id = r.id AND v.version = r.version{joined}"
        f" WHERE {' AND '.join(where)} ORDER BY {rank}, r.updated_at DESC, r.id DESC LIMIT ? OFFSET ?"
    )
    return [rid for (rid,) in db.execute(sql, [*params, query.limit, query.offset]).fetchall()]


def snippet(terms: list[str], *texts: str) -> str:
    """Around the first match of any term in the first of ``texts`` that has one (the body, else
    the title, else the source), every term in it marked. (FTS5's own snippet() marks trigrams,
    which cuts Chinese words apart.)"""
    text = next((t for t in texts if any(term.lower() in t.lower() for term in terms)), texts[0] if texts else "")
    return _around(text, terms)


def _around(text: str, terms: list[str]) -> str:
    positions = [p for p in (text.find(t) for t in terms) if p >= 0]
    start = max(0, min(positions) - SNIPPET_CHARS) if positions else 0
    end = min(len(text), (min(positions) if positions else 0) + 2 * SNIPPET_CHARS + max(map(len, terms)))
    piece = text[start:end].replace("\n", " ")
    for term in sorted(set(terms), key=len, reverse=True):
        piece = piece.replace(term, f"{MARK_START}{term}{MARK_END}")
    return ("…" if start else "") + piece + ("…" if end < len(text) else "")


def plain(snippet: str, start: str = "【", end: str = "】") -> str:
    """A snippet with its marks as characters a terminal shows."""
    return snippet.replace(MARK_START, start).replace(MARK_END, end)
