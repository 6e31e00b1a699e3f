"""kronika.runs: what a run's stats mean (pages, errors by cause, skips by reason) and its verdict.

The stats below are shaped as the crawls record them: SITE_DOWN and ROBOTS_OLD are copied from
real crawls of the mirror (a source whose proxy is a closed port; the crawl lab, whose listing
links a robots-disallowed page) with today's spiders, NEW_KEYS in the keys the spiders move to.
"""
from __future__ import annotations

from kronika import runs

# `kronika run` of a source whose proxy (127.0.0.1:9) refuses connections: the feed and robots.txt,
# each tried three times
SITE_DOWN = {
    "downloader/request_count": 6, "retry/count": 4, "retry/max_reached": 2,
    "retry/reason_count/scrapy.exceptions.DownloadConnectionRefusedError": 4,
    "downloader/exception_count": 6,
    "downloader/exception_type_count/scrapy.exceptions.DownloadConnectionRefusedError": 6,
    "kronika/errors": 1, "kronika/errors/DownloadConnectionRefusedError": 1,
    "robotstxt/request_count": 1,
    "robotstxt/exception_count/<class 'scrapy.exceptions.DownloadConnectionRefusedError'>": 1,
}
# the crawl lab: one robots-disallowed link, counted as an error by today's spider
ROBOTS_OLD = {
    "downloader/request_count": 20, "downloader/response_count": 19, "downloader/response_status_count/200": 15,
    "downloader/response_status_count/301": 1, "downloader/response_status_count/302": 1,
    "downloader/response_status_count/429": 1, "downloader/response_status_count/503": 1,
    "kronika/retry_after/count": 2, "robotstxt/forbidden": 1, "robotstxt/request_count": 1,
    "robotstxt/response_count": 1, "robotstxt/response_status_count/200": 1,
    "kronika/errors": 1, "kronika/errors/IgnoreRequest": 1, "kronika/filtered/url_pattern": 1,
    "kronika/skipped_non_html": 1,
    "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest": 1,
    "downloader/exception_type_count/scrapy.exceptions.StopDownload": 1,
}
NEW_KEYS = {
    "downloader/request_count": 40, "downloader/response_status_count/200": 30,
    "downloader/response_status_count/504": 3, "retry/count": 4,
    "kronika/errors": 6, "kronika/errors/timeout": 4, "kronika/errors/http_5xx": 1,
    "kronika/errors/discovery_parse": 1,
    "kronika/skipped/robots": 2, "robotstxt/forbidden": 2, "kronika/skipped/offsite": 5,
    "kronika/skipped/too_old": 1,
}


def test_a_site_down_names_the_cause_and_the_proxy():
    summary = runs.summarise_stats(SITE_DOWN)
    assert (summary.pages, summary.requests, summary.attempts) == (0, 2, 6)
    # the feed failed (the spider saw it) and robots.txt failed (only Scrapy saw it)
    assert summary.errors_by_cause == {"connection_refused": 2} and summary.skipped == 0
    verdict = runs.judge(summary, had_pages=False, proxy=runs.proxy_address({"proxy": "http://127.0.0.1:9"}))
    assert verdict.reason == "nothing fetched: connection refused by proxy 127.0.0.1:9 (2 of 2 requests)"
    after_pages = runs.judge(summary, had_pages=True)
    assert after_pages.reason.startswith("zero pages fetched, although earlier runs fetched pages: connection refused")


def test_robots_refusals_are_skips_never_errors_in_old_and_new_keys():
    old = runs.summarise_stats(ROBOTS_OLD)
    assert old.errors == 0 and old.errors_by_cause == {}
    assert old.skipped_by_reason == {"non_html": 1, "robots": 1, "url_rule": 1}
    # robots.txt and the 429/503 answers later retried are not pages; the redirects are responses
    assert old.pages == 16 and old.requests == 18
    new = runs.summarise_stats(NEW_KEYS)
    # robots counted by the spider and by Scrapy's middleware: once
    assert new.skipped_by_reason == {"offsite": 5, "robots": 2, "too_old": 1}
    assert new.errors_by_cause == {"timeout": 4, "discovery_parse": 1, "http_5xx": 1} and new.errors == 6
    assert not runs.judge(new, had_pages=True).failed  # 6 of 36 requests: 17%


