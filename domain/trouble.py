"""What went wrong, by kind: decisions (is a report usable? retry the list? alert whom?) test
the kind, never the words of a message, so rewording a message changes no behaviour."""

from __future__ import annotations

from enum import StrEnum


class ProblemKind(StrEnum):
    # a report page
    NO_TITLE = "no_title"
    NO_DATE = "no_date"
    NO_BODY = "no_body"
    SHORT_BODY = "short_body"
    CHALLENGE = "challenge"
    NOT_FOUND = "not_found"
    TOO_DEEP = "too_deep"
    # a list page, a walk
    NO_ITEMS = "no_items"
    ITEMS_BY_SCRIPT = "items_by_script"
    NO_ITEM_DATES = "no_item_dates"
    PAGE_FAILED = "page_failed"
    MAX_PAGES = "max_pages"


# Kinds that make a page unusable as a report (the others, like a missing date, are warnings).
BLOCKING = frozenset(
    {
        ProblemKind.NO_TITLE,
        ProblemKind.NO_BODY,
        ProblemKind.SHORT_BODY,
        ProblemKind.CHALLENGE,
        ProblemKind.NOT_FOUND,
        ProblemKind.TOO_DEEP,
    }
)


class Problem(str):
    """A problem: its words for people (the string itself, as `extract` and logs print it) and
    its ``kind`` for code."""

    kind: ProblemKind

    def __new__(cls, text: str, kind: ProblemKind) -> Problem:
        problem = super().__new__(cls, text)
        problem.kind = kind
        return problem

    def __reduce__(self) -> tuple:
        return (Problem, (str(self), self.kind))

    def about(self, where: str) -> Problem:
        """The same problem, said of a place: "URL: problem"."""
        return Problem(f"{where}: {self}", self.kind)

    @property
    def blocking(self) -> bool:
        return self.kind in BLOCKING


class Trouble(StrEnum):
    """Trouble with the poll itself, what [[alerts]] hear about (the values are the words of the
    alert payload's "trouble" key and of `status`)."""

    CHALLENGE = "the site answers with challenge pages"
    SECTION_NOT_FOUND = "section not found"
    ZERO_REPORTS = "list page yields zero reports"
    EXTRACTION_FAILS = "extraction fails on most pages (layout changed?)"
    KEEPS_FAILING = "polls keep failing"
