"""Field labels as government pages write them (发布时间：, 来源：, 编辑：…) and the values after them.

A meta line often holds several fields, with any separator or none at all:
``供稿：县财政局 编辑：张明 审核：李华``, ``信息来源：X | 发布时间：Y``, ``来源：X发布日期：Y``,
``来源：县政府办公室 下载 收藏 分享到``. A value ends where the next known label starts, at a
separator (``|``, ``【``, two spaces), or at toolbar words; whatever separates them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from crawler.clean import collapse, remove_spaces


class Meaning(Enum):
    PUBLISHED = "published"  # 发布时间: the strongest date
    DOCUMENT_DATE = "document date"  # 成文日期 / 生成日期 of an 信息公开 table
    DATE = "date"  # a bare 日期 / 时间
    UPDATED = "updated"  # 更新时间: a date, the weakest shown
    SOURCE = "source"
    CONTRIBUTOR = "contributor"
    EDITOR = "editor"
    REVIEWER = "reviewer"
    APPROVER = "approver"
    OTHER = "other"  # a known label whose value no field keeps (作者, 浏览, 索引号 …): it ends the one before


DATES = (Meaning.PUBLISHED, Meaning.DOCUMENT_DATE, Meaning.DATE, Meaning.UPDATED)  # strongest first
CREDITS = {Meaning.CONTRIBUTOR: "contributor", Meaning.EDITOR: "editor", Meaning.REVIEWER: "reviewer",
           Meaning.APPROVER: "approver"}  # fmt: skip

_WORDS: dict[Meaning, tuple[str, ...]] = {
    Meaning.PUBLISHED: ("发布时间", "发布日期", "发文日期", "发表时间", "公开日期", "上网时间", "发稿时间", "发布于"),
    Meaning.DOCUMENT_DATE: ("成文日期", "生成日期", "印发日期"),
    Meaning.DATE: ("时间", "日期"),
    Meaning.UPDATED: ("更新时间", "更新日期", "修改时间", "最后更新"),
    Meaning.SOURCE: ("信息来源", "文章来源", "稿件来源", "新闻来源", "来源单位", "来源", "发布机构", "发布单位"),
    Meaning.CONTRIBUTOR: ("供稿单位", "供稿"),
    Meaning.EDITOR: ("责任编辑", "编辑"),
    Meaning.REVIEWER: ("审核",),
    Meaning.APPROVER: ("终审",),
    Meaning.OTHER: (
        "作者", "撰稿", "校对", "审校", "摄影", "记者", "通讯员", "浏览次数", "浏览量", "浏览", "点击数", "点击量",
        "点击率", "点击", "阅读次数", "阅读量", "阅读", "访问量", "访问次数", "字号", "字体", "索引号", "文号",
        "发文字号", "主题分类", "体裁分类", "公开方式", "公开范围", "公开时限", "有效期", "主题词", "名称",
        "责任部门", "发文机关", "所属机构", "分类", "语音播报", "分享到", "分享",
    ),
}  # fmt: skip
MEANING_OF = {word: meaning for meaning, words in _WORDS.items() for word in words}

_ALTERNATIVES = "|".join(sorted(MEANING_OF, key=len, reverse=True))  # longest first: 责任编辑 before 编辑
_LABEL = re.compile(rf"({_ALTERNATIVES})\s*[:：]")
_CJK_BEFORE = re.compile(r"[\u4e00-\u9fff]$")

# Toolbar words are never part of a value: ``来源：县政府办公室 下载 收藏``, ``字号：大 中 小``.
TOOLBAR_WORDS = (
    "打印本稿", "打印本页", "打印此文", "打印", "关闭本页", "关闭窗口", "关闭", "返回顶部", "返回", "收藏本页",
    "收藏", "加入收藏", "分享到", "分享", "保存本页", "保存", "下载", "字号", "字体", "复制链接", "纠错", "我要纠错",
)  # fmt: skip
_TOOLBAR = "|".join(sorted(TOOLBAR_WORDS, key=len, reverse=True))
# Where a value ends, the next label aside: a separator, a bracket, a run of spaces, a toolbar word.
_VALUE_END = re.compile(rf"\s{{2,}}|\s*[|｜【\[]|\s+[\[【(（]?(?:{_TOOLBAR})(?![\u4e00-\u9fff]{{3}})")
EMPTY_VALUES = frozenset({"", "无", "暂无", "-", "--", "—", "未知", "null", "none"})
_TRIM = " ：:（）()【】[]|｜/·,，;；"


@dataclass(frozen=True)
class Labelled:
    """One field of a meta line: its label as written, what it means, and its value (raw)."""

    label: str
    meaning: Meaning
    value: str
    start: int  # where the label starts in the line


def fields_in(line: str) -> tuple[Labelled, ...]:
    """The labelled fields of a line, in order (see ``_fields_in``); short lines are cached."""
    if "：" not in line and ":" not in line:
        return ()
    return _cached_fields(line) if len(line) <= 160 else _fields_in(line)


@lru_cache(maxsize=4096)  # a site's meta and nav lines repeat on every page of it
def _cached_fields(line: str) -> tuple[Labelled, ...]:
    return _fields_in(line)


def _fields_in(line: str) -> tuple[Labelled, ...]:
    """The labelled fields of a line, in order. A short label (来源, 编辑) must not follow a
    Chinese character (资料来源： is prose) unless the line already has a label: then it may
    follow a value directly (``来源：X编辑：Y``); 时间 and 日期 never do (办理时间)."""
    found: list[tuple[re.Match[str], Meaning]] = []
    for m in _LABEL.finditer(line):
        word = m.group(1)
        if _CJK_BEFORE.search(line[: m.start()]) and (word in ("时间", "日期") or (not found and len(word) < 3)):
            continue  # 资料来源, 办理时间 …: an unknown compound, not a label
        found.append((m, MEANING_OF[word]))
    fields = []
    for i, (m, meaning) in enumerate(found):
        end = found[i + 1][0].start() if i + 1 < len(found) else len(line)
        fields.append(Labelled(m.group(1), meaning, line[m.end() : end], m.start()))
    return tuple(fields)


def clean_value(raw: str) -> str | None:
    """A value as shown, cut at the first separator or toolbar word; None when empty."""
    end = _VALUE_END.search(raw)
    value = collapse((raw[: end.start()] if end else raw).strip(_TRIM)).strip(_TRIM)
    return None if value.lower() in EMPTY_VALUES else value


def credit_value(raw: str) -> str | None:
    """A name as shown, with every space removed ("鲁    超" -> "鲁超"): names are padded for
    justification. Toolbar words and separators still end it."""
    end = re.search(rf"\s*[|｜【\[]|\s+[\[【(（]?(?:{_TOOLBAR})(?![\u4e00-\u9fff]{{3}})", raw)
    value = remove_spaces(raw[: end.start()] if end else raw).strip(_TRIM)
    return None if value.lower() in EMPTY_VALUES else value
