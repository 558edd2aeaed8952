"""The command line with a deliberately changed extractor (tests/test_reextraction.py).

Stands for the next release's extractor: it reads every title with a trailing "（全文）"
and says so by its version, one above this release's. Run as
``python tests/changed_extractor.py --config FILE poll``.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler import extract
from crawler.models import Page, Report
from crawler.profile import Selectors

SUFFIX = "（全文）"
_released = extract.extract_report


def changed_extract_report(page: Page, selectors: Selectors | None = None) -> Report:
    report = _released(page, selectors)
    return replace(report, title=f"{report.title}{SUFFIX}") if report.title else report


extract.extract_report = changed_extract_report
extract.EXTRACTOR_VERSION += 1

if __name__ == "__main__":
    import schedule

    sys.argv[0] = "ayrdw-watch"
    schedule.main()
