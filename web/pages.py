"""The web view's pages: server-rendered HTML (Jinja2, autoescaped), no JavaScript.

    /                            every watch, its health and counts; the latest events
    /w/<watch>/                  its reports, newest first, paged, filtered
    /w/<watch>/r/<id>            one report: fields, body, versions and events in time order
    /w/<watch>/r/<id>/diff       two versions side by side, marked to the character
    /search?q=&watch=            reports across watches, matches highlighted

Times are written in [notify] timezone. Marks come from domain.marks, as in the messages.
"""

from __future__ import annotations

import datetime as dt
import html
import zoneinfo
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from domain import marks
from domain.report import CREDIT_LABELS, FIELDS
from domain.times import utcnow
from jobs.config import Config
from jobs.version import VERSION
from notify.story import confirmation, file_detail
from storage.browse import Filters
from storage.search import MARK_END, MARK_START, Query
from web.reading import reading

PAGE_SIZE = 50
FILTERS = (("all", "全部"), ("active", "在线"), ("removed", "已删除"), ("changed", "近期修改"))


@cache
def _templates(zone: str) -> Environment:
    """The templates, their times written in ``zone`` (one environment per zone, set up once)."""
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(default=True)
    )
    env.filters["local"] = _local(zone)
    env.filters["file_detail"] = file_detail  # an attachment's kept file: type, size, hash start
    return env


def _local(zone: str) -> Any:
    tz = zoneinfo.ZoneInfo(zone)

    def local(moment: str | None) -> str:
        if not moment:
            return ""
        try:
            when = dt.datetime.fromisoformat(str(moment))
        except ValueError:
            return str(moment)
        return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(tz).strftime("%Y-%m-%d %H:%M")

    return local


