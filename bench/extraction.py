"""Extraction speed and accuracy, side by side: every tool on the same pages, each in a worker
process of its own, in interleaved rounds whose order rotates (A B C, B C A, C A B ...), so
a slow moment of the machine falls on every tool alike.

Tools: ours; trafilatura's ``extract`` (what a user would call: the baseline) and its
``bare_extraction`` with metadata (title and date); GNE when installed; the floor (lexbor's
parse and ``body.text()``, which no extractor can beat); and, with ``--against REV``, ours
as another commit has it. Pages, reported apart: the fixture site's report pages (3
layouts), the real articles of tests/realpages the heuristics were tuned on, and the ones
held out (never tuned on).
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import ROOT, SECTION, Figures, fmt, spread
from crawler.charset import decode_html
from fixturesite.site import FixtureSite

GROUPS = ("fixture", "real", "held-out")


def pages() -> list[dict[str, Any]]:
    found = []
    for layout in ("table-gbk", "trs", "modern"):
        site = FixtureSite(layout, noise=True)
        for report in site.sections[SECTION]:
            path = site.report_path(report.slug)
            _, headers, body = site.handle("GET", path, {})
            text, _ = decode_html(body, headers.get("Content-Type"))
            url = "http://127.0.0.1" + path
            found.append({"group": "fixture", "url": url, "html": text, "truth": report.expected(url)})
    for truth_file in sorted((ROOT / "tests" / "realpages").glob("*.truth.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        if truth["kind"] != "article":
            continue
        text, _ = decode_html(truth_file.with_name(truth_file.name.replace(".truth.json", ".html")).read_bytes())
        url = truth.get("page_url") or f"http://{truth['site']}/a.html"
        found.append({"group": "held-out" if truth.get("held_out") else "real", "url": url, "html": text,
                      "truth": truth})  # fmt: skip
    return found


class Worker:
    def __init__(self, name: str, pages_file: Path, root: Path) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "extract_worker.py"), name.split("@")[0], str(pages_file),
             str(root)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8", cwd=root,
        )  # fmt: skip
        ready = self.ask(None)
        assert ready.startswith("ready"), f"{name} did not start"
        if name.startswith("ours"):  # the code asked for, not the installed one
            assert ready.split(" ", 1)[1].startswith(str(root)), ready

    def ask(self, command: str | None) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if command is not None:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        self.ask("quit") if self.proc.poll() is None else None
        self.proc.wait(timeout=30)


def run(figures: Figures, rounds: int = 9, against: Path | None = None) -> None:
    chosen = pages()
    tools = ["ours", "trafilatura", "trafilatura-bare", "floor"]
    if importlib.util.find_spec("gne") is not None:
        tools.insert(3, "gne")
    roots = {t: ROOT for t in tools}
    if against is not None:
        tools.insert(1, "ours@" + against.name)
        roots[tools[1]] = against
    with tempfile.TemporaryDirectory() as tmp:
        pages_file = Path(tmp) / "pages.json"
        pages_file.write_text(json.dumps([{k: p[k] for k in ("group", "url", "html")} for p in chosen]), "utf-8")
        workers = {t: Worker(t, pages_file, roots[t]) for t in tools}
        try:
            seconds: dict[str, list[dict[str, float]]] = {t: [] for t in tools}
            for r in range(rounds):
                for t in tools[r % len(tools) :] + tools[: r % len(tools)]:
                    seconds[t].append(json.loads(workers[t].ask("round")))
            outputs = {t: json.loads(workers[t].ask("outputs")) for t in tools}
        finally:
            for worker in workers.values():
                worker.close()
    counts = Counter(p["group"] for p in chosen)
    for t in tools:
        for group in (*GROUPS, "pooled"):
            n = len(chosen) if group == "pooled" else counts[group]
            rates = [n / (sum(s.values()) if group == "pooled" else s[group]) for s in seconds[t]]
            how = f"{n} pages, {rounds} interleaved rounds, order rotated, one worker process per tool"
            figures.add(f"extraction.{t}.{group}.pages_per_second", spread(rates), "pages/s", how)
        for group in GROUPS:
            for field, value in _accuracy(chosen, outputs[t], group).items():
                figures.add(f"extraction.{t}.{group}.{field}_accuracy", value, "share of pages", _HOW[field])
    _ratios(figures, tools)
    _print(figures, tools, counts, rounds)


_HOW = {
    "title": "title equal to the truth",
    "date": "date equal to the truth (YYYY-MM-DD)",
    "body": "fixture pages: character-bigram F1 of the text; real pages: first and last paragraph found",
}


def _accuracy(chosen: list[dict[str, Any]], outputs: list[list[Any]], group: str) -> dict[str, float | None]:
    pairs = [(p, o) for p, o in zip(chosen, outputs, strict=True) if p["group"] == group]
    if not pairs:
        return {}
    title = [o[0] == p["truth"]["title"] for p, o in pairs] if any(o[0] for _, o in pairs) else None
    date = [o[1] == p["truth"]["published"] for p, o in pairs] if any(o[1] for _, o in pairs) else None
    body = [_body_score(o[2], p) for p, o in pairs]
    return {
        "title": sum(title) / len(pairs) if title is not None else None,
        "date": sum(date) / len(pairs) if date is not None else None,
        "body": sum(body) / len(pairs),
    }


def _bigrams(text: str) -> Counter:
    s = re.sub(r"\s+", "", text)
    return Counter(s[i : i + 2] for i in range(len(s) - 1))


def _body_score(got: str, page: dict[str, Any]) -> float:
    truth = page["truth"]
    if page["group"] == "fixture":
        a, b = _bigrams(got), _bigrams(truth["text"])
        overlap = sum((a & b).values())
        if not overlap:
            return 0.0
        precision, recall = overlap / sum(a.values()), overlap / sum(b.values())
        return 2 * precision * recall / (precision + recall)
    squeeze = lambda s: re.sub(r"\s+", "", s or "")  # noqa: E731
    if truth["first_paragraph"] is None:
        return 1.0 if not squeeze(got) else 0.0
    return float(squeeze(truth["first_paragraph"]) in squeeze(got) and squeeze(truth["last_paragraph"]) in squeeze(got))


def _ratios(figures: Figures, tools: list[str]) -> None:
    def median(tool: str) -> float:
        return figures.data[f"extraction.{tool}.pooled.pages_per_second"]["median"]

    for other in [t for t in tools if t != "ours"]:
        figures.add(f"extraction.ours_over_{other}", median("ours") / median(other), "ratio",
                    "pooled pages/s, medians of the same interleaved rounds")  # fmt: skip


def _print(figures: Figures, tools: list[str], counts: Counter, rounds: int) -> None:
    d = figures.data
    print(f"\n2. Extraction ({counts['fixture']} fixture report pages of 3 layouts, {counts['real']} real articles"
          f" tuned on, {counts['held-out']} held out;")  # fmt: skip
    print(f"   {rounds} interleaved rounds, order rotated, a worker process per tool)")
    print(f"   {'tool':<22} {'pooled pages/s':>22} {'fixture':>8} {'real':>8} {'held-out':>9}"
          "   title/date/body accuracy: fixture | real | held-out")  # fmt: skip
    for t in tools:
        rates = [d[f"extraction.{t}.{g}.pages_per_second"]["median"] for g in GROUPS]
        acc = []
        for g in GROUPS:
            cells = [d.get(f"extraction.{t}.{g}.{f}_accuracy", {}).get("value") for f in ("title", "date", "body")]
            acc.append("/".join("-" if c is None else f"{c:.2f}" for c in cells))
        print(f"   {t:<22} {fmt(d[f'extraction.{t}.pooled.pages_per_second'], 0):>22} {rates[0]:>8.0f}"
              f" {rates[1]:>8.0f} {rates[2]:>9.0f}   {' | '.join(acc)}")  # fmt: skip
    for t in tools:
        if t != "ours":
            print(f"   ours / {t}: {d[f'extraction.ours_over_{t}']['value']:.2f}x")
