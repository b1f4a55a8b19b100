"""The thread view in headless Chromium: order, indentation, and no archived script runs.

Driven by Selenium with Debian's /usr/bin/chromium and /usr/bin/chromedriver
(never Selenium Manager). The archive comes from real crawls of the seed site
and of tests/fixtures/xss/; the hostile comments' stored HTML is then replaced
with the raw markup from the fixture page, so the page must be safe through the
render-time sanitiser and the CSP alone, not only because the crawl sanitised.

Set ARCHIVER_SCREENSHOT=docs/thread-view.png to save the seed thread's screenshot there.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import html as lxml_html

from .conftest import expected_seed, start_server
from .test_serve import SEED_THREAD, XSS_SITE, XSS_THREAD, Served, crawl_seed_and_xss, post_id, serve_archive

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1100,1300",
)  # fmt: skip

webdriver = pytest.importorskip("selenium.webdriver")
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip("needs Debian's chromium and chromium-driver", allow_module_level=True)

from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


@pytest.fixture(scope="module")
def xss_server() -> Iterator[object]:
    server, info = start_server(XSS_SITE)
    yield info
    server.shutdown()
    server.server_close()


def raw_comment_html(page: Path) -> dict[str, str]:
    """Each comment's content exactly as the hostile page has it, unsanitised."""
    tree = lxml_html.fromstring(page.read_bytes())
    raw = {}
    for li in tree.xpath("//li[starts-with(@id, 'comment-')]"):
        (content,) = li.xpath("./article/div[@class='comment-content']")
        inner = (content.text or "") + "".join(lxml_html.tostring(c, encoding="unicode") for c in content)
        raw[li.get("id").removeprefix("comment-")] = inner
    return raw


@pytest.fixture(scope="module")
def served(seed_server, xss_server, tmp_path_factory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("browser-data")
    crawl_seed_and_xss(seed_server.url, xss_server.url, data)
    db = sqlite3.connect(data / "archive.db")
    with db:
        for source_id, html in raw_comment_html(XSS_SITE / XSS_THREAD.strip("/") / "index.html").items():
            db.execute("update comments set html = ? where source_id = ?", [html, source_id])
        assert db.execute("select count(*) from comments where html like '%<script>%'").fetchone()[0] == 1
    db.close()
    with serve_archive(data, tmp_path_factory.mktemp("browser-log")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="archiver-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_problems(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def test_seed_thread_reads_in_order_with_indentation(served, seed_server, browser, tmp_path):
    pid = post_id(served, seed_server.url.rstrip("/") + SEED_THREAD)
    browser.get(f"{served.url}/-/thread/{pid}")
    comments = browser.find_elements(By.CSS_SELECTOR, "ol.comments > li.comment")
    (want,) = [t for t in expected_seed()["threads"] if t["url"] == SEED_THREAD]
    assert len(comments) == 34
    got = [(c.get_attribute("data-source-id"), int(c.get_attribute("data-depth"))) for c in comments]
    assert got == [(str(c["id"]), c["depth"]) for c in want["comments"]]
    # Indentation: every level sits further right, and equal depths line up.
    left = {}
    for comment, (_, depth) in zip(comments, got):
        left.setdefault(depth, set()).add(comment.rect["x"])
    assert all(len(xs) == 1 for xs in left.values()), left
    xs = [left[d].pop() for d in sorted(left)]
    assert xs == sorted(xs) and len(set(xs)) == len(xs) and len(xs) == 5
    # The text is there and readable, and each reply links to its parent.
    first = comments[0]
    assert first.find_element(By.CSS_SELECTOR, ".author").text == "Tony"
    assert "Allepo" in first.find_element(By.CSS_SELECTOR, ".body").text
    reply = comments[2]
    parent_link = reply.find_element(By.CSS_SELECTOR, "a.reply-to")
    assert parent_link.get_attribute("href").endswith("#" + comments[1].get_attribute("id"))
    assert console_problems(browser) == [], "no CSP violation or script error on the page"
    # The screenshot shows replies three levels deep (comments 10 to 14).
    browser.execute_script("arguments[0].scrollIntoView(); window.scrollBy(0, -12)", comments[9])
    time.sleep(0.2)
    shot = tmp_path / "thread-view.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("ARCHIVER_SCREENSHOT"):
        shutil.copy(shot, os.environ["ARCHIVER_SCREENSHOT"])


def test_no_archived_script_runs(served, xss_server, browser):
    pid = post_id(served, xss_server.url.rstrip("/") + XSS_THREAD)
    requests_before = dict(xss_server.sent)
    browser.get(f"{served.url}/-/thread/{pid}")
    comments = browser.find_elements(By.CSS_SELECTOR, "ol.comments > li.comment")
    assert len(comments) == 5
    for element in browser.find_elements(By.CSS_SELECTOR, ".post .body, .comment .body, .comment .head"):
        ActionChains(browser).move_to_element(element).perform()
    time.sleep(0.3)
    assert browser.execute_script("return typeof window.__xss") == "undefined"
    content = browser.find_element(By.CSS_SELECTOR, ".reading")
    for tag in ("script", "iframe", "object", "embed", "svg", "form", "img", "style", "frame"):
        assert not content.find_elements(By.CSS_SELECTOR, f"article {tag}"), tag
    handlers = browser.execute_script(
        "return Array.from(document.querySelectorAll('.reading *')).flatMap("
        "el => Array.from(el.attributes).filter(a => /^on/i.test(a.name)).map(a => a.name))"
    )
    assert handlers == []
    hrefs = [a.get_attribute("href") or "" for a in content.find_elements(By.CSS_SELECTOR, "a")]
    assert not [h for h in hrefs if re.match(r"\s*(javascript|data|vbscript):", h, re.I)], hrefs
    # Scripts on the page are Datasette's own: none carries archived text.
    scripts = browser.execute_script("return Array.from(document.scripts).map(s => s.src || s.text)")
    assert not [s for s in scripts if "__xss" in s]
    # Archived markup shows as text, and images stay off: the page asked the archived site for nothing.
    names = [e.text for e in content.find_elements(By.CSS_SELECTOR, ".comment .author")]
    assert "<img src=x onerror=window.__xss=7>" in names
    assert "[image: tracking pixel]" in content.text
    assert xss_server.sent == requests_before
    assert console_problems(browser) == []


def test_datasette_pages_work_under_the_csp(served, browser):
    browser.get(f"{served.url}/archive/comments")
    assert browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns tbody tr")
    # table.js (a 'self' script) ran and the inline facet flag was allowed by its hash.
    assert browser.execute_script("return typeof DATASETTE_ALLOW_FACET") == "boolean"
    browser.get(f"{served.url}/archive?sql=select+1")
    assert browser.execute_script("return typeof CodeMirror") == "function"
    assert console_problems(browser) == []
