"""Charset: header, BOM, meta, guess; gb2312/gbk read as gb18030; the bytes win."""

from crawler.charset import decode_html

GBK_PAGE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>'
    "<body>朱镕基 王喆 李堃 昇</body></html>"
)


def test_gbk_bytes_labelled_gb2312_keep_gbk_only_characters() -> None:
    text, codec = decode_html(GBK_PAGE.encode("gbk"), "text/html")
    assert codec == "gb18030"
    assert "朱镕基 王喆 李堃 昇" in text and "\ufffd" not in text


def test_header_saying_utf8_loses_to_gbk_bytes() -> None:
    text, _ = decode_html(GBK_PAGE.encode("gbk"), "text/html; charset=utf-8")
    assert "王喆" in text


def test_latin1_server_default_is_ignored_for_chinese_bytes() -> None:
    text, _ = decode_html(GBK_PAGE.encode("gbk"), "text/html; charset=ISO-8859-1")
    assert "朱镕基" in text


def test_utf8_bytes_labelled_gbk_are_read_as_utf8() -> None:
    page = "<p>惠州市中级人民法院公众案件信息</p>".encode()
    text, codec = decode_html(page, "text/html; charset=gbk")
    assert codec == "utf-8" and "惠州市中级人民法院" in text


def test_bom_wins_over_everything() -> None:
    text, codec = decode_html("<p>监督工作</p>".encode("utf-8-sig"), "text/html; charset=gbk")
    assert codec == "utf-8" and text == "<p>监督工作</p>"


def test_no_declaration_short_gbk_is_not_mistaken_for_utf8() -> None:
    text, _ = decode_html("<p>监督工作报告</p>".encode("gbk"), None)
    assert "监督工作报告" in text
