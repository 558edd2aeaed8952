"""Text normalisation shared by extraction and change detection.

``collapse`` / ``join_lines`` make stored text tidy while keeping the page's own
characters (full-width brackets stay full-width). Comparing two versions is another
job, with its own normalisation (NFKC): domain/change.py.

It also knows what page chrome looks like as a line of text (breadcrumbs, meta
lines, print/close links, counters, footers), so the extractor can drop it.
"""

from __future__ import annotations

import re

# Every space a page uses: ASCII whitespace, no-break, ideographic, the en/em family, zero-widths.
_SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\U00020000-\U0002fa1f"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


_ODD_SPACES = ("\u200b", "\ufeff")  # not whitespace to str.split(), spaces to a reader


def collapse(text: str) -> str:
    """Trim and collapse every run of (any kind of) whitespace to one ASCII space."""
    if "\u200b" in text or "\ufeff" in text:
        text = text.replace("\u200b", " ").replace("\ufeff", " ")
    return " ".join(text.split())  # str.split() knows U+3000, U+00A0 and the U+2000 spaces


def join_lines(lines: list[str]) -> str:
    """Lines of one heading as one line: a break between two Chinese characters is no space
    (a title broken over lines), any other break is one; spaces inside a line stay."""
    joined = ""
    for line in (collapse(line) for line in lines):
        if not line:
            continue
        if joined and not (_CJK_END.search(joined) and _CJK_START.match(line)):
            joined += " "
        joined += line
    return joined


_WIDE = rf"{_CJK}\u2014\u2015\u2018-\u201f\u2026\u00b7"  # and the dashes, quotes and dots Chinese uses
_CJK_END = re.compile(rf"[{_WIDE}]$")
_CJK_START = re.compile(rf"[{_WIDE}]")


def remove_spaces(text: str) -> str:
    return _SPACES.sub("", text)


# -- page chrome as lines of text -------------------------------------------------------------------
_COLON = r"\s*[:：]"
BREADCRUMB = re.compile(r"^(您现在的位置|您当前的位置|当前位置|您的位置|所在位置|现在位置|位置)\s*[:：]")
_TOOL = (
    r"打印本稿|打印本页|打印此文|打印|关闭本页|关闭窗口|关闭|返回顶部|返回|收藏本页|加入收藏|收藏|分享到|分享|保存本页|保存"
    r"|我要纠错|纠错|复制链接|字号|字体|默认|大|中|小|微信|微博|QQ空间"
)
# A run of toolbar words and nothing else: 打印|关闭, 【打印】【关闭】, [打印本页] [关闭窗口], 分享到：微信 微博.
PRINT_CLOSE = re.compile(rf"^(?:[\s\[\]【】()（）:：|｜/·]*(?:{_TOOL}))+[\s\[\]【】()（）:：|｜/·]*$")
_TOOL_CORE = re.compile(r"打印|关闭|返回|收藏|分享|保存|字号|字体|纠错|复制链接")
FONT_SIZE = re.compile(r"(字号|字体)\s*[:：]?\s*[\[【]?\s*[大中小]\s*[\]】]?\s*[\[【]?\s*[大中小]")
COUNTER = re.compile(
    r"(浏览次数|浏览量|点击数|点击量|点击率|阅读次数|阅读量|访问量|访问次数|浏览|点击|阅读)\s*[:：]\s*\d*"
)
PREV_NEXT = re.compile(r"^(上一篇|下一篇|上一条|下一条|上一页|下一页|上篇|下篇)\s*[:：]?")
# A footer is told by where it is (after the report's last prose) and a mark only footers carry;
# 主办单位, 联系电话, 地址 alone are words a notice uses in its own text.
FOOTER = re.compile(
    r"(Copyright|版权所有|ICP备|ICP证|公网安备|网站标识码|技术支持|主办单位|承办单位|All Rights Reserved"
    r"|不得转载|分辨率|建议使用|网站地图|联系我们)",
    re.I,
)
STRONG_FOOTER = re.compile(r"(Copyright|©|版权所有|ICP备|ICP证|公网安备|网站标识码|技术支持|All Rights Reserved)", re.I)
# Blocks that follow a report: related links, comments, sharing.
AFTER_BODY = re.compile(
    r"^[【\[]?\s*(相关链接|相关文章|相关新闻|相关阅读|相关稿件|关联稿件|相关文件|推荐阅读|延伸阅读|热点新闻|发表评论"
    r"|网友评论|我要评论|我要留言|评论|分享到|扫一扫)"
)
TODAY = re.compile(r"(今天是|今日)\s*[:：]?\s*\d{4}\s*年.*(星期|周)")
META_LABEL = re.compile(
    r"(?:^|\s|[|｜])(发布时间|发布日期|发文日期|发表时间|更新时间|时间|日期|来源|信息来源|文章来源|稿件来源"
    r"|发布机构|作者|索引号|文号|发文字号|主题分类|成文日期|公开方式|公开范围|有效期|主题词|名称|字号)" + _COLON
)
CREDIT_LABEL = re.compile(r"^[（(]?\s*(供稿|责任编辑|编辑|审核|终审|校对|审校|撰稿)" + _COLON)
ATTACHMENTS = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\d+[、.])?\s*(相关附件|附件下载|附件)\s*[:：]?")
SCAN_QR = re.compile(r"(扫一扫|手机打开|微信扫)")


# Every furniture pattern above needs one of these words; prose without them is prose.
_FURNITURE_HINT = re.compile(
    r"位置|打印|关闭|返回|收藏|分享|保存|字号|字体|纠错|复制链接|上一|下一|上篇|下篇|浏览|点击|阅读|访问|今天|今日|扫一扫|手机|微信"
    r"|Copyright|版权|ICP|公网安备|标识码|技术支持|主办|承办|Rights|转载|分辨率|建议使用|网站地图|联系我们"
    r"|时间|日期|来源|机构|作者|索引号|文号|分类|公开|有效期|主题词|名称|供稿|编辑|审核|终审|校对|审校|撰稿|附件",
    re.I,
)


def might_be_furniture(line: str) -> bool:
    """A cheap first look: False means no furniture pattern can match the line."""
    return _FURNITURE_HINT.search(line) is not None


def is_meta_line(line: str) -> bool:
    """A field line (发布时间：… 来源：…), not prose: short, and starts with or holds labels."""
    if len(line) > 120 or ("：" not in line and ":" not in line):
        return False
    labels = META_LABEL.findall(line)
    if not labels:
        return False
    return line.startswith(tuple(labels)) or len(labels) >= 2 or bool(COUNTER.search(line))


def is_chrome_line(line: str) -> bool:
    """Lines that are page furniture wherever they appear (short: a long line is prose)."""
    return (
        len(line) <= 200
        and might_be_furniture(line)
        and bool(
            BREADCRUMB.match(line)
            or (len(line) <= 80 and PRINT_CLOSE.match(line) is not None and _TOOL_CORE.search(line) is not None)
            or FONT_SIZE.search(line)
            or PREV_NEXT.match(line)
            or TODAY.search(line)
            or (len(line) < 40 and COUNTER.fullmatch(line.strip()))
            or (len(line) < 40 and SCAN_QR.search(line))
        )
    )


def is_footer_line(line: str) -> bool:
    return len(line) < 200 and bool(FOOTER.search(line))


def is_credit_line(line: str) -> bool:
    return len(line) < 120 and bool(CREDIT_LABEL.match(line))
