"""A TRS WCM-style static site: relative links everywhere and a pager written only by JavaScript.

TRS publishes flat HTML files: /jdgz/index.html, index_1.html, ... and reports
under ./YYYYMM/tYYYYMMDD_docid.html, where the date is the document's creation
date, not necessarily its publish date.
"""

from __future__ import annotations

import re
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
    relpath,
    spacer_after,
)
from .model import (
    CREDIT_LABELS,
    SECTIONS,
    SECTIONS_BY_KEY,
    SECTIONS_BY_NAME,
    FixtureReport,
    ReportMeta,
    SectionInfo,
)

if TYPE_CHECKING:
    from .site import FixtureSite

TOPIC_PATH = "/ztzl/rdjdgzzt/"
_LIST = re.compile(r"^/([a-z]+)/(?:index(?:_(\d+))?\.html?)?$")
_REPORT = re.compile(r"^/([a-z]+)/(\d{6})/t(\d{8})_(\d+)\.html$")
_DIR = re.compile(r"^/([a-z]+)$")

PAGER_JS = """<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount<=1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  if(nCurrIndex == 0) document.write("首页&nbsp;上一页&nbsp;");
  else if(nCurrIndex == 1) document.write("<a href=\\""+_sPageName+"."+_sPageExt+"\\">首页</a>&nbsp;"
      + "<a href=\\""+_sPageName+"."+_sPageExt+"\\">上一页</a>&nbsp;");
  else document.write("<a href=\\""+_sPageName+"."+_sPageExt+"\\">首页</a>&nbsp;<a href=\\""+_sPageName
      + "_" + (nCurrIndex-1) + "."+_sPageExt+"\\">上一页</a>&nbsp;");
  if(nCurrIndex == _nPageCount-1) document.write("下一页&nbsp;尾页");
  else document.write("<a href=\\""+_sPageName+"_" + (nCurrIndex+1) + "."+_sPageExt+"\\">下一页</a>&nbsp;"
      + "<a href=\\""+_sPageName+"_" + (_nPageCount-1) + "."+_sPageExt+"\\">尾页</a>");
  document.write("&nbsp;共" + _nPageCount + "页");
}
</script>"""


def _rel(page: str, target: str) -> str:
    """TRS writes every link relative, with an explicit ./ for the same directory."""
    href = relpath(page, target)
    return href if href.startswith(".") else "./" + href


class TrsLayout(Layout):
    name: ClassVar[str] = "trs"
    codec: ClassVar[str] = "utf-8"
    content_type: ClassVar[str] = "text/html; charset=utf-8"
    default_page_size: ClassVar[int] = 10
    strict_report_paths: ClassVar[bool] = True

    def server_headers(self) -> dict[str, str]:
        return {"Server": "nginx", "Accept-Ranges": "bytes"}

    # --- URL scheme -----------------------------------------------------------------------------------

    def home_path(self) -> str:
        return "/"

    def list_path(self, section: SectionInfo, page: int) -> str:
        return f"/{section.key}/" if page == 1 else f"/{section.key}/index_{page - 1}.html"

    def report_path(self, section: SectionInfo, meta: ReportMeta) -> str:
        return f"/{section.key}/{meta.url_date[:6]}/t{meta.url_date}_{meta.docid}.html"

    def route(self, path: str, query: dict[str, str]) -> Route | None:
        if path in ("/", "/index.html", "/index.htm"):
            return Route("home")
        if path in (TOPIC_PATH, TOPIC_PATH + "index.html"):
            return Route("topic")
        if m := _DIR.match(path):
            return Route("redirect", location=path + "/", status=301) if m[1] in SECTIONS_BY_KEY else None
        if m := _LIST.match(path):
            section = SECTIONS_BY_KEY.get(m[1])
            if section is None or m[2] == "0":
                return None
            return Route("list", section=section, page=int(m[2] or 0) + 1)
        if m := _REPORT.match(path):
            section = SECTIONS_BY_KEY.get(m[1])
            return Route("report", section=section, docid=int(m[4])) if section else None
        return None

    # --- page frame -----------------------------------------------------------------------------------

    def _frame(self, noise: Noise, page: str, title: str, main: str, metas: str = "") -> str:
        nav = "\n".join(
            [f'<li><a href="{_rel(page, "/")}">首页</a></li>']
            + [f'<li><a href="{_rel(page, TOPIC_PATH)}" target="_blank">{DECOY_TEXT}</a></li>']
            + [f'<li><a href="{_rel(page, f"/{s.key}/")}">{s.name}</a></li>' for s in SECTIONS]
        )
        return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<meta http-equiv="X-UA-Compatible" content="IE=edge" />
