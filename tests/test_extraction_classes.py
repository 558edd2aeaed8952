"""The failure classes seen on real government pages, each on a page made here for it.

Every page is a whole county-site article page (navigation, breadcrumb, title, meta line,
body, what follows the body, footer) with one trap in it. The real pages of the same class
are named in each test; tests/test_realpages.py checks those.
"""

from __future__ import annotations

from crawler.extract import extract_report
from crawler.models import Page, Report

PROSE = [
    "为全面了解全县农村饮水安全工作情况，县人大常委会组成调研组，于近期深入乡镇开展专题调研。",
    "调研组实地查看了水厂建设、管网延伸和水质检测情况，听取了县水务局的工作汇报，与基层干部群众进行了座谈。",
    "调研组认为，全县农村饮水安全工作取得了明显成效，但仍存在管网老化、水费收缴难等问题，需要进一步加以解决。",
]
TITLE = "关于全县农村饮水安全工作情况的调研报告"


def page(
    *,
    title: str = TITLE,
    heading: str | None = None,
    meta: str = "发布时间：2024-05-06 09:30&nbsp;&nbsp;来源：县人大办",
    body: list[str] | None = None,
    tail: str = "",
    after: str = "",
    head: str = "",
) -> Page:
    """A county site's article page; ``tail`` sits inside the body's container after the
    paragraphs, ``after`` between the container and the footer."""
    paragraphs = "".join(f"<p>{p}</p>" for p in (body or PROSE))
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_安岳县人大</title>
{head}</head><body>
<div class="top"><a href="/">首页</a> <a href="/jdgz/">监督工作</a> <a href="/rdyw/">人大要闻</a></div>
<div class="crumb">您现在的位置：<a href="/">首页</a> &gt; <a href="/jdgz/">监督工作</a></div>
<div class="article">
  <h1>{heading or title}</h1>
  <div class="info">{meta}</div>
  <div class="content">{paragraphs}{tail}</div>
</div>
{after}
<div class="footer"><p>版权所有：安岳县人大常委会办公室 地址：安岳县岳城街道 电话：028-24522373</p>
<p>蜀ICP备18018333号 网站标识码：5120210001</p></div>
</body></html>"""
    url = "http://www.ayrdw.gov.cn/jdgz/202405/t20240506_1.html"
    return Page(url=url, final_url=url, status=200, text=html)


def lines(report: Report) -> list[str]:
    return report.text.split("\n")


# 1. Several labels on one line or in one element ---------------------------------------------------
def test_credits_on_one_line_end_where_the_next_label_starts() -> None:
    """Real: bynr-zwdt-article-2022 (来源 and 编辑 on one line below the body)."""
    report = extract_report(page(tail="<p>供稿：县财政局 编辑：张明 审核：李华 终审：王强</p>"))
    assert report.credits == {"contributor": "县财政局", "editor": "张明", "reviewer": "李华", "approver": "王强"}
    assert lines(report)[-1] == PROSE[-1]


def test_source_and_update_time_share_a_line() -> None:
    report = extract_report(page(meta="来源：区民政局 更新时间：2024-05-07"))
    assert (report.source, report.published) == ("区民政局", "2024-05-07")


def test_source_and_date_separated_by_a_bar() -> None:
    report = extract_report(page(meta="信息来源：县人大常委会办公室 | 发布时间：2024-05-08"))
    assert (report.source, report.published) == ("县人大常委会办公室", "2024-05-08")


def test_labels_in_spans_with_no_separator_at_all() -> None:
    """Real: gzns-tzzc-article-2017 (<span>来源：…</span><span>发布日期：…</span>)."""
    report = extract_report(page(meta="<span>来源：县监察委员会</span><span>发布日期：2024-05-09</span>"))
    assert (report.source, report.published) == ("县监察委员会", "2024-05-09")


def test_an_empty_label_does_not_take_the_next_labels_value() -> None:
    """Real: wanzai-tjj-gongbao-2015 (来源： empty, then 访问量：199)."""
    report = extract_report(page(meta="来源： 访问量：199 发布日期：2024-05-10"))
    assert (report.source, report.published) == (None, "2024-05-10")


# 2. Values followed by toolbar words --------------------------------------------------------------
def test_toolbar_words_are_not_part_of_a_value() -> None:
    for meta in (
        "发布时间：2024-05-06 来源：县政府办公室 下载 收藏",
        "发布时间：2024-05-06 来源：县政府办公室 分享到 打印 关闭",
        "来源：县政府办公室 字号：大 中 小 发布时间：2024-05-06",
        "来源：县政府办公室【打印本页】【关闭窗口】 发布时间：2024-05-06",
    ):
        report = extract_report(page(meta=meta))
        assert (report.source, report.published) == ("县政府办公室", "2024-05-06"), meta
        assert not any(word in report.text for word in ("字号", "打印", "收藏")), meta


# 3. Label-like words inside the body --------------------------------------------------------------
NOTICE = [
    "为推进全县法治建设，经研究，决定举办2024年度法治知识竞赛，现将有关事项通知如下。",
    "主办单位：安岳县人大常委会法制工作委员会",
    "承办单位：安岳县司法局",
    "竞赛分初赛和决赛两个阶段进行，初赛采取线上答题方式，决赛采取现场抢答方式，请各单位认真组织参赛。",
    "联系人：王明",
    "联系电话：028-24520000",
    "地址：安岳县岳城街道兴隆街1号",
]


def test_organisers_and_contacts_are_body_text_and_the_body_does_not_end_at_them() -> None:
    report = extract_report(page(body=NOTICE))
    assert lines(report) == NOTICE


def test_a_footer_inside_the_bodys_container_is_cut_by_where_it_stands() -> None:
    """A table layout: the footer shares the body's cell, after the last paragraph."""
    footer = "<p>主办单位：安岳县人大常委会办公室</p><p>版权所有 蜀ICP备18018333号</p>"
    report = extract_report(page(body=NOTICE, tail=footer))
    assert lines(report) == NOTICE


