"""When a stored report is re-checked: by its age, as edits come.

Reports are edited mostly soon after they are published or changed; a year-old report rarely
is. So a report is re-fetched every ``recheck`` (24 h by default) in its first week, every 7
x ``recheck`` until it is three months old, every 30 x until a year, and every 365 x after
(``AGES``). Its age counts from the later of its publication date and its last change (its
first sighting when it shows no date). A re-check also happens at once when a list shows the
report's entry changed (its title or date), and ``recheck = "0s"`` re-fetches every report on
every poll. ``by_age = False`` is release 0.1.0's policy: every report once per ``recheck``.

What re-checks and complete walks may cost is bounded on average (jobs/poll.py): each poll earns
``requests_per_poll`` requests of credit, spends it on its walk and re-checks (news, such as new
reports, is never held back), youngest due reports first; a long walk spends ahead and later polls
re-check less. A long section's old reports therefore wait longer than the table says.
"""

from __future__ import annotations

import datetime as dt

DAY = 86400.0
AGES = ((7 * DAY, 1), (90 * DAY, 7), (365 * DAY, 30))  # (younger than, times recheck)
OLDEST = 365  # older than a year: times recheck
NOW_DUE = "1970-01-01T00:00:00+00:00"  # a due time before any poll: re-checked by the next one


def age_anchor(published: str | None, first_seen: str | None, changed_at: str | None) -> dt.datetime | None:
    """The moment a report's age counts from: the later of its publication date and its last
    change; its first sighting when it shows no date."""
    moments = [_moment(changed_at)]
    moments.append(_moment(published) if published else _moment(first_seen))
    found = [m for m in moments if m is not None]
    return max(found) if found else None


def tier(anchor: dt.datetime | None, now: dt.datetime) -> int:
    """A report's age bucket: 0 = its first week, 1 = to three months, 2 = to a year, 3 = older.
    A poll re-checks the youngest due reports first."""
    if anchor is None:
        return 0
    age = (now - anchor).total_seconds()
    return next((i for i, (younger_than, _) in enumerate(AGES) if age < younger_than), len(AGES))


def recheck_after(recheck: float, anchor: dt.datetime | None, now: dt.datetime, by_age: bool = True) -> float:
    """Seconds until the next re-check of a report of this age."""
    if not recheck or not by_age or anchor is None:
        return recheck
    bucket = tier(anchor, now)
    return recheck * (AGES[bucket][1] if bucket < len(AGES) else OLDEST)


def _moment(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