<title>{esc(title)}_{SITE_NAME}</title>
<meta name="SiteName" content="{SITE_NAME}" />
<meta name="SiteDomain" content="www.ayrdw.gov.cn" />
{metas}<link href="{_rel(page, "/images/style.css")}" rel="stylesheet" type="text/css" />
<script type="text/javascript" src="{_rel(page, "/images/jquery.min.js")}"></script>
<script type="text/javascript">var _trs_uv = "{noise.token()}"; var _trs_ua = "WCM7";</script>
</head>
<body>
<div class="top"><div class="w1000"><span class="today">{noise.today()}</span>
<span class="toplink"><a href="javascript:void(0)" onclick="SetHome(this,window.location)">\
设为首页</a> | <a href="javascript:void(0)" onclick="AddFavorite()">加入收藏</a></span></div></div>
<div class="header"><div class="w1000">\
<img src="{_rel(page, "/images/logo.png")}" alt="{SITE_NAME}" /></div></div>
<div class="nav"><div class="w1000"><ul>
{nav}
</ul></div></div>
{main}
<div class="footer"><div class="w1000">
<p>Copyright 2015 www.ayrdw.gov.cn All Rights Reserved</p>
<p>版权所有:安岳县人大常委会办公室&nbsp;&nbsp;&nbsp;联系电话(举报电话):028-24522373</p>
<p>未经书面允许不得转载信息内容、建立镜像 建议将电脑显示屏的分辨率调为1024*768</p>
<p><a href="https://beian.miit.gov.cn/" target="_blank">蜀ICP备18018333号</a>\
&nbsp;&nbsp;总访问量：<span id="visits">{noise.views()}</span></p>
</div></div>
</body>
</html>
"""

    def _items(self, site: FixtureSite, page: str, reports: list[FixtureReport], date_first: bool) -> str:
        out = []
        for r in reports:
            href = _rel(page, site.report_path(r.slug))
            link = f'<a href="{href}" target="_blank" title="{attr(r.title)}">{esc(r.title)}</a>'
            day = f"<span>{r.published}</span>"
            out.append(f"<li>{day}{link}</li>" if date_first else f"<li>{link}{day}</li>")
        return "\n".join(out)

    def _hot(self, site: FixtureSite, page: str, exclude: str) -> str:
        return f"""<div class="right"><div class="hot"><div class="hot_t">热点</div><ul>
{self._items(site, page, site.hot(exclude=exclude, count=6), date_first=False)}
</ul></div></div>"""

    # --- pages ----------------------------------------------------------------------------------------

    def render_home(self, site: FixtureSite, noise: Noise) -> str:
        page = "/"
        boxes = []
        for s in SECTIONS:
            boxes.append(f"""<div class="box box_{s.key}"><div class="box_t"><span>{s.name}</span>
<a class="more" href="{_rel(page, f"/{s.key}/")}">更多&gt;&gt;</a></div>
<ul>
{self._items(site, page, site.page_items(s.name, 1)[:6], date_first=False)}
</ul></div>""")
        main = '<div class="main w1000">\n' + "\n".join(boxes) + "\n</div>"
        return self._frame(noise, page, "首页", main)

    def render_list(self, site: FixtureSite, noise: Noise, section: SectionInfo, page: int, path: str) -> str:
        here = path.split("?", 1)[0]
        items = self._items(site, here, site.page_items(section.name, page), date_first=page % 2 == 0)
        main = f"""<div class="main w1000">
