"""Politeness seen from the server: real crawls of the mirror's crawl lab, and the mirror's log of
when each request arrived and how many it was answering at once.

No wall-clock thresholds a loaded machine could break: the assertions are order and minimum gaps
(a slow machine only makes gaps longer), and concurrency is observed with the mirror holding each
answer until a number of requests are in flight (an event), never by timing the crawl.
"""
from __future__ import annotations

import pytest

from kronika.mirror.lab import RETRY_AFTER_SECONDS, article_path
from kronika.steps.crawl import crawl
from tests.integration.helpers import run_crawl_job
from tests.integration.test_news_crawl import LAB, lab_source

# Arrival times are taken at the server. A request's trip there (a task to start, a connection to
# open, on a machine shared with other work) varies, so a gap the crawler kept can look shorter at
# the server by the difference of two trips: up to TRANSIT seconds for one gap, each request
# measured against the next. Over a whole crawl that difference is paid once, not per gap.
TRANSIT = 0.03
ONE_GAP_SLACK = 0.25  # a single gap may look this fraction shorter; a 0.5x jitter could not hide


def lab(mirror, **overrides):
    # the listing only (no sitemaps): a dozen articles found at once, so requests queue up
    return lab_source(mirror, start_urls=[LAB], max_pages=12, **overrides)


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in zip(times, times[1:])]


@pytest.mark.parametrize("delay", [0.3, 0.6])
def test_download_delay_is_the_least_gap_between_requests_to_a_site(sqlite_env, mirror, delay):
    result = crawl(lab(mirror, download_delay=delay, concurrent_requests_per_domain=2), sqlite_env)
    assert result.status == "succeeded"
    arrivals = [at for at, _ in mirror.arrivals()]
    assert len(arrivals) >= 8, "enough requests to see the pace"
    assert arrivals == sorted(arrivals)
    # on average, over the crawl: at least the delay (a trip's variation is paid once, at the ends)
    assert (arrivals[-1] - arrivals[0]) / (len(arrivals) - 1) >= delay - TRANSIT
    # and no single gap shorter than the delay by more than a trip's variation can explain
    assert min(gaps(arrivals)) >= delay * (1 - ONE_GAP_SLACK), (delay, sorted(gaps(arrivals))[:3])


@pytest.mark.parametrize("delay", [0, 0.2])
def test_one_request_at_a_time_when_the_site_allows_one(sqlite_env, mirror, delay):
    # each answer is held until a second request is in flight (or 1 s): a crawler that sent another
    # while one was unanswered would be seen doing it
    with mirror.hold(until_in_flight=2, at_most=1.0, prefix="/lab/"):
        result = crawl(lab(mirror, download_delay=delay, concurrent_requests_per_domain=1), sqlite_env)
    assert result.status == "succeeded"
    assert len(mirror.arrivals()) >= 8
    assert mirror.max_in_flight == 1


@pytest.mark.parametrize("allowed", [2, 3])
def test_never_more_than_the_allowed_requests_in_flight_and_that_many_are_used(sqlite_env, mirror, allowed):
    # answers held until one more than allowed are in flight (or 1 s): the crawler fills exactly
    # its allowance and never goes beyond it
    with mirror.hold(until_in_flight=allowed + 1, at_most=1.0, prefix="/lab/"):
        result = crawl(lab(mirror, download_delay=0, concurrent_requests_per_domain=allowed), sqlite_env)
    assert result.status == "succeeded"
    assert mirror.max_in_flight == allowed


def test_retry_after_is_waited_for_and_the_whole_site_waits(sqlite_env, mirror):
    # the lab's busy pages answer 429 (Retry-After: 1, seconds) and 503 (an HTTP date 2 s ahead)
    # on their first request, then 200
    source = lab_source(mirror, start_urls=[LAB], download_delay=0, concurrent_requests_per_domain=4)
    result = crawl(source, sqlite_env)
    assert result.status == "succeeded"
    stats = result.stats
    assert stats["kronika/retry_after/status/429"] == 1 and stats["kronika/retry_after/status/503"] == 1
    arrivals = mirror.arrivals()
    for slug, least in (("busy-newsroom-update", RETRY_AFTER_SECONDS),
                        # an HTTP date has whole seconds: it may be up to 1 s nearer than written
                        ("busy-until-a-date", RETRY_AFTER_SECONDS)):
        refused, retried = mirror.hit_times(article_path(slug))
        assert retried - refused >= least - TRANSIT, slug
        # back-off holds the whole site, not one URL: the site's delay is raised to the wait, so
        # whatever request came just before the retry was handed out at least that long before it
        before = [at for at, _ in arrivals if at < retried]
        assert retried - before[-1] >= least * (1 - ONE_GAP_SLACK), slug


def test_a_retry_after_longer_than_the_cap_waits_the_cap(tmp_path, mirror):
    """RETRY_AFTER_MAX_DELAY: the lab's busy pages ask for 1 s (429) and about 2 s (503, a date);
    with the cap at 0.5 s both are capped, and each retry still waits at least the cap."""
    cap = 0.5
    job = {"spider": "news",
           "spider_args": {"start_urls": [f"{mirror.url}/lab/"], "allowed_domains": ["127.0.0.1"],
                           "max_depth": 1, "max_pages": 40},
           "settings": {"KRONIKA_WARC_DIR": str(tmp_path / "warc" / "lab"), "KRONIKA_ALLOW_PRIVATE_NETWORKS": True,
                        "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS_PER_DOMAIN": 2, "LOG_LEVEL": "INFO",
                        "RETRY_AFTER_MAX_DELAY": cap}}
    stats, process = run_crawl_job(job, tmp_path, "capped", timeout=300)
    assert process.returncode == 0, process.stderr[-3000:]
    assert stats["kronika/retry_after/count"] == 2 and stats["kronika/retry_after/capped"] == 2
    assert stats["kronika/retry_after/max_delay"] == cap
    for slug in ("busy-newsroom-update", "busy-until-a-date"):
        refused, retried = mirror.hit_times(article_path(slug))
        assert retried - refused >= cap - TRANSIT, slug