def test_the_error_share_needs_enough_requests_before_it_fails_a_run():
    few = runs.summarise_stats({"downloader/request_count": 4, "downloader/response_status_count/200": 2,
                                "kronika/errors": 2, "kronika/errors/timeout": 2})
    assert not runs.judge(few, had_pages=True).failed  # 2 of 4 is chance at this size
    many = runs.summarise_stats({"downloader/request_count": 20, "downloader/response_status_count/200": 14,
                                 "kronika/errors": 6, "kronika/errors/timeout": 5, "kronika/errors/dns": 1})
    verdict = runs.judge(many, had_pages=True)
    assert verdict.reason == ("errors in 6 of 20 requests (more than 20%): timed out (5 of 20 requests); "
                              "host name not found (DNS) (1 of 20 requests)")


def test_zero_pages_after_pages_fails_even_without_errors():
    empty = runs.summarise_stats({"downloader/request_count": 1, "robotstxt/response_count": 1,
                                  "downloader/response_status_count/200": 1,
                                  "robotstxt/response_status_count/200": 1})
    assert empty.pages == 0  # robots.txt is no page of the source
    assert runs.judge(empty, had_pages=True).reason == "zero pages fetched, although earlier runs fetched pages"
    assert not runs.judge(empty, had_pages=False).failed  # a new source with nothing in it yet


def test_unnamed_errors_of_older_spiders_get_their_cause_from_scrapy_counters():
    # the Telegram spider's errback counted without a name; Scrapy knows it timed out
    stats = {"downloader/request_count": 3, "retry/count": 2, "kronika/errors": 1,
             "downloader/exception_type_count/twisted.internet.error.TimeoutError": 3,
             "retry/reason_count/twisted.internet.error.TimeoutError": 2}
    assert runs.errors_by_cause(stats) == {"timeout": 1}
    assert runs.errors_by_cause({"kronika/errors": 2, "kronika/article_status/503": 2}) == {"http_5xx": 2}
    assert runs.errors_by_cause({"kronika/errors": 3}) == {"other": 3}


def test_public_stats_keep_what_the_summary_reads():
    kept = runs.public_stats(SITE_DOWN | {"memusage/max": 1, "scheduler/enqueued": 3})
    assert "memusage/max" not in kept and "scheduler/enqueued" not in kept
    assert runs.summarise_stats(kept).errors_by_cause == runs.summarise_stats(SITE_DOWN).errors_by_cause


def test_a_failed_verdict_becomes_the_run_status_and_keeps_an_earlier_reason():
    from kronika.storage.db.models import CrawlRun

    run = CrawlRun(id="r", source="s", status="succeeded", stats={})
    runs.record_verdict(None, run, runs.Verdict(failed=["nothing fetched:  timed out\n(3 of 3 requests)"]))
    assert run.status == "failed" and run.reason == "nothing fetched: timed out (3 of 3 requests)"
    crashed = CrawlRun(id="c", source="s", status="failed", reason="crawl of s failed (exit 1)", stats={})
    runs.record_verdict(None, crashed, runs.Verdict(failed=["the crawl ended failed"]))
    assert crashed.reason == "crawl of s failed (exit 1)"
    passed = CrawlRun(id="p", source="s", status="succeeded", stats={})
    runs.record_verdict(None, passed, runs.Verdict(passed=["12 pages fetched"]))
    assert passed.status == "succeeded" and passed.reason is None


def test_the_proxy_is_named_by_host_and_port_never_with_its_credentials():
    assert runs.proxy_address({"proxy": "http://[redacted]@127.0.0.1:3128"}) == "127.0.0.1:3128"
    assert runs.proxy_address({"proxy": "http://user:pw@proxy.example:8080"}) == "proxy.example:8080"
    assert runs.proxy_address({"proxy": "proxy.example"}) == "proxy.example"
    assert runs.proxy_address({}) is None


def test_a_run_failed_by_a_later_step_is_judged_afresh_by_the_check():
    from kronika.storage.db.models import CrawlRun

    run = CrawlRun(id="r", source="s", status="failed", reason="index failed after the crawl: OSError: x",
                   stats={runs.FAILED_STEP: "index", "downloader/request_count": 3})
    assert runs.crawl_went_well(run)
    runs.record_verdict(None, run, runs.Verdict(failed=["nothing fetched"]))
    assert (run.status, run.reason) == ("failed", "nothing fetched") and runs.FAILED_STEP not in run.stats
    crashed = CrawlRun(id="c", source="s", status="failed", reason="crawl of s failed (exit 1)", stats={})
    assert not runs.crawl_went_well(crashed)
