"""Character-level marks: exactly which characters of a text were deleted and inserted.

Chinese has no spaces, so a line or word diff says nothing a reader can use: one digit
changed in a 130-character paragraph must show as that digit. ``inline(old, new)`` gives
the whole text as ``[[op, text], ...]`` with op ``=``, ``-`` or ``+``: the ``=`` and ``-``
parts joined are ``old``, the ``=`` and ``+`` parts are ``new``. Paragraphs (the lines of
a stored text) are aligned first and compared character by character only with the
paragraph they became, so a change never bleeds into the next paragraph. The characters
come from diff-match-patch with its semantic clean-up (``2023`` -> ``2024`` is ``3`` ->
``4``, a rewritten clause is one deletion and one insertion, not a confetti of matches).

``excerpt(ops)`` is what a message shows: only the paragraphs with a change, each with up
to ``CONTEXT`` characters of unchanged text on either side of a change, ``…`` for what is
left out. Every channel (and the web view) renders these segments its own way.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from diff_match_patch import diff_match_patch

Op = Literal["=", "-", "+"]
Inline = list[list[str]]  # [[op, text], ...]: JSON as the webhook carries it
CONTEXT = 20  # characters of unchanged text shown on each side of a change
MAX_LINES = 30  # changed paragraphs a message shows; the rest are counted
_OPS: dict[int, Op] = {0: "=", -1: "-", 1: "+"}
_PAIRING_LIMIT = 400  # paragraph pairs scored when aligning a rewritten block; beyond, in order
_SIMILAR = 0.4  # two paragraphs this alike (difflib ratio) are one paragraph edited


def inline(old: str | None, new: str | None) -> Inline:
    """The whole text as marked runs (see the module docstring): never elided."""
    old, new = old or "", new or ""
    if old == new:
        return [["=", old]] if old else []
    runs: list[tuple[Op, str]] = []
    _Aligner(old.split("\n"), new.split("\n"), runs).run()
    return _merged(runs)


def joined(ops: Inline, side: Literal["old", "new"]) -> str:
    """The text one side of the marks spells: ``old`` from ``=`` and ``-``, ``new`` from ``=`` and ``+``."""
    keep = "-" if side == "old" else "+"
    return "".join(text for op, text in ops if op in ("=", keep))


@dataclass
class _Aligner:
    """Paragraph alignment, then characters within each pair of paragraphs."""

    old: list[str]
    new: list[str]
    runs: list[tuple[Op, str]]
    old_started: bool = False
    new_started: bool = False

    def run(self) -> None:
        matcher = difflib.SequenceMatcher(None, self.old, self.new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                for paragraph in self.old[i1:i2]:
                    self._both(paragraph, [("=", paragraph)])
            else:
                self._block(self.old[i1:i2], self.new[j1:j2])

    def _block(self, old: list[str], new: list[str]) -> None:
        if old and new and "".join(old) == "".join(new):  # paragraphs split or merged: only breaks differ
            self._both("", _chars("\n".join(old), "\n".join(new)))
            return
        i = j = 0
        for a, b in _pairs(old, new):
            while i < a:
                self._old_only(old[i])
                i += 1
            while j < b:
                self._new_only(new[j])
                j += 1
            self._both(old[a], _chars(old[a], new[b]))
            i, j = a + 1, b + 1
        for paragraph in old[i:]:
            self._old_only(paragraph)
        for paragraph in new[j:]:
            self._new_only(paragraph)

    def _separator(self, on_old: bool, on_new: bool) -> None:
        """The paragraph break before a paragraph, on the sides that already have one."""
        brk_old, brk_new = on_old and self.old_started, on_new and self.new_started
        if brk_old and brk_new:
            self.runs.append(("=", "\n"))
        elif brk_old:
            self.runs.append(("-", "\n"))
        elif brk_new:
            self.runs.append(("+", "\n"))
        self.old_started |= on_old
        self.new_started |= on_new

    def _both(self, _paragraph: str, runs: list[tuple[Op, str]]) -> None:
        self._separator(True, True)
        self.runs.extend(runs)

    def _old_only(self, paragraph: str) -> None:
        self._separator(True, False)
        self.runs.append(("-", paragraph))

    def _new_only(self, paragraph: str) -> None:
        self._separator(False, True)
        self.runs.append(("+", paragraph))


def _pairs(old: list[str], new: list[str]) -> list[tuple[int, int]]:
    """Which paragraphs of a rewritten block became which: the in-order pairing of alike
    paragraphs with the greatest total likeness (dynamic programming over the block)."""
    n, m = len(old), len(new)
    if n * m > _PAIRING_LIMIT:
        return [(k, k) for k in range(min(n, m))]
    like = [[_likeness(a, b) for b in new] for a in old]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            paired = like[i][j] + best[i + 1][j + 1] if like[i][j] >= _SIMILAR else -1.0
            best[i][j] = max(paired, best[i + 1][j], best[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if like[i][j] >= _SIMILAR and best[i][j] == like[i][j] + best[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _likeness(a: str, b: str) -> float:
    if not a or not b:
        return 1.0 if a == b else 0.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.ratio() if matcher.quick_ratio() >= _SIMILAR else 0.0


def _chars(old: str, new: str) -> list[tuple[Op, str]]:
    engine = diff_match_patch()
    engine.Diff_Timeout = 0.5  # a pathological pair gets a coarser diff, never a hang
    diffs = engine.diff_main(old, new, False)
    engine.diff_cleanupSemantic(diffs)
    return [(_OPS[op], text) for op, text in diffs]


def _merged(runs: list[tuple[Op, str]]) -> Inline:
    """One run per op between unchanged text, the deletion before the insertion (each side's
    own order is kept, so the joins still spell old and new)."""
    out: Inline = []
    deleted, inserted = "", ""
    for op, text in [*runs, ("=", "")]:
        if op == "-":
            deleted += text
        elif op == "+":
            inserted += text
        else:
            out += [[o, t] for o, t in (("-", deleted), ("+", inserted)) if t]
            deleted, inserted = "", ""
            if text and out and out[-1][0] == "=":
                out[-1][1] += text
            elif text:
                out.append(["=", text])
    return out


# -- what a message shows -------------------------------------------------------------------------
Segment = tuple[str, str]  # (op, text); op "=", "-", "+" or "…" (text left out)


@dataclass(frozen=True)
class Excerpt:
    lines: list[list[Segment]]  # the changed paragraphs, elided
    more: int = 0  # changed paragraphs not shown (over MAX_LINES)


def excerpt(ops: Inline, context: int = CONTEXT, max_lines: int = MAX_LINES) -> Excerpt:
    """The changed paragraphs only, each cut to ``context`` characters around its changes."""
    changed = [line for line in _lines(ops) if any(op != "=" for op, _ in line)]
    shown = [_elided(line, context) for line in changed[:max_lines]]
    return Excerpt(shown, max(0, len(changed) - max_lines))


def _lines(ops: Inline, pilcrows: bool = True) -> list[list[Segment]]:
    """Runs split into paragraphs. A break inside a changed run ends the line too (a deleted or
    added paragraph is its own line); a run that is only breaks (paragraphs split or merged)
    shows as ``¶`` where it happened (``pilcrows``) or breaks the line like any other."""
    lines: list[list[Segment]] = [[]]
    for op, text in ops:
        if pilcrows and op != "=" and text.strip("\n") == "":
            lines[-1].append((op, "¶" * text.count("\n")))
            continue
        for k, piece in enumerate(text.split("\n")):
            if k:
                lines.append([])
            if piece:
                lines[-1].append((op, piece))
    return lines


def _elided(line: list[Segment], context: int) -> list[Segment]:
    out: list[Segment] = []
    last = len(line) - 1
    for k, (op, text) in enumerate(line):
        if op != "=" or (k == 0 and k == last):
            out.append((op, text))
        elif k == 0:
            out += [("…", ""), ("=", text[-context:])] if len(text) > context else [("=", text)]
        elif k == last:
            out += [("=", text[:context]), ("…", "")] if len(text) > context else [("=", text)]
        elif len(text) > 2 * context:
            out += [("=", text[:context]), ("…", ""), ("=", text[-context:])]
        else:
            out.append((op, text))
    return out


def whole(ops: Inline) -> list[list[Segment]]:
    """Short fields (a title, a source): every paragraph, nothing elided."""
    return [line for line in _lines(ops) if line]


def side(ops: Inline, which: Literal["old", "new"]) -> list[list[Segment]]:
    """One version's text as paragraphs, with only its own marks (deletions in the old one,
    insertions in the new one): a side-by-side view's column."""
    keep = "-" if which == "old" else "+"
    return [line for line in _lines([run for run in ops if run[0] in ("=", keep)], pilcrows=False) if line]
