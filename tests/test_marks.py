"""Character-level marks (domain/marks.py): the inline contract every channel relies on, and
the elision rule messages follow."""

from __future__ import annotations

import itertools
import random

import pytest

from domain.marks import CONTEXT, excerpt, inline, joined

REPORT = (
    "为深入贯彻落实党的二十大精神，根据县人大常委会2023年工作要点安排，5月10日至12日，"
    "县人大常委会副主任张三带领调研组，深入全县12个乡镇，对义务教育优质均衡发展情况开展专题调研，"
    "听取了县教育局的工作汇报。\n"
    "调研组认为，近年来，县人民政府高度重视义务教育工作，“县管校聘”改革稳步推进；"
    "但仍存在城乡师资配置不均衡、农村学校（教学点）硬件设施薄弱等问题。\n"
    "调研组要求：一是加强统筹；二是补齐短板；三是强化保障。"
)


def assert_contract(old: str, new: str) -> list[list[str]]:
    ops = inline(old, new)
    assert joined(ops, "old") == old, "= and - joined give the old text"
    assert joined(ops, "new") == new, "= and + joined give the new text"
    assert all(op in ("=", "-", "+") and text for op, text in ops), "every run has an op and some text"
    assert all(a[0] != b[0] for a, b in itertools.pairwise(ops)), "adjacent runs differ in op"
    return ops


def changed(ops: list[list[str]]) -> list[tuple[str, str]]:
    return [(op, text) for op, text in ops if op != "="]


def test_one_digit_is_one_digit() -> None:
    ops = assert_contract(REPORT, REPORT.replace("2023年", "2024年"))
    assert changed(ops) == [("-", "3"), ("+", "4")]


def test_several_edits_across_paragraphs_each_stay_in_their_paragraph() -> None:
    new = (
        REPORT.replace("12个乡镇", "15个乡镇")
        .replace("稳步推进；", "稳步推进，成效明显；")
        .replace("三是强化保障。", "三是强化保障。\n会后，调研组将形成调研报告。")
        .replace("听取了县教育局的工作汇报。", "听取了县教育局、县财政局的工作汇报。")
    )
    ops = assert_contract(REPORT, new)
    assert changed(ops) == [
        ("-", "2"), ("+", "5"), ("+", "、县财政局"), ("+", "，成效明显"), ("+", "\n会后，调研组将形成调研报告。"),
    ]  # fmt: skip
    for _, text in changed(ops):
        assert "\n" not in text.strip("\n"), f"a change never runs into another paragraph: {text!r}"


def test_full_width_punctuation_is_marked_as_itself() -> None:
    old = "调研组要求：一是加强统筹；二是补齐短板。"
    new = "调研组要求:一是加强统筹,二是补齐短板！"
    ops = assert_contract(old, new)
    assert changed(ops) == [("-", "："), ("+", ":"), ("-", "；"), ("+", ","), ("-", "。"), ("+", "！")]
    assert changed(inline("《预算法》", "〈预算法〉")) == [("-", "《"), ("+", "〈"), ("-", "》"), ("+", "〉")]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (REPORT, "（更正）" + REPORT, [("+", "（更正）")]),
        (REPORT, REPORT + "（更正）", [("+", "（更正）")]),
        (REPORT, "新的第一段。\n" + REPORT, [("+", "新的第一段。\n")]),
        (REPORT, REPORT + "\n新的最后一段。", [("+", "\n新的最后一段。")]),
        ("（草稿）" + REPORT, REPORT, [("-", "（草稿）")]),
        (REPORT + "\n附：名单", REPORT, [("-", "\n附：名单")]),
        ("", REPORT, [("+", REPORT)]),
        (REPORT, "", [("-", REPORT)]),
    ],
    ids=["start", "end", "paragraph-first", "paragraph-last", "cut-start", "cut-last", "from-empty", "to-empty"],
)
def test_insertions_and_deletions_at_the_very_start_and_end(old: str, new: str, expected: list) -> None:
    assert changed(assert_contract(old, new)) == expected


