"""The read-only web view in a real headless browser (Debian's chromium driven by Selenium).

Loads every kind of page after a crawl with history, searches, opens a diff (title side by side),
follows a capture link (the WARC record's metadata beside its body), reads the recent changes and
their feed, and checks that archived markup is shown as text and never runs. Screenshots land in
test-artifacts/web/. Skipped, saying why, only where chromium cannot be installed (`make test`
installs it).
"""
from __future__ import annotations

import shutil
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Article, ArticleVersion, Capture, TelegramPost, TelegramPostVersion
from tests.conftest import ROOT
from tests.integration.crawled import crawl_with_history

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = ROOT / "test-artifacts" / "web"
EVIL = """<script>window.__pwned = 1; document.title = "pwned"</script><img src="x" onerror="window.__pwned = 2">"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--window-size=1280,900"]


@pytest.fixture
def browser(monkeypatch):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip(f"{CHROMIUM} or {CHROMEDRIVER} missing: `make test` installs Debian's chromium and "
                    "chromium-driver (apt-get install chromium chromium-driver); it could not here")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never fetch a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


class LiveServer:
    """`kronika serve`'s app under uvicorn on a free loopback port, in a thread."""

    def __init__(self, app):
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the web view did not start"
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def plant_hostile_content(database_url: str) -> tuple[int, int]:
    """An article version and a post whose archived text is markup that would run if not escaped."""
    engine = open_database(database_url)
    with unit_of_work(engine) as session:
        capture = session.scalars(select(Capture).where(Capture.role == "article").limit(1)).one()
        now = datetime.now(timezone.utc)
        article = Article(source="riverside-herald", url="http://mirror.kronika.test/herald/news/hostile.html",
                          first_seen_at=now, last_seen_at=now, title=f"Hostile {EVIL}", authors=[],
                          text=f"Body {EVIL}", text_hash="h", versions=1)
        session.add(article)
        session.flush()
        session.add(ArticleVersion(article_id=article.id, capture_id=capture.id, title=article.title, authors=[],
                                   text=article.text, text_hash="h", captured_at=now, provenance={}))
        # and rewritten, still hostile: an edit that the changes page and its feeds list
        later_capture = session.scalars(select(Capture).where(Capture.role == "article", Capture.id != capture.id)
                                        .limit(1)).one()
        session.add(ArticleVersion(article_id=article.id, capture_id=later_capture.id, title=f"Hostile, updated {EVIL}",
                                   authors=[], text=f"Body, updated {EVIL}", text_hash="h2",
                                   captured_at=now + timedelta(minutes=1), provenance={}))
        post = TelegramPost(source="zarichna-ova", channel="zarichna_ova", post_id=999999,
                            url="https://t.me/zarichna_ova/999999", posted_at=now, first_seen_at=now,
                            last_seen_at=now, text=f"Post {EVIL}", html=EVIL, text_hash="h", versions=1, media=[])
        session.add(post)
        session.flush()
        session.add(TelegramPostVersion(post_id=post.id, capture_id=capture.id, text=post.text, html=EVIL,
                                        text_hash="h", media=[], captured_at=now))
        return article.id, post.id


def find_on_pages(browser, url: str, selector: str, limit: int = 20):
    """The elements matching `selector` on the first page of a paginated list that has any."""
    from selenium.webdriver.common.by import By

    browser.get(url)
    for _ in range(limit):
        found = browser.find_elements(By.CSS_SELECTOR, selector)
        if found:
            return found
        following = browser.find_elements(By.CSS_SELECTOR, "a[rel=next]")
        if not following:
            break
        following[0].click()
    raise AssertionError(f"nothing matches {selector} on any page of {url}")


def shot(driver, name: str) -> None:
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 5000, f"{name}: an empty screenshot"


