"""The JSON API: ``/api/reports`` (a page of reports, filtered or searched) and
``/api/reports/<id>`` (one report with its versions and events). Reports carry the export's
field names; a search hit adds ``snippet`` (matches in 【】)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse

from jobs.config import Config
from storage.browse import Filters
from storage.search import Query, plain
from web.reading import reading

DEFAULT_LIMIT, MAX_LIMIT = 50, 500


class BadRequest(ValueError):
    """A query parameter a client got wrong: a 400 with this message."""


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
    return int(raw)


def _filters(request: Request, watches: list[str]) -> tuple[Filters, str]:
    params = request.query_params
    watch = params.get("watch") or None
    if watch is not None and watch not in watches:
        raise BadRequest(f"no watch named {watch!r} (the archive has: {', '.join(watches) or 'none'})")
    status = params.get("status") or None
    if status not in (None, "active", "removed"):
        raise BadRequest(f"status must be active or removed, got {status!r}")
    since = params.get("since") or None
    if since is not None:
        try:
            moment = dt.datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            raise BadRequest(f"since must be an ISO 8601 time or date, got {since!r}") from None
        since = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()
    limit = _int(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _int(request, "offset", 0, 0, 10**9)
    return Filters(watch, status, since, limit, offset), (params.get("q") or "").strip()


def reports(config: Config, request: Request) -> JSONResponse:
    try:
        with reading(config) as archive:
            filters, q = _filters(request, archive.browse.watches())
            found = _find(archive, filters, q)
    except BadRequest as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    more = len(found) > filters.limit
    following = None
    if more:
        params = dict(request.query_params) | {"offset": str(filters.offset + filters.limit)}
        following = str(request.url.replace(query=urlencode(params)))
    return JSONResponse({"reports": found[: filters.limit], "next": following})


def _find(archive: Any, filters: Filters, q: str) -> list[dict[str, Any]]:
    """One more than the page holds: whether there is a next page."""
    if not q:
        return archive.browse.reports(Filters(filters.watch, filters.status, filters.since,
                                              filters.limit + 1, filters.offset))  # fmt: skip
    query = Query(q, filters.watch, filters.status, 10_000 if filters.since else filters.limit + 1, filters.offset)
    hits = [{**report, "snippet": plain(snippet)} for report, snippet in archive.browse.search(query)]
    if filters.since:
        hits = [h for h in hits if h["updated_at"] >= filters.since][: filters.limit + 1]
    return hits


def report(config: Config, request: Request) -> JSONResponse:
    report_id = request.path_params["report_id"]
    with reading(config) as archive:
        found = archive.browse.report(report_id)
    if found is None:
        return JSONResponse({"error": f"no report with id {report_id}"}, status_code=404)
    return JSONResponse(found)
