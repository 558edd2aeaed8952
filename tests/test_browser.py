"""The web view in a real browser: headless Chromium (Debian's chromium and chromium-driver,
through Selenium, nothing downloaded) against a real `serve` process, the archive made by real
polls of the fixture site. A reader opens the overview, a watch, a report and a diff, and
searches; no console errors; the marks are visible and coloured unlike the text.

Without Chromium the test is skipped with one line, except under CI=true, where it fails
(.ci/run installs chromium and chromium-driver with apt-get). AYRDW_SCREENSHOTS=DIR keeps the
screenshots there (docs/ holds the ones the README shows)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from tests.procs import Proc, cli, free_port, wait_for

CHROMIUM, DRIVER = shutil.which("chromium"), "/usr/bin/chromedriver"
SECTION = "监督工作"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def _need_browser() -> None:
    if CHROMIUM and Path(DRIVER).exists():
        return
    why = "no headless Chromium (apt-get install chromium chromium-driver)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {why}: .ci/run installs them")
    pytest.skip(why)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    _need_browser()
    folder = tmp_path_factory.mktemp("browser")
    with FixtureServer(FixtureSite("modern", validators=False)) as site:
        config = folder / "c.toml"
        config.write_text(
            '[crawl]\ndelay = "0s"\nrecheck = "0s"\n[storage]\ndb = "a.db"\n[notify]\ntimezone = "Asia/Shanghai"\n'
            f'[[watch]]\nname = "anyue"\nurl = "{site.url("/")}"\nsection = "{SECTION}"\n',
            encoding="utf-8",
        )
        fixture = site.site
        assert cli(config, "poll").returncode == 0
        fixture.add_report(fixture.new_report(paragraphs=[
            "为深入贯彻落实党的二十大精神，根据县人大常委会2023年工作要点安排，县人大常委会组织开展了专项视察。",
            "视察组实地察看了县博物馆收藏的琮璜之器和文物保护单位，听取了县文化广播电视和旅游局的工作汇报。",
            "视察组要求：一是加强统筹；二是补齐短板；三是强化保障。",
        ]))  # fmt: skip
        assert cli(config, "poll").returncode == 0
        edited = fixture.sections[SECTION][0]
        first, second, third = edited.paragraphs
        third = third.replace("三是强化保障。", "三是强化保障，确保各项工作落到实处。")
        paragraphs = [first.replace("2023年", "2024年"), second, third]
        fixture.edit_report(edited.slug, paragraphs=paragraphs)
        assert cli(config, "poll").returncode == 0
        gone = fixture.sections[SECTION][-1]
        fixture.remove_report(gone.slug)
        assert cli(config, "poll").returncode == 0 and cli(config, "poll").returncode == 0
        port = free_port()
        server = Proc(config, "serve", "--port", str(port)).start()
        wait_for(lambda: "serving the archive" in server.output(), what="serve to start")
        try:
            yield {"url": f"http://127.0.0.1:{port}", "edited": edited.title, "gone": gone.title}
        finally:
            server.stop()


@pytest.fixture(scope="module")
def browser(served: dict) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not try to download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    profile = Path(os.environ.get("TMPDIR", "/tmp")) / f"ayrdw-chromium-{os.getpid()}"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
                 "--window-size=1280,900"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shots() -> Path | None:
    folder = os.environ.get("AYRDW_SCREENSHOTS")
    return Path(folder) if folder else None


def snap(driver, name: str, tmp: Path) -> None:  # type: ignore[no-untyped-def]
    """A full-page screenshot at desktop and phone widths (the phone as a phone: its viewport
    meta honoured, through Chromium's device emulation)."""
    import base64

    folder = shots() or tmp
    folder.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": label == "phone"}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        full = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]["height"]
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": min(int(full), 5000)})
        png = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})["data"]
        (folder / f"{name}-{label}.png").write_bytes(base64.b64decode(png))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def errors(driver) -> list[str]:  # type: ignore[no-untyped-def]
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_a_reader_looks_instead_of_reading(browser, served: dict, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(served["url"] + "/")
    assert driver.title.startswith("监测概览")
    assert "正常" in driver.find_element(By.CSS_SELECTOR, ".card").text
    assert served["edited"] in driver.find_element(By.CSS_SELECTOR, ".events").text
    snap(driver, "overview", tmp_path)
    assert errors(driver) == []

    driver.find_element(By.LINK_TEXT, SECTION).click()
    assert driver.current_url.endswith("/w/anyue/")
    rows = driver.find_elements(By.CSS_SELECTOR, "table.list tbody tr")
    assert len(rows) == 24
    snap(driver, "watch", tmp_path)
    driver.find_element(By.LINK_TEXT, "已删除").click()
    assert [r.text for r in driver.find_elements(By.CSS_SELECTOR, "td.title")] == [served["gone"]]
    driver.find_element(By.LINK_TEXT, served["gone"]).click()
    assert "此报告已从网站删除" in driver.find_element(By.CSS_SELECTOR, ".banner.removed").text

    driver.get(served["url"] + "/w/anyue/")
    driver.find_element(By.LINK_TEXT, served["edited"]).click()
    assert re.search(r"/w/anyue/r/\d+$", driver.current_url)
    body = driver.find_elements(By.CSS_SELECTOR, ".body p")
    assert len(body) >= 3 and "2024年" in driver.find_element(By.CSS_SELECTOR, ".body").text
    snap(driver, "report", tmp_path)

    driver.find_element(By.LINK_TEXT, "查看对比").click()
    assert "/diff?from=1&to=2" in driver.current_url
    deleted = driver.find_elements(By.CSS_SELECTOR, ".sides .old del.mark")
    inserted = driver.find_elements(By.CSS_SELECTOR, ".sides .new ins.mark")
    assert [d.text for d in deleted] == ["3"] and [i.text for i in inserted] == ["4", "，确保各项工作落到实处"]
    text_colour = driver.find_element(By.CSS_SELECTOR, ".sides .old p").value_of_css_property("color")
    for mark in (deleted[0], inserted[0]):
        assert mark.size["width"] > 0 and mark.size["height"] > 0, "a mark a reader can see"
        assert mark.value_of_css_property("color") != text_colour
        assert mark.value_of_css_property("background-color") not in ("rgba(0, 0, 0, 0)", "transparent")
    assert "line-through" in deleted[0].value_of_css_property("text-decoration")
    assert "underline" in inserted[0].value_of_css_property("text-decoration")
    assert deleted[0].value_of_css_property("color") != inserted[0].value_of_css_property("color")
    snap(driver, "diff", tmp_path)

    for term, found in (("琮璜", "琮璜"), ("琮璜之器", "琮璜之器")):  # the LIKE path and the index
        box = driver.find_element(By.CSS_SELECTOR, "form.search input[name=q]")
        box.clear()
        box.send_keys(term)
        box.submit()
        wait_for(lambda t=term: driver.title.startswith(f"搜索 {t}"), limit=10, what="the results page")
        marks = driver.find_elements(By.CSS_SELECTOR, ".hit .snippet mark")
        assert [m.text for m in marks] == [found], term
        assert marks[0].size["width"] > 0
    snap(driver, "search", tmp_path)
    assert errors(driver) == []
