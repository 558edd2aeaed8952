"""One extraction tool in a process of its own, timed on command (bench/extraction.py).

    python bench/extract_worker.py TOOL PAGES.json [CODE_ROOT]

TOOL is ours | trafilatura | trafilatura-bare | gne | floor; CODE_ROOT is the checkout whose
``crawler`` "ours" imports (another commit's, to compare releases). Commands on stdin, one
per line: ``round`` runs the tool once over every page and prints the seconds per page
group as JSON; ``outputs`` prints [title, date, text] per page; ``quit``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

Output = tuple[str | None, str | None, str]


def tool(name: str, root: Path) -> Callable[[str, str], Output]:
    if name == "ours":
        sys.path.insert(0, str(root))
        from crawler.extract import extract_report
        from crawler.models import Page

        def ours(url: str, html: str) -> Output:
            report = extract_report(Page(url, url, 200, html))
            return report.title, report.published, report.text

        return ours
    if name in ("trafilatura", "trafilatura-bare"):
        import trafilatura

        if name == "trafilatura":  # what a user calls: the text

            def plain(url: str, html: str) -> Output:
                return None, None, trafilatura.extract(html, url=url) or ""

            return plain

        def bare(url: str, html: str) -> Output:
            doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
            data = (doc.as_dict() if hasattr(doc, "as_dict") else doc) if doc is not None else {}
            return data.get("title"), data.get("date"), data.get("text") or ""

        return bare
    if name == "gne":
        from gne import GeneralNewsExtractor

        extractor = GeneralNewsExtractor()

        def gne(url: str, html: str) -> Output:
            try:
                data = extractor.extract(html)
            except Exception:  # GNE raises on some pages: an empty answer, as a user would see
                return None, None, ""
            return data.get("title"), (data.get("publish_time") or "")[:10] or None, data.get("content") or ""

        return gne
    if name == "floor":
        from selectolax.lexbor import LexborHTMLParser

        def floor(url: str, html: str) -> Output:
            tree = LexborHTMLParser(html)
            return None, None, tree.body.text() if tree.body else ""

        return floor
    raise SystemExit(f"unknown tool {name}")


def main() -> None:
    name, pages_file = sys.argv[1], Path(sys.argv[2])
    root = Path(sys.argv[3]) if len(sys.argv) > 3 else Path(__file__).resolve().parent.parent
    pages = json.loads(pages_file.read_text(encoding="utf-8"))
    run = tool(name, root)
    run(pages[0]["url"], pages[0]["html"])  # warm up: imports, caches
    source = sys.modules["crawler.extract"].__file__ if name == "ours" else name
    print(f"ready {source}", flush=True)
    for command in sys.stdin:
        command = command.strip()
        if command == "round":
            seconds: dict[str, float] = {}
            for page in pages:
                started = time.perf_counter()
                run(page["url"], page["html"])
                seconds[page["group"]] = seconds.get(page["group"], 0.0) + time.perf_counter() - started
            print(json.dumps(seconds), flush=True)
        elif command == "outputs":
            print(json.dumps([run(p["url"], p["html"]) for p in pages], ensure_ascii=False), flush=True)
        else:
            break


if __name__ == "__main__":
    main()