# 4. Dates -------------------------------------------------------------------------------------------
GENERATED = '<meta name="PubDate" content="2024-06-30 23:59:59">'


def test_the_date_shown_with_the_report_wins_over_the_page_generation_time() -> None:
    """Real: wanzai-tjj-gongbao-2022 (生成日期 in a table, meta PubDate later),
    gansu-fzgg-tzgg-article-2025 (日期： shown, PubDate a month later)."""
    for meta, shown in (
        ("2021年03月08日 10时05分", "2021-03-08"),
        ("日期：2021-03-09 来源：县人大办", "2021-03-09"),
        ("更新时间：2021-03-10", "2021-03-10"),
        ("发布日期 : 2021-03-11", "2021-03-11"),
        ("[2021-03-12 08:00]", "2021-03-12"),
        ("<table><tr><td>生成日期：</td><td>2021-03-13</td></tr></table>", "2021-03-13"),
    ):
        assert extract_report(page(meta=meta, head=GENERATED)).published == shown, meta


def test_a_published_label_wins_over_an_update_time_and_a_related_articles_date() -> None:
    related = '<div class="related"><p>相关文章</p><p><a href="/a.html">另一篇报告</a> 发布时间：2023-01-01</p></div>'
    report = extract_report(page(meta="更新时间：2024-06-01 发布时间：2024-05-06", after=related, head=GENERATED))
    assert report.published == "2024-05-06"


def test_the_meta_date_serves_only_when_the_page_shows_none() -> None:
    report = extract_report(page(meta="来源：县人大办", head=GENERATED))
    assert report.published == "2024-06-30"


# 5. Titles keep their inner spaces ------------------------------------------------------------------
def test_a_title_keeps_its_inner_space_and_loses_only_runs_and_ends() -> None:
    title = "《安岳柠檬》开机 再造经典"
    report = extract_report(page(title=title, heading="  《安岳柠檬》开机   再造经典 "))
    assert report.title == title


def test_a_title_broken_over_two_lines_joins_without_a_space_between_chinese_characters() -> None:
    """Real: bynr-zwdt-article-2022, gansu-fzgg-tzgg-article-2025."""
    heading = "县人大常委会关于印发<br>《2024年度监督工作计划》的通知"
    report = extract_report(page(title="县人大常委会关于印发《2024年度监督工作计划》的通知", heading=heading))
    assert report.title == "县人大常委会关于印发《2024年度监督工作计划》的通知"


def test_credits_lose_all_their_spaces() -> None:
    report = extract_report(page(tail="<p>审核：鲁&nbsp;&nbsp;&nbsp;&nbsp;超</p><p>终审：罗　　亮</p>"))
    assert report.credits == {"reviewer": "鲁超", "approver": "罗亮"}


# 6. Metadata after the body ---------------------------------------------------------------------------
COMMENT_FORM = (
    '<div class="comment"><h3>发表评论</h3><form><textarea name="c"></textarea>'
    '<p>验证码：<input name="v"></p><button>提交</button></form></div>'
)
RELATED = (
    '<div class="related"><h3>相关链接</h3><ul><li><a href="/x.html">县人大常委会召开第十次会议</a></li></ul></div>'
)


def test_source_and_credits_after_a_comment_form_and_related_links_are_found() -> None:
    """Real: bynr-zwdt-article-2022."""
    after = f"{COMMENT_FORM}{RELATED}<div class='editor'>来源：安岳县人大常委会办公室  责任编辑：张三  审核：李四</div>"
    report = extract_report(page(meta="2024-05-06", after=after))
    assert report.source == "安岳县人大常委会办公室"
    assert report.credits == {"editor": "张三", "reviewer": "李四"}
    assert lines(report) == PROSE


# 7. Toolbars in one run ----------------------------------------------------------------------------------
def test_toolbars_written_as_one_run_are_chrome() -> None:
    for toolbar in (
        "打印|关闭",
        "【打印】【关闭】",
        "[打印本页] [关闭窗口]",
        "分享到：微信 微博",
        "【字体：大 中 小】",
    ):
        report = extract_report(page(tail=f"<p>{toolbar}</p>"))
        assert lines(report) == PROSE, toolbar


# Attachments stay out of the text -----------------------------------------------------------------------
def test_an_attachment_link_at_the_end_of_the_body_is_an_attachment_not_a_paragraph() -> None:
    """Real: gansu-fzgg-tzgg-article-2025, ccgp-hebei-weichang-zbgg-2021."""
    tail = '<p>十、附件</p><p><a href="/uploads/2024/plan.pdf">2024年度监督工作计划</a></p>'
    report = extract_report(page(tail=tail))
    assert [a.name for a in report.attachments] == ["2024年度监督工作计划"]
    assert lines(report) == PROSE


def test_a_closing_attribution_in_brackets_is_not_the_last_paragraph() -> None:
    """Real: wanzai-tjj-gongbao-2015 (（万载县统计局） under the prose)."""
    report = extract_report(page(tail="<p>（安岳县统计局）</p>"))
    assert lines(report) == PROSE
