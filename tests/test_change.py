"""What is a change of a report, on its own: the content hash, the field diff, and noise.
Pure functions on strings and dicts; no server."""

from __future__ import annotations

from domain.change import (
    changed_fields,
    changes,
    content_hash,
    line_shape,
    noisy_shapes,
    normalise,
    same_content,
    text_diff,
)

BASE = {
    "title": "关于县人民政府2022年度国有资产管理情况的报告",
    "published": "2022-12-02",
    "source": "县财政局",
    "text": "一、 基本情况\n截至2022年底，全县国有资产总额为1234.5亿元。\n二、存在问题",
    "attachments": [{"name": "附件1.pdf", "url": "http://www.ayrdw.gov.cn/uploads/a.pdf"}],
    "credits": {"contributor": "县财政局", "editor": "张明", "reviewer": "李华", "approver": "王强"},
}


def with_(**changes: object) -> dict:
    return {**BASE, **changes}


def test_the_hash_ignores_width_forms_and_every_kind_of_space() -> None:
    same = [
        with_(title="关于县人民政府２０２２年度国有资产管理情况的报告"),  # full-width digits: NFKC
        with_(text=BASE["text"].replace("一、 基本情况", "一、\u3000基本情况")),  # an ideographic space
        with_(text=BASE["text"].replace("一、 基本情况", "一、\u00a0\u2003 基本情况")),  # a run of kinds
        with_(text=BASE["text"].replace("\n", " \n ")),  # spaces around line breaks
        with_(source="县财政局\u200b"),  # a zero-width space
        with_(source=" 县财政局\u00a0"),  # a no-break space, leading and trailing
        with_(credits={"approver": "王强", "reviewer": "李华", "editor": "张明", "contributor": "县财政局"}),
    ]
    assert {content_hash(fields) for fields in same} == {content_hash(BASE)}


def test_the_hash_sees_every_real_edit() -> None:
    edits = [
        with_(title=BASE["title"] + "（修订）"),
        with_(published="2022-12-03"),
        with_(source="县审计局"),
        with_(text=BASE["text"].replace("1234.5", "1234.6")),  # one digit
        with_(text=BASE["text"] + "\n三、下步打算"),
        with_(attachments=[]),
        with_(credits={**BASE["credits"], "editor": "张敏"}),
    ]
    hashes = {content_hash(fields) for fields in edits}
    assert len(hashes) == len(edits) and content_hash(BASE) not in hashes


def test_counters_outside_the_body_never_reach_the_hash_and_inside_it_are_learnt_as_noise() -> None:
    # The extractor drops counters and dates around the body; inside it, a second fetch tells.
    first = with_(text=BASE["text"] + "\n本文已被浏览 1021 次")
    second = with_(text=BASE["text"] + "\n本文已被浏览 1022 次")
    noise = noisy_shapes(first["text"], second["text"])
    assert noise == {"本文已被浏览 # 次"}
    assert content_hash(first) != content_hash(second)
    assert content_hash(first, noise) == content_hash(second, noise) == content_hash(with_(text=BASE["text"]), noise)
    assert content_hash(with_(text=second["text"].replace("1234.5", "1234.9")), noise) != content_hash(first, noise)


def test_a_token_without_digits_or_in_base64_has_the_shape_of_any_other_token() -> None:
    """A random token may hold no digit: its line must still share the shape learnt from others,
    or the stored version's token line is never noise and the report reads as changed."""
    shapes = {line_shape(f"页面校验码：{token}") for token in ("abcdefab", "1f3e5a7b", "k3Jx9Q", "Zm9v+YmFy/w==")}
    assert shapes == {"页面校验码:#"}
    stored = {"text": "第一段\n页面校验码：abcdefab\n第二段"}
    first, second = {"text": "第一段\n页面校验码：1f3e5a7b\n第二段"}, {"text": "第一段\n页面校验码：90c2d4e6\n第二段"}
    assert same_content(second, stored, noisy_shapes(first["text"], second["text"]))


def test_line_shapes_mask_numbers_tokens_and_clocks_but_not_words() -> None:
    assert line_shape("当前时间 2026-11-29 10:05:01") == line_shape("当前时间 2026-11-30 23:59:59")
    assert line_shape("校验码：a3f9c2d1") == line_shape("校验码：0b7e41aa") == "校验码:#"
    assert line_shape("安岳县人大常委会") != line_shape("安岳县政府")
    assert normalise("Ａ  Ｂ\u3000C") == "A B C"


def test_the_field_diff_names_each_changed_field_in_a_fixed_order() -> None:
    new = with_(title="新标题", credits={}, attachments=[], text=BASE["text"].replace("1234.5", "1234.6"))
    assert changed_fields(BASE, new) == ["title", "text", "credits", "attachments"]
    diff = changes(BASE, new, "http://x/a.html")
    assert {k: diff["title"][k] for k in ("old", "new")} == {"old": BASE["title"], "new": "新标题"}
    assert set(diff["text"]) == {"old", "new", "diff", "inline"} and set(diff["title"]) == {"old", "new", "inline"}
    assert ["-", "5"] in diff["text"]["inline"] and ["+", "6"] in diff["text"]["inline"]
    assert set(diff["credits"]) == {"old", "new"}, "a structured field has no character marks"
    assert "-截至2022年底，全县国有资产总额为1234.5亿元。" in diff["text"]["diff"]
    assert "+截至2022年底，全县国有资产总额为1234.6亿元。" in diff["text"]["diff"]
    assert changes(BASE, with_(source="县财政局 ")) == {}, "no change, no entry"


def test_the_text_diff_is_line_by_line_with_one_line_of_context() -> None:
    diff = text_diff("a\nb\nc\nd", "a\nb\nC\nd", "u").splitlines()
    assert diff[:2] == ["--- u (before)", "+++ u (after)"]
    assert diff[2:] == ["@@ -2,3 +2,3 @@", " b", "-c", "+C", " d"]