def _page(config: Config, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    env = _templates(config.notify.timezone)
    root = (request.scope.get("root_path") or "").rstrip("/")
    body = env.get_template(template).render(
        root=root, zone=config.notify.timezone, version=VERSION, q=context.pop("q", ""), **context
    )
    return HTMLResponse(body, status_code=status)


def not_found(config: Config, request: Request, what: str) -> HTMLResponse:
    env = _templates(config.notify.timezone)
    inner = f'<h1>找不到</h1><p class="muted">{html.escape(what)}</p><p><a href="/">返回概览</a></p>'
    page = env.from_string('{% extends "base.html" %}{% block title %}找不到{% endblock %}{% block main %}'
                           "{{ inner }}{% endblock %}")  # fmt: skip
    body = page.render(root="", zone=config.notify.timezone, version=VERSION, q="", inner=Markup(inner))
    return HTMLResponse(body, status_code=404)


# -- / --------------------------------------------------------------------------------------------
def index(config: Config, request: Request) -> Response:
    """The watches, WATCHES_PER_PAGE at a time (a thousand watches stay one quick page each), and
    the latest events."""
    from jobs.status import watch_names, watches_overview
    from storage.lock import holder

    raw_page = request.query_params.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1
    with reading(config) as archive:
        names = watch_names(config, archive)
        shown = names[(page - 1) * WATCHES_PER_PAGE : page * WATCHES_PER_PAGE]
        watches = watches_overview(config, archive, utcnow(), holder(config.storage.db), shown) if shown else []
        events = archive.browse.latest_events(None, 20, baseline=False)
        baselines = archive.browse.baselines()
    return _page(config, request, "index.html", watches=watches, events=[_event(e) for e in events],
                 baselines=baselines, page=page, total=len(names),
                 more=page * WATCHES_PER_PAGE < len(names))  # fmt: skip


def _event(e: dict[str, Any]) -> dict[str, Any]:
    payload = e["payload"]
    changes = payload.get("changes") or {}
    first = next(iter(changes.items()), None)
    change, label = None, ""
    if first:
        name, entry = first
        ops = entry.get("inline") if isinstance(entry, dict) else None
        if not isinstance(ops, list):
            ops = marks.inline(str(entry.get("old") or ""), str(entry.get("new") or ""))
        lines = marks.excerpt(ops).lines
        change = lines[0] if lines else None
        label = next((f.label for f in FIELDS if f.name == name), name)
    report = payload.get("report") or {}
    return {**e, "title": report.get("title") or e["url"], "change": change, "change_label": label}


WATCHES_PER_PAGE = 24


# -- /w/<watch>/ ----------------------------------------------------------------------------------
def watch(config: Config, request: Request) -> Response:
    name = request.path_params["watch"]
    show = request.query_params.get("show", "all")
    show = show if show in dict(FILTERS) else "all"
    raw_page = request.query_params.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1
    with reading(config) as archive:
        if name not in archive.browse.watches() and config.watch(name) is None:
            return not_found(config, request, f"没有名为 {name} 的监测。")
        status = show if show in ("active", "removed") else None
        filters = Filters(name, status, None, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE, changed=show == "changed")
        reports = archive.browse.reports(filters)
    configured = config.watch(name)
    return _page(
        config, request, "watch.html", watch=name, section=configured.section if configured else name,
        site=configured.url if configured else None, filters=FILTERS, show=show, page=page,
        reports=reports[:PAGE_SIZE], more=len(reports) > PAGE_SIZE, search_watch=name,
    )  # fmt: skip


# -- /w/<watch>/r/<id> ----------------------------------------------------------------------------
def _report(config: Config, request: Request, archive: Any) -> dict[str, Any] | None:
    found = archive.browse.report(request.path_params["report_id"])
    if found is None or found["watch"] != request.path_params["watch"]:
        return None
    return found


def report(config: Config, request: Request) -> Response:
    with reading(config) as archive:
        found = _report(config, request, archive)
        history = archive.queries.history(found["url"], found["watch"]) if found else []
    if found is None:
        return not_found(config, request, "这个监测下没有这份报告。")
    labels = {f.name: f.label for f in FIELDS}
    for entry in history:
        entry["changed_fields"] = [labels.get(name, name) for name in entry.get("changed_fields") or ()]
        if entry["kind"] == "removed" and entry.get("removal"):
            entry["how"] = confirmation(entry["removal"])
    removal = None
    last = next((e for e in reversed(found["events"]) if e["kind"] in ("removed", "restored")), None)
    if found["status"] == "removed" and last and last["kind"] == "removed":
        how = last.get("removal") or {}
        removal = {"at": last["occurred_at"], "how": confirmation(how), "last_seen_live": how.get("last_seen_live")}
    restored_at = last["occurred_at"] if last and last["kind"] == "restored" and found["status"] == "active" else None
    configured = config.watch(found["watch"])
    return _page(
        config, request, "report.html", r=found, facts=_facts(found, config), history=history,
        paragraphs=[p for p in (found.get("text") or "").split("\n") if p.strip()], removal=removal,
        restored_at=restored_at, section=configured.section if configured else found["watch"],
        search_watch=found["watch"],
    )  # fmt: skip


def _facts(r: dict[str, Any], config: Config) -> list[tuple[str, str]]:
    local = _local(config.notify.timezone)
    facts = [(f.label, str(r.get(f.name) or "—")) for f in FIELDS if f.meta]
    facts += [(CREDIT_LABELS.get(k, k), str(v)) for k, v in (r.get("credits") or {}).items() if v]
    facts += [("首次发现", local(r["first_seen"])), ("最近更新", local(r["updated_at"])),
              ("版本", f"第 {r['version']} 版"), ("状态", "在线" if r["status"] == "active" else "已删除")]  # fmt: skip
    return facts


# -- /w/<watch>/r/<id>/diff -----------------------------------------------------------------------
def diff(config: Config, request: Request) -> Response:
    with reading(config) as archive:
        found = _report(config, request, archive)
    if found is None:
        return not_found(config, request, "这个监测下没有这份报告。")
    versions = found["versions"]
    numbers = [v["version"] for v in versions]
    to = _version(request, "to", numbers[-1], numbers)
    start = _version(request, "from", max(numbers[0], (to or 1) - 1), numbers)
    if start is None or to is None:
        return not_found(config, request, f"这份报告只有第 {numbers[0]}–{numbers[-1]} 版。")
    old, new = versions[numbers.index(start)], versions[numbers.index(to)]
    configured = config.watch(found["watch"])
    return _page(
        config, request, "diff.html", r=found, versions=versions, old=old, new=new, fields=_compared(old, new),
        section=configured.section if configured else found["watch"], search_watch=found["watch"],
    )  # fmt: skip


def _version(request: Request, name: str, default: int, numbers: list[int]) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    return int(raw) if raw.isdigit() and int(raw) in numbers else None


def _compared(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Each field that differs: the text side by side (old with deletions, new with insertions),
    a short field as one marked line."""
    from notify.story import shown

    out = []
    for f in FIELDS:
        a, b = old.get(f.name), new.get(f.name)
        if a == b:
            continue
        ops = marks.inline(shown(a, "") if f.structured else (a or ""), shown(b, "") if f.structured else (b or ""))
        if f.name == "text":
            left, right = marks.side(ops, "old"), marks.side(ops, "new")
            merged = marks.whole(ops)  # a phone shows one column: both marks in one text
            out.append({"label": f.label, "side_by_side": True, "left": left, "right": right, "merged": merged})
        else:
            out.append({"label": f.label, "side_by_side": False, "lines": marks.whole(ops) or [[("=", "（无）")]]})
    return out


# -- /search --------------------------------------------------------------------------------------
def search(config: Config, request: Request) -> Response:
    q = (request.query_params.get("q") or "").strip()
    watch_name = request.query_params.get("watch") or None
    with reading(config) as archive:
        watches = archive.browse.watches()
        if watch_name not in (None, *watches):
            return not_found(config, request, f"没有名为 {watch_name} 的监测。")
        hits = archive.browse.search(Query(q, watch_name, None, PAGE_SIZE + 1)) if q else []
    shown = [(r, _highlighted(s)) for r, s in hits[:PAGE_SIZE]]
    return _page(config, request, "search.html", q=q, hits=shown, more=len(hits) > PAGE_SIZE,
                 watches=watches, search_watch=watch_name)  # fmt: skip


def _highlighted(snippet: str) -> Markup:
    escaped = html.escape(snippet)
    return Markup(escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))
