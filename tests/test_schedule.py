"""What is due when: the re-check schedule by age (domain.schedule), as the README states it."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.schedule import DAY, age_anchor, recheck_after

NOW = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


def ago(days: float) -> str:
    return (NOW - dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("age_days", "every_days"),
    [(0, 1), (6.9, 1), (7, 7), (89, 7), (90, 30), (364, 30), (365, 365), (3000, 365)],
)
def test_a_report_is_rechecked_daily_in_its_first_week_then_weekly_monthly_yearly(age_days: float, every_days: int):
    anchor = age_anchor(ago(age_days), ago(age_days), None)
    assert recheck_after(DAY, anchor, NOW) == every_days * DAY


def test_age_counts_from_the_later_of_publication_and_last_change() -> None:
    assert age_anchor(ago(400), ago(400), ago(2)) == NOW - dt.timedelta(days=2)  # edited two days ago: daily
    assert age_anchor(None, ago(3), None) == NOW - dt.timedelta(days=3)  # no date shown: since first seen
    assert age_anchor("2026-11-01", ago(1), None) == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def test_recheck_scales_the_table_and_zero_or_the_0_1_0_policy_keep_their_meaning() -> None:
    year_old = age_anchor(ago(500), ago(500), None)
    assert recheck_after(12 * 3600, year_old, NOW) == 365 * 12 * 3600
    assert recheck_after(0, year_old, NOW) == 0, 'recheck = "0s": every report on every poll'
    assert recheck_after(DAY, year_old, NOW, by_age=False) == DAY, "release 0.1.0: every report once per recheck"