<div class="left">
<div class="position">您现在的位置：<a href="{_rel(here, "/")}">首页</a> &gt;&gt; <a href="./">\
{section.name}</a></div>
<div class="list_t">{section.name}</div>
<ul class="list_ul">
{items}
</ul>
<div class="page"><script type="text/javascript">\
createPageHTML({site.page_count(section.name)}, {page - 1}, "index", "html");</script></div>
</div>
{self._hot(site, here, section.name)}
</div>"""
        metas = (
            f'<meta name="ColumnName" content="{section.name}" />\n'
            f'<meta name="ColumnType" content="{section.name}" />\n'
        )
        return self._frame(noise, here, section.name, main, metas + PAGER_JS + "\n")

    def _paragraph(self, report: FixtureReport, i: int, text: str) -> str:
        if i < 2 and len(text) < 30 and "。" not in text:
            return f'<p style="text-align: center;"><strong>{esc(text)}</strong></p>'
        style = i % 4
        if style == 0:
            return f'<p style="text-indent: 2em; line-height: 1.75em;">{esc(text)}</p>'
        if style == 1:
            return f"<p>　　{esc(text)}</p>"
        if style == 2:
            return (
                '<p style="margin-bottom: 0px;">&nbsp;&nbsp;&nbsp;&nbsp;'
                f'<span style="font-family: 仿宋_GB2312;">{esc(text)}</span></p>'
            )
        return f'<p align="justify">\u3000\u3000{esc(text)}&nbsp;</p>'

    def render_report(self, site: FixtureSite, noise: Noise, report: FixtureReport, path: str) -> str:
        section = SECTIONS_BY_NAME[report.section]
        here = site.report_path(report.slug)
        meta = site.meta(report.slug)
        paras = []
        for i, text in enumerate(report.paragraphs):
            paras.append(self._paragraph(report, i, text))
            if spacer_after(report, i):
                paras.append("<p>&nbsp;</p>")
        body = noise.ws().join(paras)
        opening = '<div class="TRS_Editor" id="zoom">' if not noise.flip() else '<div id="zoom" class="TRS_Editor">'
        gap = "&nbsp;&nbsp;&nbsp;&nbsp;"
        credits = gap.join(
            f"{label}：{nbsp_runs(report.credits[key], alternate=True)}"
            for key, label in CREDIT_LABELS.items()
            if key in report.credits
        )
        files = " ".join(f'<a href="{attr(p)}" target="_blank">{esc(n)}</a>' for n, p in report.attachments)
        older, newer = site.neighbors(report)

        def pn(label: str, other: FixtureReport | None) -> str:
            if other is None:
                return f"<p>{label}：没有了</p>"
            return f'<p>{label}：<a href="{_rel(here, site.report_path(other.slug))}">{esc(other.title)}</a></p>'

        main = f"""<div class="main w1000">
<div class="position">您现在的位置：<a href="{_rel(here, "/")}">首页</a>\
 &gt;&gt; <a href="{_rel(here, f"/{section.key}/")}">{section.name}</a></div>
<div class="article">
<h1 class="title">{esc(report.title)}</h1>
<div class="info">\
发布时间：{report.published} {meta.clock}&nbsp;&nbsp;来源：{esc(report.source or "")}&nbsp;&nbsp;\
浏览次数：<span id="count">{noise.views()}</span>&nbsp;&nbsp;\
字号：[<a href="javascript:doZoom(16)">大</a> <a href="javascript:doZoom(14)">中</a> \
<a href="javascript:doZoom(12)">小</a>]</div>
<div class="tools">【<a href="javascript:window.print()">打印本稿</a>\
】 【<a href="javascript:window.close()">关闭</a>】</div>
{opening}<style type="text/css">
.TRS_Editor P{{margin-top:5px;margin-bottom:5px;line-height:1.75;font-family:宋体;font-size:12pt;}}\
.TRS_Editor DIV{{line-height:1.75;font-family:宋体;font-size:12pt;}}
</style>
<div class="Custom_UnionStyle">{noise.ws()}{body}{noise.ws()}</div></div>
<div class="bjxx" style="text-align: right;">{credits}</div>
<div class="fj">相关附件：{files}</div>
<div class="pn">{pn("上一篇", older)}{pn("下一篇", newer)}</div>
</div>
</div>"""
        metas = (
            f'<meta name="ColumnName" content="{section.name}" />\n'
            f'<meta name="ArticleTitle" content="{attr(report.title)}" />\n'
            f'<meta name="PubDate" content="{report.published} {meta.clock}" />\n'
            f'<meta name="ContentSource" content="{attr(report.source or "")}" />\n'
        )
        return self._frame(noise, here, report.title, main, metas)

    def render_topic(self, site: FixtureSite, noise: Noise, path: str) -> str:
        main = f"""<div class="main w1000"><div class="zt_banner">{DECOY_TEXT}</div>
<ul class="list_ul">
{self._items(site, TOPIC_PATH, site.page_items("工作动态", 1)[:5], date_first=False)}
</ul></div>"""
        return self._frame(noise, TOPIC_PATH, DECOY_TEXT, main)

    def render_not_found(self, site: FixtureSite, noise: Noise) -> str:
        main = """<div class="main w1000"><div class="error">
<h2>页面不存在</h2><p>抱歉，您访问的页面不存在或已被删除。</p><p><a href="/">返回首页</a></p>
</div></div>"""
        return self._frame(noise, "/", "页面不存在", main)