def test_web_view_in_a_real_browser(browser, sqlite_env, mirror, demo_config):
    from selenium.webdriver.common.by import By

    from kronika.web import create_app

    crawl_with_history(demo_config, sqlite_env, mirror)
    hostile_article, hostile_post = plant_hostile_content(sqlite_env.database_url)
    app = create_app(sqlite_env, per_page=10)
    with LiveServer(app) as base:
        # sources and their last runs
        browser.get(base + "/")
        rows = browser.find_elements(By.CSS_SELECTOR, "#sources tbody tr")
        assert {r.find_element(By.TAG_NAME, "td").text for r in rows} == {s.name for s in demo_config.sources}
        assert "succeeded" in browser.find_element(By.ID, "sources").text
        shot(browser, "01-sources")

        # search from the form, as a person would
        browser.get(base + "/articles")
        box = browser.find_element(By.CSS_SELECTOR, "form.search input[name=q]")
        box.send_keys("Zarichansk")
        box.submit()
        assert "q=Zarichansk" in browser.current_url
        found = browser.find_elements(By.CSS_SELECTOR, "#articles a.article-link")
        assert found, "the search found nothing"
        assert "matching “Zarichansk”" in browser.find_element(By.CSS_SELECTOR, "p.count").text
        shot(browser, "02-search")

        # Ukrainian: SQLite's own lower() is ASCII only; the read-only engine folds Cyrillic too
        browser.get(base + "/articles?q=" + "ЗАРІЧАНСЬК")
        assert browser.find_elements(By.CSS_SELECTOR, "#articles a.article-link")

        # pagination: 10 per page here, more articles than that
        browser.get(base + "/articles")
        browser.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
        assert "page=2" in browser.current_url and "page 2 of" in browser.find_element(By.CSS_SELECTOR, ".pager").text

        # an article that was rewritten: its versions and the diff between them
        rewritten = find_on_pages(browser, base + "/articles", "#articles tr.changed a.article-link")[0]
        rewritten.click()
        versions = browser.find_elements(By.CSS_SELECTOR, "#versions tbody tr")
        assert len(versions) >= 2
        titles = [row.find_elements(By.TAG_NAME, "td")[2].text for row in versions]
        browser.find_elements(By.CSS_SELECTOR, "a.diff-link")[-1].click()
        diff = browser.find_element(By.ID, "diff")
        assert diff.find_elements(By.TAG_NAME, "ins") or diff.find_elements(By.TAG_NAME, "del")
        # the title side by side, old | new, each side whole (no words run together)
        old_title, new_title = (browser.find_element(By.CSS_SELECTOR, f"#fields tr.field-title td.{side}").text
                                for side in ("old", "new"))
        assert (old_title, new_title) == (titles[-2], titles[-1])
        shot(browser, "03-article-diff")

        # the archived capture: the WARC record's place, headers and digests beside its body as text
        article_url = browser.current_url
        browser.find_element(By.CSS_SELECTOR, "a.capture-link").click()
        assert "/capture/" in browser.current_url
        record = browser.find_element(By.ID, "record-meta").text
        for label in ("WARC file", "offset", "length", "WARC-Record-ID", "WARC-Payload-Digest", "WARC-Block-Digest",
                      "WARC-Date", "record type", "timestamp"):
            assert label in record, label
        assert "WARC-Target-URI" in browser.find_element(By.ID, "warc-headers").text  # the record as written
        body = browser.find_element(By.CSS_SELECTOR, "#body pre.archived").text
        assert "<html" in body.lower() and "</" in body, "the capture should show markup as text"
        assert not browser.find_elements(By.TAG_NAME, "script")
        shot(browser, "04-capture")
        # and the body alone, as archived: text/plain under a CSP that allows no script
        browser.find_element(By.CSS_SELECTOR, "a.body-link").click()
        response = httpx.get(browser.current_url)
        assert response.headers["content-type"].startswith("text/plain")
        assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none' covers it
        assert "sandbox" in response.headers["content-security-policy"]
        assert "<html" in browser.find_element(By.TAG_NAME, "body").text.lower()

        # a revisit: its own record, and the original whose body it shows
        revisit = _a_revisit(sqlite_env.database_url)
        browser.get(f"{base}/capture/{revisit}")
        note = browser.find_element(By.ID, "revisit-original")
        assert "WARC-Refers-To-Target-URI" in browser.find_element(By.ID, "record-meta").text
        note.find_element(By.TAG_NAME, "a").click()
        assert browser.find_element(By.ID, "record-meta").text.count("response") >= 1
        browser.get(f"{base}/capture/{revisit}")
        shot(browser, "09-capture-revisit")
        browser.get(article_url)

        # a channel: edits and deletions marked
        assert find_on_pages(browser, base + "/channels/zarichna_ova", "li.post.is-edited .badge.edited")
        assert find_on_pages(browser, base + "/channels/zarichna_ova", "li.post.is-deleted .badge.deleted")
        shot(browser, "05-channel")

        # an edited post's versions with the diff
        find_on_pages(browser, base + "/posts?q=" + "постраждалих", "li.post.is-edited .post-meta a")[0].click()
        assert browser.find_elements(By.CSS_SELECTOR, "section.version .diff ins")
        shot(browser, "06-post")

        # run history
        browser.get(base + "/runs")
        assert len(browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr")) == 2 * len(demo_config.sources)
        shot(browser, "07-runs")
        # each run id links to the run's page: outcome, errors by cause, skips by reason, every counter
        browser.find_element(By.CSS_SELECTOR, "#runs tbody tr td a code").click()
        assert browser.find_elements(By.CSS_SELECTOR, "table#errors") and browser.find_elements(By.CSS_SELECTOR,
                                                                                             "table#skips")
        assert "downloader/request_count" in browser.find_element(By.ID, "stats").text
        shot(browser, "07-run")

        # recent changes: edits and deletions of every source, newest first, each linking to its diff
        browser.get(base + "/changes")
        kinds = {e.text for e in browser.find_elements(By.CSS_SELECTOR, "#changes tr.change .badge")}
        assert {"article edited", "post edited", "post deleted"} <= kinds
        assert browser.find_element(By.CSS_SELECTOR, "link[rel=alternate][type='application/atom+xml']")
        shot(browser, "10-changes")
        browser.find_element(By.CSS_SELECTOR, "#changes tr.kind-article-edited a.change-link").click()
        assert browser.find_element(By.ID, "diff")
        browser.get(base + "/changes?source=zarichna-ova")
        assert {e.text for e in browser.find_elements(By.CSS_SELECTOR, "#changes tr.change > td.source")} == \
            {"zarichna-ova"}
        browser.get(base + "/changes.atom")
        shot(browser, "11-changes-feed")

        # archived markup is shown, escaped, and never runs
        for path in (f"/articles/{hostile_article}", f"/posts/{hostile_post}", "/posts?q=999999",
                     "/articles?q=Hostile", "/changes"):
            browser.get(base + path)
            time.sleep(0.2)
            assert browser.execute_script("return window.__pwned") is None, path
            assert browser.title != "pwned", path
            assert '<script>window.__pwned = 1; document.title = "pwned"</script>' in \
                browser.find_element(By.TAG_NAME, "main").text, path
            assert not browser.find_elements(By.CSS_SELECTOR, "main script, main img"), path
        shot(browser, "08-hostile-escaped")

        # read-only by construction: nothing but GET
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            assert httpx.request(method, base + "/articles").status_code == 405


def _a_revisit(database_url: str) -> int:
    engine = open_database(database_url)
    with unit_of_work(engine) as session:
        return session.scalars(select(Capture.id).where(Capture.record_type == "revisit", Capture.role == "article")
                               .limit(1)).one()


def test_the_web_view_refuses_a_missing_database(tmp_path):
    from kronika.settings import Environment
    from kronika.storage.db.readonly import DatabaseNotReady
    from kronika.web import create_app

    with pytest.raises(DatabaseNotReady):
        create_app(Environment(database_url=f"sqlite:///{tmp_path / 'none.db'}", archive_dir=tmp_path))
    assert not (tmp_path / "none.db").exists()


def test_chromium_is_debians_not_a_download():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: `make test` installs Debian's chromium")
    assert shutil.which("chromium") == CHROMIUM


def test_kronika_serve_listens_and_answers_read_only(sqlite_env):
    import os
    import re
    import subprocess
    import sys

    open_database(sqlite_env.database_url)  # an empty, migrated database
    process = subprocess.Popen([sys.executable, "-m", "kronika.cli", "serve", "--port", "0"],
                               stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        line = process.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        base = f"http://127.0.0.1:{match[1]}"
        deadline = time.monotonic() + 20
        while True:
            try:
                home = httpx.get(base + "/")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert home.status_code == 200 and "No sources yet" in home.text
        assert "script-src" not in home.headers["content-security-policy"]
        assert "default-src 'none'" in home.headers["content-security-policy"]
        assert httpx.post(base + "/").status_code == 405
    finally:
        process.terminate()
        process.wait(10)
    busy = subprocess.run([sys.executable, "-m", "kronika.cli", "serve", "--host", "256.0.0.1"],
                          capture_output=True, text=True, env=dict(os.environ), timeout=60)
    assert busy.returncode == 1 and len(busy.stderr.strip().splitlines()) == 1 and "cannot listen" in busy.stderr
