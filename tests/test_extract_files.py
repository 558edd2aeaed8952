"""`extract --file PATH [--url URL]`: saved pages read without fetching, one JSON object per
file (JSON Lines), every file printed, exit 1 if any is not a usable report.

The saved pages are the fixture site's own answers (bytes as served, a GBK page among them)
and the real pages of tests/realpages.
"""

from __future__ import annotations

import json
from pathlib import Path

from fixturesite.site import FixtureSite
from tests.conftest import REALPAGES


def save(site: FixtureSite, slug: str, path: Path) -> Path:
    """A report page as a browser's "save page" keeps it: the bytes the site sent."""
    status, _, body = site.handle("GET", site.report_path(slug), {})
    assert status == 200
    path.write_bytes(body)
    return path


def lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_saved_pages_give_the_same_fields_as_the_served_ones_gbk_included(tmp_path: Path, run_cli) -> None:
    site = FixtureSite("table-gbk")
    reports = site.sections["监督工作"][:2]
    base = "http://www.ayrdw.gov.cn"
    files = [save(site, r.slug, tmp_path / f"{r.slug}.html") for r in reports]
    assert b"charset=gb" in files[0].read_bytes()[:2000].lower(), "the charset is only in the page's <meta>"
    args = [
        a
        for f, r in zip(files, reports, strict=True)
        for a in ("--file", str(f), "--url", base + site.report_path(r.slug))
    ]
    done = run_cli("extract", *args)
    assert done.code == 0, done.stderr
    got = lines(done.stdout)
    assert [g["file"] for g in got] == [str(f) for f in files]
    for data, report in zip(got, reports, strict=True):
        expected = report.expected(data["url"])
        assert {k: data[k] for k in expected} == expected


def test_a_file_without_its_url_has_url_null_and_keeps_only_absolute_links(tmp_path: Path, run_cli) -> None:
    site = FixtureSite("trs")
    report = next(r for r in site.sections["监督工作"] if r.attachments)
    saved = save(site, report.slug, tmp_path / "saved.html")
    done = run_cli("extract", "--file", str(saved))
    (data,) = lines(done.stdout)
    assert data["url"] is None and data["title"] == report.title
    assert report.attachments and data["attachments"] == [], "its links are site-relative: nothing to resolve them"
    with_url = run_cli("extract", "--file", str(saved), "--url", "http://www.ayrdw.gov.cn/jdgz/1.html")
    assert [a["url"] for a in lines(with_url.stdout)[0]["attachments"]] == [
        "http://www.ayrdw.gov.cn" + path for _, path in report.attachments
    ]


def test_every_file_is_printed_and_one_unusable_page_makes_exit_1(tmp_path: Path, run_cli) -> None:
    good = REALPAGES / "gzns-tzzc-article-2017.html"
    empty = REALPAGES / "hd-xxgk-article-jyj.html"  # a real page with no body in the copy
    missing = tmp_path / "gone.html"
    done = run_cli("extract", "--file", str(good), "--file", str(empty), "--file", str(missing))
    assert done.code == 1
    got = lines(done.stdout)
    assert [g["file"] for g in got] == [str(good), str(empty), str(missing)]
    assert got[0]["title"] == "广州南沙新区（自贸片区）集聚人才创新发展的若干措施" and got[0]["problems"] == []
    assert any(p.startswith("no body") for p in got[1]["problems"])
    assert got[2]["problems"] == ["cannot read the file (No such file or directory)"]
    assert str(empty) in done.stderr and str(missing) in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_bom_decides_the_charset_of_a_saved_page(tmp_path: Path, run_cli) -> None:
    html = (REALPAGES / "gzns-tzzc-article-2017.html").read_text(encoding="utf-8")
    saved = tmp_path / "bom.html"
    saved.write_bytes(b"\xef\xbb\xbf" + html.replace("charset=utf-8", "charset=gbk").encode("utf-8"))
    (data,) = lines(run_cli("extract", "--file", str(saved)).stdout)
    assert data["title"] == "广州南沙新区（自贸片区）集聚人才创新发展的若干措施"


def test_wrong_use_is_a_usage_error(tmp_path: Path, run_cli) -> None:
    saved = tmp_path / "a.html"
    saved.write_text("<html></html>", encoding="utf-8")
    too_many = run_cli("extract", "--file", str(saved), "--url", "http://a.gov.cn/1.html", "--url", "http://b/")
    assert too_many.code == 2 and "the i-th --url belongs to the i-th --file" in too_many.stderr
    both = run_cli("extract", "http://a.gov.cn/1.html", "--file", str(saved))
    assert both.code == 2 and "not both" in both.stderr
    assert run_cli("extract", "--file", str(saved), "--url", "ftp://x").code == 2
