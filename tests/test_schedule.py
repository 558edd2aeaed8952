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


def test_full_walk_auto_follows_the_list_length_and_a_watch_can_set_its_own(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from jobs.config import config_from_dict

    config = config_from_dict(
        {
            "storage": {"db": str(tmp_path / "a.db")},
            "watch": [
                {"name": "county", "url": "http://a.gov.cn/", "section": "监督工作"},
                {"name": "province", "url": "http://b.gov.cn/", "section": "监督工作", "full_walk": "3d"},
            ],
        }
    )
    county, province = config.watches
    assert config.full_walk(county, None) == DAY, "a list of unknown length: every recheck"
    assert config.full_walk(county, 15) == DAY, "15 pages at one every two polls: 15 h, so daily"
    assert config.full_walk(county, 100) == 100 * 3600, "100 pages: 100 h"
    assert config.full_walk(county, 500) == 7 * DAY, "at least weekly"
    assert config.full_walk(province, 500) == 3 * DAY, "a watch's own full_walk wins"
