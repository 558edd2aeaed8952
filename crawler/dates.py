"""Dates as Chinese government pages write them, read as YYYY-MM-DD.

2022-12-02, 2022/12/02, 2022.12.02, [2022-12-02], 2022年12月2日, each with or
without a time after it.
"""

from __future__ import annotations

import datetime as dt
import re

DATE_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})(?:\s*日)?(?!\d)")


def parse_date(text: str) -> str | None:
    """The first valid date in ``text`` as YYYY-MM-DD, else None."""
    for m in DATE_RE.finditer(text):
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            continue
    return None
