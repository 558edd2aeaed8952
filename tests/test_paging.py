"""Each pagination strategy of crawler/paging.py on its own, on small pages as the sites
write them, and the merge of their answers."""

from __future__ import annotations

from crawler.dom import parse
from crawler.paging import (
    STRATEGIES,
    find_pages,
    next_link,
    numbered_links,
    script_pager,
    total_text,
    trs_count_page,
    trs_create_page_html,
)

BASE = "http://www.ayrdw.gov.cn/jdgz/index.html"


def run(strategy, html: str, url: str = BASE):  # type: ignore[no-untyped-def]
    return strategy(parse(html), html, url)


def test_next_link_follows_the_words_sites_use() -> None:
    for word in ("下一页", "下页", "后一页", "next", "»", ">>"):
        info = run(next_link, f'<body><a href="index_1.html">{word}</a></body>')
        assert info is not None and info.next_pages == ("http://www.ayrdw.gov.cn/jdgz/index_1.html",), word
    assert run(next_link, '<body><a href="javascript:go(2)">下一页</a></body>') is None
    assert run(next_link, '<body><a href="x.html">上一页</a></body>') is None


def test_numbered_links_give_the_pages_after_the_current_one() -> None:
    html = '<body><div class="page">1 <a href="list_2.html">2</a> <a href="list_3.html">3</a></div></body>'
    info = run(numbered_links, html)
    assert info is not None and [p.rsplit("/", 1)[-1] for p in info.next_pages] == ["list_2.html", "list_3.html"]
    middle = '<body><div><a href="list_1.html">1</a> 2 <a href="list_3.html">3</a></div></body>'
    assert [p.rsplit("/", 1)[-1] for p in run(numbered_links, middle).next_pages] == ["list_3.html"]
    assert run(numbered_links, "<body><a href='a.html'>第二十届</a></body>") is None
    years = '<body><div class="nf"><a href="c1/list.html">2008</a> <a href="c2/list.html">2009</a></div></body>'
    assert run(numbered_links, years) is None, "an archive menu of years is not a pager"


def test_a_pager_of_script_links_gives_the_total_and_no_page() -> None:
    html = (
        '<body><div class="pager"><a href="javascript:;">上一页</a><a href="javascript:;">1</a>'
        '<a href="javascript:;">2</a><span>...</span><a href="javascript:;">1000</a>'
        '<a href="javascript:;" class="next">下一页</a></div></body>'
    )
    info = run(script_pager, html)
    assert info is not None and info.total_pages == 1000 and info.next_pages == ()
    assert (
        run(script_pager, '<body><div><a href="index_1.html">下一页</a><a href="index_1.html">2</a></div></body>')
        is None
    )


def test_total_text_reads_the_page_count_in_its_forms() -> None:
    for text, total in (("共 12 页", 12), ("页次：1/7", 7), ("第1/3页", 3)):
        info = run(total_text, f"<body><div>{text}</div></body>")
        assert info is not None and info.total_pages == total and info.next_pages == (), text
    assert run(total_text, "<body><p>共查处干部13人</p></body>") is None


def test_trs_create_page_html_builds_the_next_pages_from_the_script() -> None:
    info = run(trs_create_page_html, '<script>createPageHTML(4, 0, "index", "html");</script>')
    assert info is not None and info.total_pages == 4
    assert [p.rsplit("/", 1)[-1] for p in info.next_pages] == ["index_1.html", "index_2.html", "index_3.html"]
    newer = run(trs_create_page_html, "<script>createPageHTML('page_div', 3, 1, 'index', 'shtml', 60);</script>")
    assert [p.rsplit("/", 1)[-1] for p in newer.next_pages] == ["index_2.shtml"]


def test_trs_count_page_reads_the_older_template() -> None:
    html = "<script>var currentPage = 1; var countPage = 3; document.write(page);</script>"
    info = run(trs_count_page, html, "http://x.gov.cn/col/index_1.htm")
    assert info is not None and info.total_pages == 3 and info.next_pages == ("http://x.gov.cn/col/index_2.htm",)
    assert run(trs_count_page, "<script>var countPage = 3;</script>") is None, "no document.write: not that template"


def test_find_pages_merges_every_strategy_without_the_page_itself() -> None:
    html = (
        '<body><div>共3页 1 <a href="index_1.html">2</a> <a href="index_2.html">3</a>'
        ' <a href="index_1.html">下一页</a> <a href="index.html#top">1</a></div>'
        '<script>createPageHTML(3, 0, "index", "html");</script></body>'
    )
    info = find_pages(parse(html), html, BASE)
    assert [p.rsplit("/", 1)[-1] for p in info.next_pages] == ["index_1.html", "index_2.html"]
    assert info.total_pages == 3
    assert set(STRATEGIES) == {
        "next-link", "numbered-links", "script-pager", "total-text", "trs-createPageHTML", "trs-countPage"
    }  # fmt: skip


def test_a_pager_script_inside_an_html_comment_is_no_pager() -> None:
    html = "<body><ul><!-- <li>x</li><script>createPageHTML('page_div', 10, 1, 'list', 'shtml', 200);</script> -->"
    assert find_pages(parse(html), html, BASE).next_pages == ()
