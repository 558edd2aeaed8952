"""How the command line shows a poll, a report's history and its latest change, as text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from domain.change import diff_order, text_diff
from jobs.result import PollResult


def poll_lines(results: list[PollResult]) -> Iterator[tuple[str, bool]]:
    """(line, to stderr) for each watch's events and problems and its summary line, then, when
    more than one watch was polled, the total line."""
    for result in results:
        for kind, url, title in result.events:
            yield f"{kind:<8} {title}  {url}", False
        for problem in result.problems:
            yield f"problem: {result.watch}: {problem}" if len(results) > 1 else f"problem: {problem}", True
        yield result.summary(), False
    if len(results) > 1:
        total = {k: sum(getattr(r, k) for r in results) for k in ("new", "changed", "restored", "removed", "requests")}
        failed = sum(1 for r in results if not r.ok)
        seconds = sum(r.seconds for r in results)
        counts = " ".join(f"{k}={v}" for k, v in total.items())
        yield f"poll: total watches={len(results)} failed={failed} {counts} seconds={seconds:.1f}", False


def history_lines(entries: list[dict[str, Any]], versions: list[dict[str, Any]]) -> Iterator[str]:
    by_version = {v["version"]: v for v in versions}
    for entry in entries:
        kind, at, number = entry["kind"], entry["at"], entry["version"]
        if kind == "version":
            fields = entry["changed_fields"]
            what = "first seen" if number == 1 else ("changed: " + ", ".join(fields) if fields else "listed again")
            v = by_version[number]
            yield f"version {number}  {at}  {what}"
            yield f"  {v['title']}  ({v['published'] or 'no date'}, {len(v['text'])} characters)"
        elif kind == "re-extracted":
            fields, extractor = ", ".join(entry["changed_fields"]), by_version[number]["extractor_version"]
            yield f"re-extracted {at}  (version {number}, extractor {extractor}: {fields})"
        elif kind == "removed":
            how = f"confirmed by {entry['removal']['confirmed_by']}, " if entry.get("removal") else ""
            yield f"removed    {at}  ({how}was version {number})"
        else:
            what = "changed: " + ", ".join(entry["changed_fields"]) if entry["changed_fields"] else "unchanged"
            yield f"restored   {at}  (version {number}, {what})"


def diff_lines(versions: list[dict[str, Any]], url: str) -> Iterator[str]:
    """The latest change: each changed field, the text as a unified diff."""
    changed = [v for v in versions if v["changed_fields"]]
    if not changed:
        yield f"{url}: no change recorded (version {versions[-1]['version']} is as first seen)"
        return
    new = changed[-1]
    old = next(v for v in versions if v["version"] == new["version"] - 1)
    how = ", re-extracted by a newer extractor: not an edit of the page" if new["reextracted"] else ""
    yield f"{url}: version {old['version']} -> {new['version']} ({new['stored_at']}{how})"
    for name in diff_order():
        if name not in new["changed_fields"]:
            continue
        if name == "text":
            yield text_diff(old["text"], new["text"], url)
        else:
            before, after = (json.dumps(v[name], ensure_ascii=False) for v in (old, new))
            yield f"{name}:\n- {before}\n+ {after}"
