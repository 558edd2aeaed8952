"""Regression over real government pages nobody here wrote (tests/realpages, see its README).

Each page has a truth file written by reading the HTML; the extractor and the list parser
must agree with it, check by check. Pages marked ``"held_out": true`` are not checked here:
they measure the extractor (``make bench`` reports them apart) and nobody tunes on them.

A check the extractor does not pass yet is listed in KNOWN_FAILURES with the reason; it runs
as a strict expected failure, so the day it passes the list must lose it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus import ARTICLE_CHECKS, LIST_CHECKS, TRUTHS, run_check, truth_of

# (page, check) -> why it fails today.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def cases(kind: str, checks: tuple[str, ...]) -> list:
    found = []
    for truth_file in TRUTHS:
        truth = truth_of(truth_file)
        if truth["kind"] != kind or truth.get("held_out"):
            continue
        name = truth_file.name.split(".")[0]
        for check in checks:
            reason = KNOWN_FAILURES.get((name, check))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            found.append(pytest.param(truth_file, check, id=f"{name}-{check}", marks=marks))
    return found


def test_the_corpus_has_what_it_promises() -> None:
    truths = [truth_of(t) for t in TRUTHS]
    new = [t for t in truths if t.get("chrome_lines") is not None or t["kind"] == "list"]
    assert len(truths) >= 23 and sum(1 for t in truths if t.get("held_out")) >= 4
    assert sum(1 for t in truths if t["kind"] == "list") >= 4 + 3
    assert all("held_out" in t for t in new)


@pytest.mark.parametrize(("truth_file", "check"), cases("article", ARTICLE_CHECKS))
def test_article_fields_match_the_truth(truth_file: Path, check: str) -> None:
    run_check(truth_file, check)


@pytest.mark.parametrize(("truth_file", "check"), cases("list", LIST_CHECKS))
def test_list_items_and_next_page_match_the_truth(truth_file: Path, check: str) -> None:
    run_check(truth_file, check)