def test_a_rewritten_paragraph_is_a_deletion_and_an_insertion_not_confetti() -> None:
    old = "会议认为，工作取得成效。\n存在问题较多。"
    new = "会议指出，工作仍有不足。\n完全不同的一段话在这里说明。"
    ops = assert_contract(old, new)
    assert ["-", "\n存在问题较多。"] in ops and ["+", "\n完全不同的一段话在这里说明。"] in ops


def test_paragraphs_merged_or_split_show_only_the_break() -> None:
    ops = assert_contract("第一段。\n第二段。", "第一段。第二段。")
    assert changed(ops) == [("-", "\n")]
    assert excerpt(ops).lines == [[("=", "第一段。"), ("-", "¶"), ("=", "第二段。")]]


def test_random_edits_always_join_back() -> None:
    """Any edit, anywhere, of any size: the joins give back both texts."""
    rng = random.Random(15)
    alphabet = "人大常委会监督工作报告，。；：“”（）《》、0123456789年月日\n"
    for _ in range(300):
        old = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 200)))
        new = list(old)
        for _ in range(rng.randint(1, 6)):
            at = rng.randint(0, len(new))
            if rng.random() < 0.5 and at < len(new):
                del new[at : at + rng.randint(1, 8)]
            else:
                new[at:at] = rng.choice(alphabet) * rng.randint(1, 5)
        assert_contract(old, "".join(new))


def test_equal_texts_have_no_change() -> None:
    assert inline(REPORT, REPORT) == [["=", REPORT]] and inline("", None) == []
    assert excerpt(inline(REPORT, REPORT)).lines == []


# -- elision --------------------------------------------------------------------------------------------
def line_text(line: list[tuple[str, str]]) -> str:
    return "".join({"=": "{}", "-": "[-{}-]", "+": "{{+{}+}}", "…": "…"}[op].format(t) for op, t in line)


def test_a_one_digit_edit_shows_at_most_twenty_characters_each_side() -> None:
    shown = excerpt(inline(REPORT, REPORT.replace("2023年", "2024年")))
    assert len(shown.lines) == 1, "only the paragraph with the change"
    line = shown.lines[0]
    assert line[0] == ("…", "") and line[-1] == ("…", ""), "what is left out is marked …"
    before, after = line[1][1], line[-2][1]
    assert len(before) == CONTEXT and len(after) == CONTEXT
    assert line_text(line) == "…实党的二十大精神，根据县人大常委会202[-3-]{+4+}年工作要点安排，5月10日至12日，县人…"


def test_context_stops_at_the_paragraph_end() -> None:
    long = "很长" * 12
    old = f"第一段{long}的文字。\n短句2023。\n第三段{long}的文字。"
    shown = excerpt(inline(old, old.replace("2023", "2024")))
    assert [line_text(line) for line in shown.lines] == ["短句202[-3-]{+4+}。"], "no … and nothing of the neighbours"


def test_context_between_two_changes_is_kept_when_short_and_cut_when_long() -> None:
    near = excerpt(inline("甲1乙乙乙乙乙2丙", "甲X乙乙乙乙乙Y丙")).lines[0]
    assert line_text(near) == "甲[-1-]{+X+}乙乙乙乙乙[-2-]{+Y+}丙"
    middle = "中" * 50
    far = excerpt(inline(f"A{middle}B", f"C{middle}D")).lines[0]
    assert line_text(far) == "[-A-]{+C+}" + "中" * CONTEXT + "…" + "中" * CONTEXT + "[-B-]{+D+}"


def test_unchanged_paragraphs_are_left_out_and_many_changes_are_counted() -> None:
    old = "\n".join(f"第{i}段内容。" for i in range(40))
    new = "\n".join(f"第{i}段内容！" for i in range(40))
    shown = excerpt(inline(old, new), max_lines=30)
    assert len(shown.lines) == 30 and shown.more == 10
    one = excerpt(inline(old, new.replace("第39段内容！", "第39段内容。").replace("！", "。", 38)))
    assert [line_text(line) for line in one.lines] == ["第38段内容[-。-]{+！+}"]
