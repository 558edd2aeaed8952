"""A current-day HTML5 site: dropdown nav, truncated list titles, numbered pager, random CSS classes.

The section link hides inside a dropdown whose own label is a javascript: link,
and a decoy link containing the section name sits earlier in the page.
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
    spacer_after,
    truncate,
)
from .model import CREDIT_LABELS, SECTIONS_BY_KEY, SECTIONS_BY_NAME, FixtureReport, ReportMeta, SectionInfo

if TYPE_CHECKING:
    from .site import FixtureSite

TOPIC_PATH = "/zt/jdgzzt.html"
MENUS = (
    ("人大新闻", ("工作动态", "通知公告")),
    ("人大监督", ("监督工作", "法制建设")),
    ("代表之家", ("代表工作",)),
)
_LIST = re.compile(r"^/([a-z]+)/list_(\d+)\.html$")
_REPORT = re.compile(r"^/([a-z]+)/(\d+)\.html$")
_DIR = re.compile(r"^/([a-z]+)/?$")


class ModernLayout(Layout):
    name: ClassVar[str] = "modern"
    codec: ClassVar[str] = "utf-8"
    content_type: ClassVar[str] = "text/html; charset=utf-8"
    default_page_size: ClassVar[int] = 10
    strict_report_paths: ClassVar[bool] = True

    def server_headers(self) -> dict[str, str]:
        return {"Server": "nginx/1.20.1", "X-Frame-Options": "SAMEORIGIN"}

    # --- URL scheme -----------------------------------------------------------------------------------

    def home_path(self) -> str:
        return "/"

    def list_path(self, section: SectionInfo, page: int) -> str:
        return f"/{section.key}/list_{page}.html"

    def report_path(self, section: SectionInfo, meta: ReportMeta) -> str:
        return f"/{section.key}/{meta.docid}.html"

    def route(self, path: str, query: dict[str, str]) -> Route | None:
        if path in ("/", "/index.html"):
            return Route("home")
        if path == TOPIC_PATH:
            return Route("topic")
        if m := _LIST.match(path):
            section = SECTIONS_BY_KEY.get(m[1])
            return Route("list", section=section, page=int(m[2])) if section else None
        if m := _REPORT.match(path):
            section = SECTIONS_BY_KEY.get(m[1])
            return Route("report", section=section, docid=int(m[2])) if section else None
        if (m := _DIR.match(path)) and m[1] in SECTIONS_BY_KEY:
            return Route("redirect", location=f"/{m[1]}/list_1.html", status=302)
        return None

    # --- page frame -----------------------------------------------------------------------------------

    def _frame(self, noise: Noise, title: str, main: str, body_class: str) -> str:
        menus = []
        for label, names in MENUS:
            subs = "".join(f'<li><a href="/{SECTIONS_BY_NAME[n].key}/list_1.html">{n}</a></li>' for n in names)
            menus.append(f'<li class="dropdown"><a href="javascript:;">{label}</a><ul class="submenu">{subs}</ul></li>')
        nav = "\n".join(menus)
        return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="{noise.token()}">
<title>{esc(title)} - {SITE_NAME}</title>
<link rel="stylesheet" href="/static/css/main.css?v=3.2.1">
<script src="/static/js/app.js?v=3.2.1" defer></script>
</head>
<body class="{body_class}">
<div class="topbar"><div class="container">
<span class="today">{noise.today()}</span>
<a class="topic-link" href="{TOPIC_PATH}">{DECOY_TEXT}</a>
</div></div>
<header class="site-header"><div class="container">
<a class="logo" href="/"><img src="/static/img/logo.png" alt="{SITE_NAME}"></a>
<nav class="main-nav"><ul>
<li><a href="/">首页</a></li>
{nav}
<li><a href="/zt/jdgzzt.html">专题专栏</a></li>
</ul></nav>
<form class="search" action="/search" method="get">\
<input type="hidden" name="_t" value="{noise.token()}"><input name="q" placeholder="请输入关键词">\
<button type="submit">搜索</button></form>
</div></header>
{main}
<footer class="site-footer"><div class="container">
<p>Copyright 2015 www.ayrdw.gov.cn All Rights Reserved</p>
<p>版权所有：安岳县人大常委会办公室<span class="sep"></span>联系电话（举报电话）：028-24522373</p>
<p>未经书面允许不得转载信息内容、建立镜像</p>
<p><a href="https://beian.miit.gov.cn/" target="_blank" rel="noopener">蜀ICP备18018333号</a>\
<span class="sep"></span>访问量：<span class="pv">{noise.views()}</span></p>
</div></footer>
</body>
</html>
"""

    def _news(self, site: FixtureSite, reports: list[FixtureReport], limit: int = 20) -> str:
        out = []
        for r in reports:
            shown = truncate(r.title, limit, "…")
            title = f' title="{attr(r.title)}"' if site.meta(r.slug).seq % 2 else ""
            out.append(
                f'<li><a href="{site.report_path(r.slug)}"{title} target="_blank">{esc(shown)}</a>'
                f'<span class="date">{r.published}</span></li>'
            )
        return "\n".join(out)

    def _hot(self, site: FixtureSite, exclude: str | None) -> str:
        return f"""<aside class="col-side"><div class="box hot"><h3 class="box-title">热点</h3>\
<ul class="news-list">
{self._news(site, site.hot(exclude=exclude, count=6), 16)}
</ul></div></aside>"""

    # --- pages ----------------------------------------------------------------------------------------

    def render_home(self, site: FixtureSite, noise: Noise) -> str:
        boxes = []
        for _, names in MENUS:
            for name in names:
                s = SECTIONS_BY_NAME[name]
                boxes.append(f"""<section class="box box-{s.key}"><div class="box-head"><h3>{name}</h3>
<a class="more" href="/{s.key}/list_1.html">更多 &gt;</a></div>
<ul class="news-list">
{self._news(site, site.page_items(name, 1)[:6])}
</ul></section>""")
        main = f"""<main class="container page-home">
<div class="banner"><img src="/static/img/banner.jpg" alt=""></div>
<div class="grid">
{chr(10).join(boxes)}
</div>
</main>"""
        return self._frame(noise, "首页", main, "home")

    def render_list(self, site: FixtureSite, noise: Noise, section: SectionInfo, page: int, path: str) -> str:
        last = site.page_count(section.name)

        def href(p: int) -> str:
            return self.list_path(section, p)

        pager = [f'<span class="total">共{last}页</span>']
        if page > 1:
            pager += [f'<a href="{href(1)}">首页</a>', f'<a href="{href(page - 1)}">上一页</a>']
        for p in range(1, last + 1):
            pager.append(f'<span class="current">{p}</span>' if p == page else f'<a href="{href(p)}">{p}</a>')
        if page < last:
            pager += [f'<a href="{href(page + 1)}">下一页</a>', f'<a href="{href(last)}">尾页</a>']
        main = f"""<main class="container page-list">
<div class="breadcrumb">您现在的位置：<a href="/">首页</a> &gt;&gt; <span>{section.name}</span></div>
<div class="row">
<section class="col-main"><h2 class="col-title">{section.name}</h2>
<ul class="news-list">
{self._news(site, site.page_items(section.name, page))}
</ul>
<div class="pagination">{" ".join(pager)}</div>
</section>
{self._hot(site, section.name)}
</div>
</main>"""
        return self._frame(noise, section.name, main, "list")

    def render_report(self, site: FixtureSite, noise: Noise, report: FixtureReport, path: str) -> str:
        section = SECTIONS_BY_NAME[report.section]
        meta = site.meta(report.slug)
        source = f'<span class="source">来源：{esc(report.source)}</span>' if report.source else ""
        paras = []
        for i, text in enumerate(report.paragraphs):
            paras.append(f"<p>{esc(text)}</p>" if i % 3 else f'<p><span style="font-size:16px">{esc(text)}</span></p>')
            if spacer_after(report, i):
                paras.append("<p><br></p>")
        credits = "".join(
            f'<p><span class="label">{label}：</span>{nbsp_runs(report.credits[key], alternate=True)}</p>'
            for key, label in CREDIT_LABELS.items()
            if key in report.credits
        )
        files = "".join(f'<li><a href="{attr(p)}" download>{esc(n)}</a></li>' for n, p in report.attachments)
        older, newer = site.neighbors(report)

        def pn(cls: str, label: str, other: FixtureReport | None) -> str:
            if other is None:
                return f'<p class="{cls}">{label}：<span>没有了</span></p>'
            href = site.report_path(other.slug)
            return f'<p class="{cls}">{label}：<a href="{href}">{esc(other.title)}</a></p>'

        related = [r for r in site.page_items(report.section, 1) if r.slug != report.slug][:5]
        main = f"""<main class="container page-article">
<div class="breadcrumb">您现在的位置：<a href="/">首页</a>\
 &gt;&gt; <a href="/{section.key}/list_1.html">{section.name}</a></div>
<div class="row">
<article class="article{noise.tag()}" data-id="{meta.docid}">
<h1 class="article-title">{esc(report.title)}</h1>
<div class="article-meta"><span class="pubdate">发布时间：{report.published} {meta.clock}:00</span>\
{source}<span class="views">浏览次数：<em>{noise.views()}</em></span>
<span class="fontsize">字号：<a href="javascript:;" data-size="18">大</a>\
<a href="javascript:;" data-size="16">中</a><a href="javascript:;" data-size="14">小</a></span>\
</div>
<div class="article-tools"><a href="javascript:window.print();">【打印本稿】</a>\
 <a href="javascript:window.close();">【关闭】</a></div>
<div class="article-content" id="zoom">{noise.ws()}{noise.ws().join(paras)}{noise.ws()}</div>
<div class="article-credits" style="text-align:right">{credits}</div>
<div class="article-attachments"><strong>相关附件：</strong><ul>{files}</ul></div>
<div class="prev-next">{pn("prev", "上一篇", older)}{pn("next", "下一篇", newer)}</div>
</article>
<aside class="col-side"><div class="box related"><h3 class="box-title">相关文章</h3><ul class="news-list">
{self._news(site, related, 16)}
</ul></div></aside>
</div>
</main>"""
        return self._frame(noise, report.title, main, "article")

    def render_topic(self, site: FixtureSite, noise: Noise, path: str) -> str:
        main = f"""<main class="container page-topic"><h2 class="col-title">{DECOY_TEXT}</h2>
<ul class="news-list">
{self._news(site, site.page_items("工作动态", 1)[:5])}
</ul></main>"""
        return self._frame(noise, DECOY_TEXT, main, "topic")

    def render_not_found(self, site: FixtureSite, noise: Noise) -> str:
        main = """<main class="container page-404"><div class="error-box">
<h2>404 页面不存在</h2><p>抱歉，您访问的页面不存在或已被删除。</p><p><a href="/">返回首页</a></p>
</div></main>"""
        return self._frame(noise, "页面不存在", main, "error")
