"""A site profile's selectors win over the heuristics (site knowledge as data)."""

from __future__ import annotations

from pathlib import Path

from pytest_httpserver import HTTPServer

# A page the heuristics read "wrong" on purpose: the sidebar holds more prose than the short
# notice, and the only date near the title is a "today" line the profile must point past.
PAGE = """<html><head><title>站点首页</title></head><body>
<div class="side"><p>本站简介：安岳县人大常委会门户网站是发布人大工作信息的平台，欢迎广大群众监督。</p>
<p>网站宗旨：公开透明、依法履职、服务代表、联系群众，持续推进人大工作信息化建设。</p>
<p>联系方式：地址位于安岳县岳阳镇，工作日上午九点至下午五点接待来访群众。</p></div>
<div class="notice"><div class="hd">关于召开县人大常委会第十次会议的通知</div>
<div class="when">2024/03/05</div>
<div class="bd"><p>县人大常委会定于三月十日召开第十次会议，请各位组成人员准时出席。</p></div></div>
</body></html>"""

PROFILE = """[selectors]
title = ".notice .hd"
published = ".notice .when"
body = ".notice .bd"
remove = [".side"]
"""


def test_profile_selectors_override_the_heuristics(httpserver: HTTPServer, tmp_path: Path, run_cli) -> None:
    httpserver.expect_request("/notice.html").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    url = httpserver.url_for("/notice.html")
    base = f'[site]\nurl = "{httpserver.url_for("/")}"\n[crawl]\ndelay = "0s"\n'

    guessed = run_cli("extract", url, config=base).json()
    assert guessed["text"] != "县人大常委会定于三月十日召开第十次会议，请各位组成人员准时出席。"

    (tmp_path / "site.toml").write_text(PROFILE, encoding="utf-8")
    result = run_cli("extract", url, config=base.replace("[crawl]", f'profile = "{tmp_path / "site.toml"}"\n[crawl]'))
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["title"] == "关于召开县人大常委会第十次会议的通知"
    assert data["published"] == "2024-03-05"
    assert data["text"] == "县人大常委会定于三月十日召开第十次会议，请各位组成人员准时出席。"


def test_a_list_item_selector_picks_the_items(httpserver: HTTPServer, tmp_path: Path, run_cli) -> None:
    rows = "".join(f'<li class="x"><a href="/r{i}.html">第{i}号公告</a></li>' for i in range(1, 4))
    page = f"<html><body><ul class='menu'><li><a href='/a.html'>首页</a></li></ul><ul>{rows}</ul></body></html>"
    httpserver.expect_request("/list.html").respond_with_data(page, content_type="text/html; charset=utf-8")
    (tmp_path / "site.toml").write_text('[selectors]\nlist_item = "li.x"\n', encoding="utf-8")
    config = f'[site]\nurl = "{httpserver.url_for("/")}"\nprofile = "{tmp_path / "site.toml"}"\n[crawl]\ndelay = "0s"\n'
    result = run_cli("listing", httpserver.url_for("/list.html"), config=config)
    assert result.code == 0, result.stderr
    assert [i["title"] for i in result.json()["items"]] == ["第1号公告", "第2号公告", "第3号公告"]
