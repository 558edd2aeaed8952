"""`make bench`: what a poll costs the site and us, and how fast and how well we extract,
each measured side by side in one run (never part of `make test`).

1. requests and bytes per poll (bench/polls.py);
2. extraction speed and accuracy against trafilatura, GNE and the floor, interleaved
   (bench/extraction.py), and the real-page field checks, held-out pages apart;
3. a poll against archive size, with re-checks due (bench/archive.py);
4. memory of polls that extract and store, and of the service (bench/memory.py);
5. command-line start against `python -c pass` (bench/startup.py);
6. search latency over 10,000 reports against a LIKE scan (bench/search.py);
7. idle polls over a simulated week by section size, re-checks by age beside 0.1.0 (bench/week.py);
8. a thousand watches on one process (bench/fleet.py; `--quick` or BENCH=quick: 100 watches,
   that section alone, in under 3 minutes).

Prints a table (median [min-max]) and writes bench/results.json: one key per figure, with
its unit and how it was measured. ``--against PATH`` (a checkout of another commit, e.g.
``git worktree add /tmp/base <rev>``) times that commit's extractor and command line in the
same rounds. ``--only extraction,startup`` runs some sections.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import archive, extraction, fleet, memory, polls, search, startup, week
from bench.common import ROOT, Figures

SECTIONS = ("polls", "extraction", "corpus", "archive", "memory", "startup", "search", "week", "fleet")


def corpus_checks(figures: Figures) -> None:
    """The regression checks of tests/realpages, on the pages tuned on and, apart, on the pages
    held out (nobody tunes on them: their figure is the honest one)."""
    from tests.corpus import score

    print("\n2b. Real-page field checks (title, date, source, credits, attachments, first/last paragraph,")
    print("    chrome; items and next page of lists), as tests/test_realpages.py runs them")
    for name, held_out in (("tuned", False), ("held_out", True)):
        result = score(held_out=held_out)
        figures.add(f"corpus.{name}.checks_passed", result["passed"], "checks", f"of {result['checks']}")
        figures.add(f"corpus.{name}.accuracy", result["accuracy"], "share of checks", ", ".join(result["failed"]))
        print(f"   {name:<9} {result['passed']}/{result['checks']} = {result['accuracy']:.1%}  failing: "
              f"{', '.join(result['failed']) or 'none'}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", type=Path, help="a checkout of another commit to time side by side")
    parser.add_argument("--only", help="comma-separated sections: " + ", ".join(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="the 100-watch fleet alone (also: BENCH=quick)")
    args = parser.parse_args()
    quick = args.quick or os.environ.get("BENCH") == "quick"
    only = set((args.only or ("fleet" if quick else ",".join(SECTIONS))).split(","))
    against = args.against.resolve() if args.against else None
    started = time.monotonic()
    figures = Figures()
    print(f"ayrdw-watch benchmarks ({os.cpu_count()} cores, Python {sys.version.split()[0]}); median [min-max]")
    if "polls" in only:
        polls.run(figures)
    if "extraction" in only:
        extraction.run(figures, against=against)
    if "corpus" in only:
        corpus_checks(figures)
    if "archive" in only:
        archive.run(figures)
    if "memory" in only:
        memory.run(figures)
    if "startup" in only:
        startup.run(figures, ROOT, against=against)
    if "search" in only:
        search.run(figures)
    if "week" in only:
        week.run(figures)
    if "fleet" in only:
        fleet.run(figures, quick=quick)
    figures.add("seconds", time.monotonic() - started, "s", "wall time of this run")
    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps(figures.data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT)} in {figures.data['seconds']['value']:.0f}s")


if __name__ == "__main__":
    main()
