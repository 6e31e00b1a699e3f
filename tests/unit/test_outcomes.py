"""Skip or error, and which: how a failed request is counted (spiders/outcomes.py).

The exceptions are the ones Scrapy, Twisted and pyOpenSSL raise for these failures (built here as
the download handler builds them; the crawls in tests/integration/test_realweb.py and
tests/security/test_hostile_input.py meet them for real).
"""
from __future__ import annotations

import pytest
from OpenSSL import SSL
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    StopDownload,
)
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived, _DataLoss

from kronika.spiders.outcomes import classify_exception, count_failure


def _wrapped(inner: BaseException) -> DownloadFailedError:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise DownloadFailedError("download failed") from exc
    except DownloadFailedError as outer:
        return outer


@pytest.mark.parametrize(("exc", "expected"), [
    (IgnoreRequest("Forbidden by robots.txt"), ("skip", "robots")),
    (IgnoreRequest("Filtered offsite request to 'elsewhere.example'"), ("skip", "offsite")),
    (IgnoreRequest("private address 10.0.0.1"), ("skip", "private_network")),
    (StopDownload(fail=True), ("skip", "non_html")),
    (IgnoreRequest("max redirections reached"), ("error", "too_many_redirects")),
    (IgnoreRequest("Ignored response <200 x> because its body exceeded DOWNLOAD_MAXSIZE"), ("error", "too_large")),
    (IgnoreRequest("not archived: disk full"), ("error", "archiving_failed")),
    (DownloadConnectionRefusedError("refused"), ("error", "connection_refused")),
    (DownloadTimeoutError("took longer than 2 seconds"), ("error", "timeout")),
    (CannotResolveHostError("no such host"), ("error", "dns")),
    (ResponseDataLossError(), ("error", "truncated")),
    (ResponseFailed([Failure(_DataLoss())]), ("error", "truncated")),
    (_wrapped(ResponseNeverReceived([Failure(SSL.Error([("SSL routines", "", "certificate verify failed")]))])),
     ("error", "tls")),
    (KeyError("odd"), ("error", "key_error")),
])
def test_each_failure_is_a_skip_or_an_error_with_its_cause(exc, expected):
    assert classify_exception(exc) == expected


def test_errors_are_the_sum_of_their_causes_and_skips_are_not_errors():
    stats = MemoryStatsCollector(get_crawler())
    for exc in (IgnoreRequest("Forbidden by robots.txt"), DownloadTimeoutError("t"), DownloadTimeoutError("t"),
                DownloadConnectionRefusedError("r"), StopDownload(fail=True)):
        count_failure(stats, exc)
    got = stats.get_stats()
    assert got["kronika/errors"] == 3
    assert got["kronika/errors/timeout"] == 2 and got["kronika/errors/connection_refused"] == 1
    assert got["kronika/skipped/robots"] == 1 and got["kronika/skipped/non_html"] == 1
