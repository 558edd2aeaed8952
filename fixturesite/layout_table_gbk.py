"""An ASP-era county site: nested tables, <font>, GBK bytes under a gb2312 label, relative links.

Modelled on the 动易/PowerEasy-style CMSs many county sites still run: the
charset is declared only in a <meta> (and wrongly: gb2312 for GBK bytes), the
home page sits behind a redirect, and list pages use ?classid=&page= queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .layout_base import (
    DECOY_TEXT,
    SITE_NAME,
    Layout,
    Noise,
    Route,
    attr,
    esc,
    nbsp_runs,
    spacer_after,
    truncate,
)
from .model import (
    CREDIT_LABELS,
    SECTIONS,
    SECTIONS_BY_CLASSID,
    SECTIONS_BY_NAME,
    FixtureReport,
    ReportMeta,
    SectionInfo,
)

if TYPE_CHECKING:
    from .site import FixtureSite

TABLE = '<table width="778" border="0" align="center" cellpadding="0" cellspacing="0" bgcolor="#FFFFFF">'

# Relative nav hrefs as found on such sites, from pages living in /web/.
NAV_HREFS = {
    "工作动态": "list.asp?classid=2",
    "监督工作": "../web/list.asp?classid=5",
    "代表工作": "./list.asp?classid=6",
    "法制建设": "list.asp?classid=7",
    "通知公告": "/web/list.asp?classid=9",
}


def _article_href(site: FixtureSite, report: FixtureReport) -> str:
    return f"ShowArticle.asp?ArticleID={site.meta(report.slug).docid}"


def _cn_date(iso: str) -> str:
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{y}年{m}月{d}日"


class TableGbkLayout(Layout):
    name: ClassVar[str] = "table-gbk"
    codec: ClassVar[str] = "gbk"
    content_type: ClassVar[str] = "text/html"  # no charset: only the (lying) <meta> tells
    default_page_size: ClassVar[int] = 8
    clamp_pages: ClassVar[bool] = True

    def server_headers(self) -> dict[str, str]:
        return {"Server": "Microsoft-IIS/6.0", "X-Powered-By": "ASP.NET"}

    # --- URL scheme -----------------------------------------------------------------------------------

    def home_path(self) -> str:
        return "/web/index.asp"

    def list_path(self, section: SectionInfo, page: int) -> str:
        base = f"/web/list.asp?classid={section.classid}"
        return base if page == 1 else f"{base}&page={page}"

    def report_path(self, section: SectionInfo, meta: ReportMeta) -> str:
        return f"/web/ShowArticle.asp?ArticleID={meta.docid}"

    def route(self, path: str, query: dict[str, str]) -> Route | None:
        lower = path.lower()  # IIS paths are case-insensitive
        if lower in ("/", "/web", "/index.asp", "/default.asp"):
            return Route("redirect", location="/web/index.asp")
        if lower in ("/web/", "/web/index.asp", "/web/default.asp"):
            return Route("home")
        try:
            if lower == "/web/list.asp":
                section = SECTIONS_BY_CLASSID.get(int(query.get("classid", "")))
                if section is None:
                    return None
                return Route("list", section=section, page=int(query.get("page") or 1))
            if lower == "/web/special.asp":
                return Route("topic")
            if lower == "/web/showarticle.asp":
                return Route("report", docid=int(query.get("ArticleID", query.get("articleid", ""))))
        except ValueError:
            return None
        return None

    # --- page frame -----------------------------------------------------------------------------------

    def _frame(self, noise: Noise, title: str, main: str) -> str:
        nav = "&nbsp;|&nbsp;".join(
            f'<a href="{NAV_HREFS[s.name]}"><font color="#FFFFFF">{s.name}</font></a>' for s in SECTIONS
        )
        return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{esc(title)}--{SITE_NAME}</title>
<link href="../css/style.css" rel="stylesheet" type="text/css">
<script language="javascript" src="../js/common.js"></script>
</head>
<body topmargin="0" leftmargin="0" bgcolor="#E8E8E8">
<table width="778" border="0" align="center" cellpadding="0" cellspacing="0" bgcolor="#FFFFFF">
  <tr>
    <td height="25" bgcolor="#F0F0F0">&nbsp;<font color="#666666">{noise.today()}</font></td>
    <td align="right" bgcolor="#F0F0F0"><form name="search" action="search.asp" method="post">
      <input type="hidden" name="sid" value="{noise.token()}"><input name="keyword" size="15">
      <input type="submit" value="搜索"></form></td>
  </tr>
  <tr><td colspan="2"><img src="../images/banner.jpg" width="778" height="120" border="0"></td></tr>
  <tr><td colspan="2" height="30" bgcolor="#B00000" align="center"><a href="index.asp">\
<font color="#FFFFFF">首页</font></a>&nbsp;|&nbsp;{nav}</td></tr>
</table>
{main}
<table width="778" border="0" align="center" cellpadding="0" cellspacing="0" bgcolor="#F0F0F0">
  <tr><td align="center" height="90" style="line-height:180%"><font color="#333333">
Copyright 2015 www.ayrdw.gov.cn All Rights Reserved<br>
版权所有:安岳县人大常委会办公室 &nbsp; 联系电话(举报电话):028-24522373<br>
未经书面允许不得转载信息内容、建立镜像 建议将电脑显示屏的分辨率调为1024*768<br>
<a href="https://beian.miit.gov.cn/" target="_blank">蜀ICP备18018333号</a>\
&nbsp;&nbsp;您是第<font color="red">{noise.views()}</font>位访问者
</font></td></tr>
</table>
</body>
</html>
"""

    def _rows(self, site: FixtureSite, reports: list[FixtureReport], limit: int, short_date: bool) -> str:
        rows = []
        for r in reports:
            shown = truncate(r.title, limit, "...")
            day = r.published[5:] if short_date else r.published
            rows.append(
                f'<tr><td width="12" valign="top">·</td><td><a href="{_article_href(site, r)}" '
                f'title="{attr(r.title)}" target="_blank">{esc(shown)}</a></td>'
                f'<td width="80" align="right"><font color="#999999">{day}</font></td></tr>'
            )
        return "\n".join(rows)

    def _left_column(self, site: FixtureSite, current: str) -> str:
        menu = "\n".join(
            f'<tr><td height="26" background="../images/menu_bg.gif">&nbsp;&nbsp;<a href="list.asp?classid='
            f'{s.classid}">{"<b>" + s.name + "</b>" if s.name == current else s.name}</a></td></tr>'
            for s in SECTIONS
        )
        hot = self._rows(site, site.hot(exclude=current, count=6), 12, short_date=False)
        return f"""<td width="200" valign="top" bgcolor="#F7F7F7">
  <table width="100%" border="0" cellspacing="0" cellpadding="0">
    <tr><td height="30" bgcolor="#B00000"><font color="#FFFFFF"><b>&nbsp;栏目导航</b></font></td></tr>
{menu}
  </table>
  <table width="100%" border="0" cellspacing="0" cellpadding="2">
    <tr><td colspan="3" height="30" bgcolor="#B00000"><font color="#FFFFFF"><b>&nbsp;热点文章</b>\
</font></td></tr>
{hot}
  </table>
</td>"""

    # --- pages ----------------------------------------------------------------------------------------

    def render_home(self, site: FixtureSite, noise: Noise) -> str:
        boxes = []
        for s in SECTIONS:
            rows = self._rows(site, site.page_items(s.name, 1)[:7], 22, short_date=True)
            boxes.append(f"""<td width="50%" valign="top">
  <table width="98%" border="0" align="center" cellpadding="0" cellspacing="0" class="box">
    <tr><td height="28" background="../images/tbg.gif">&nbsp;<b><font color="#B00000">{s.name}</font></b></td>
        <td align="right" background="../images/tbg.gif"><a href="list.asp?classid={s.classid}">\
更多&gt;&gt;</a>&nbsp;</td></tr>
    <tr><td colspan="2"><table width="100%" border="0" cellspacing="0" cellpadding="2">
{rows}
    </table></td></tr>
  </table>
</td>""")
        grid = "\n".join("<tr>" + "".join(boxes[i : i + 2]) + "</tr>" for i in range(0, len(boxes), 2))
        notice = (
            '<marquee scrollamount="3" onmouseover="this.stop()" onmouseout="this.start()">'
            f'<font color="#B00000">欢迎访问{SITE_NAME}网站！</font>'
            f'<a href="/web/special.asp?id=3">{DECOY_TEXT}动态</a></marquee>'
        )
        main = f"""{TABLE}
  <tr><td colspan="2" height="26">{notice}</td></tr>
{grid}
</table>"""
        return self._frame(noise, "首页", main)

    def render_list(self, site: FixtureSite, noise: Noise, section: SectionInfo, page: int, path: str) -> str:
        total = len(site.sections[section.name])
        last = site.page_count(section.name)
        base = f"list.asp?classid={section.classid}&page="

        def link(text: str, target: int, active: bool) -> str:
            return f'<a href="{base}{target}">{text}</a>' if active else text

        pager = (
            f"共{total}条记录 共{last}页 当前第{page}页 "
            f"{link('首页', 1, page > 1)} {link('上一页', page - 1, page > 1)} "
            f"{link('下一页', page + 1, page < last)} {link('尾页', last, page < last)} "
            f'转到：<select name="page" onchange="javascript:window.location=\'{base}\'+this.options'
            f'[this.selectedIndex].value;">'
            + "".join(
                f'<option value="{p}"{" selected" if p == page else ""}>第{p}页</option>' for p in range(1, last + 1)
            )
            + "</select>"
        )
        rows = []
        for r in site.page_items(section.name, page):
            shown = truncate(r.title, 30, "...")
            day = f"[{r.published}]" if site.meta(r.slug).seq % 3 else r.published
            rows.append(
                '<tr><td width="15" height="24" align="center"><img src="../images/arrow.gif" width="5" '
                f'height="7"></td><td><a href="{_article_href(site, r)}" title="{attr(r.title)}" '
                f'target="_blank">{esc(shown)}</a></td><td width="100" align="right">'
                f'<font color="#666666">{day}</font></td></tr>'
                '<tr><td colspan="3" height="1" background="../images/dot.gif"></td></tr>'
            )
        body_rows = "\n".join(rows)
        main = f"""{TABLE}
<tr>
{self._left_column(site, section.name)}
<td width="10"></td>
<td valign="top">
  <table width="100%" border="0" cellspacing="0" cellpadding="0">
    <tr><td height="30">您现在的位置:&nbsp;<a href="index.asp">首页</a>\
&nbsp;&gt;&gt;&nbsp;{section.name}</td></tr>
  </table>
  <table width="100%" border="0" cellspacing="0" cellpadding="0">
{body_rows}
  </table>
  <table width="100%" border="0" cellspacing="0" cellpadding="0">
    <tr><td height="40" align="center">{pager}</td></tr>
  </table>
</td>
</tr>
</table>"""
        return self._frame(noise, section.name, main)

    def _body(self, site: FixtureSite, noise: Noise, report: FixtureReport) -> str:
        seq = site.meta(report.slug).seq
        out = []
        if seq % 2:  # one <td> of text lines separated by <br>
            for i, text in enumerate(report.paragraphs):
                out.append(f"&nbsp;&nbsp;&nbsp;&nbsp;{esc(text)}<br>{noise.ws()}<br>{noise.ws()}")
                if spacer_after(report, i):
                    out.append(f"&nbsp;<br>{noise.ws()}")
        else:
            for i, text in enumerate(report.paragraphs):
                align = ' align="center"' if i < 2 and len(text) < 30 else ""
                indent = "" if align else "　　"
                out.append(f"<p{align}>{indent}{esc(text)}</p>{noise.ws()}")
                if spacer_after(report, i):
                    out.append(f"<p>&nbsp;</p>{noise.ws()}")
        return "".join(out)

    def render_report(self, site: FixtureSite, noise: Noise, report: FixtureReport, path: str) -> str:
        section = SECTIONS_BY_NAME[report.section]
        meta = site.meta(report.slug)
        source = esc(report.source or "")
        if meta.seq % 3 == 1 and not site.is_seed(report):
            info = f"发布时间：{_cn_date(report.published)}&nbsp;&nbsp;来源：{source}"
        else:
            info = f"发布时间: {report.published} 来源:{source}"
        pad = "&nbsp; " * 24
        credits = "\n".join(
            f"<p>{pad}{label}:{nbsp_runs(report.credits[key])}&nbsp;&nbsp;</p>"
            for key, label in CREDIT_LABELS.items()
            if key in report.credits
        )
        files = "&nbsp;&nbsp;".join(
            f'<a href="..{attr(p)}" target="_blank">{esc(n)}</a>' for n, p in report.attachments
        )
        older, newer = site.neighbors(report)
        prev_link = f'<a href="{_article_href(site, older)}">{esc(older.title)}</a>' if older else "没有了"
        next_link = f'<a href="{_article_href(site, newer)}">{esc(newer.title)}</a>' if newer else "没有了"
        main = f"""{TABLE}
  <tr><td height="30">&nbsp;您现在的位置:&nbsp;<a href="index.asp">首页</a>\
&nbsp;&gt;&gt;&nbsp;<a href="list.asp?classid={section.classid}">{section.name}</a></td></tr>
</table>
<table width="778" border="0" align="center" cellpadding="0" cellspacing="0" bgcolor="#FFFFFF">
  <tr><td align="center" height="50"><font style="font-size:18px" color="#CC0000"><b>\
{esc(report.title)}</b></font></td></tr>
  <tr><td align="center" height="25"><font color="#666666">{info}&nbsp;&nbsp;点击数:<span id="hits">\
{noise.views()}</span></font></td></tr>
  <tr><td align="center">【<a href="javascript:window.print()">打印本稿</a>\
】 【<a href="javascript:window.close()">关闭</a>\
】&nbsp;&nbsp;字号：<a href="javascript:fontZoom(16)">大</a> <a href="javascript:fontZoom(14)">\
中</a> <a href="javascript:fontZoom(12)">小</a></td></tr>
  <tr><td><hr size="1" color="#CCCCCC"></td></tr>
  <tr><td id="fontzoom" class="content" style="font-size:14px;line-height:200%;padding:10px">\
{noise.ws()}{self._body(site, noise, report)}</td></tr>
  <tr><td><div align="right">
{credits}
  </div></td></tr>
  <tr><td height="30">相关附件:{files}</td></tr>
  <tr><td height="50" style="line-height:180%">上一篇文章：{prev_link}<br>下一篇文章：{next_link}</td></tr>
</table>"""
        return self._frame(noise, report.title, main)

    def render_topic(self, site: FixtureSite, noise: Noise, path: str) -> str:
        rows = self._rows(site, site.page_items("工作动态", 1)[:5], 30, short_date=False)
        main = f"""{TABLE}
  <tr><td height="30">&nbsp;您现在的位置:&nbsp;<a href="index.asp">首页</a>\
&nbsp;&gt;&gt;&nbsp;{DECOY_TEXT}</td></tr>
  <tr><td><table width="100%" border="0" cellspacing="0" cellpadding="2">
{rows}
  </table></td></tr>
</table>"""
        return self._frame(noise, DECOY_TEXT, main)

    def render_not_found(self, site: FixtureSite, noise: Noise) -> str:
        main = f"""{TABLE}
  <tr><td height="200" align="center"><font color="#CC0000"><b>页面不存在</b></font><br><br>
  对不起，您访问的页面不存在或已被删除！<br><a href="index.asp">返回首页</a></td></tr>
</table>"""
        return self._frame(noise, "页面不存在", main)
