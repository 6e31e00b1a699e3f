"""Secrets sent by a crawl stay out of the archive, the database and the logs (unless a source opts in).

Real crawls through the mirror as the source's proxy, with credentials in the proxy URL (Scrapy
turns them into Proxy-Authorization) and an Authorization header, a Cookie and an API key from
the source's `headers:`. The mirror records what it received, so the tests see the secrets were
really sent, and then look for them in every WARC record, the crawl log, stderr and the database.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from warcio.archiveiterator import ArchiveIterator

from kronika.mirror import hostile
from kronika.mirror.server import VIRTUAL_BASE_URL
from kronika.settings import ConfigError, NewsSource, load_config
from kronika.spiders.recorder import REDACTED, SECRET_HEADERS, redact
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database
from tests.integration.helpers import assert_warcio_check_passes, warc_files

TOKEN = "Bearer tok-5ecret-A1"
COOKIE = "session=c00kie-5ecret-B2"
API_KEY = "k3y-5ecret-C3"
PROXY_PASSWORD = "pr0xy-5ecret-D4"
SECRETS = (TOKEN, COOKIE, API_KEY, PROXY_PASSWORD, "tok-5ecret", "c00kie-5ecret", "5ecret")


def source(mirror, name: str, **overrides) -> NewsSource:
    host, port = mirror.url.split("//")[1].split(":")
    fields = {
        "name": name, "kind": "news", "start_urls": [VIRTUAL_BASE_URL + "/hostile/start/listing-hostile-links.html"],
        "allowed_domains": ["mirror.kronika.test"], "max_depth": 0, "download_delay": 0,
        "allow_private_networks": True, "proxy": f"http://kronika:{PROXY_PASSWORD}@{host}:{port}",
        "headers": {"Authorization": TOKEN, "Cookie": COOKIE, "X-Api-Key": API_KEY, "Accept-Language": "uk"},
    }
    return NewsSource.model_validate(fields | overrides)


def request_headers(archive_dir) -> list[list[tuple[str, str]]]:
    out = []
    for path in warc_files(archive_dir):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "request":
                    out.append(list(record.http_headers.headers))
    return out


def everything_in_the_archive(archive_dir) -> bytes:
    """Every record's headers and (decompressed) content, and every log the crawl wrote."""
    blob = []
    for path in warc_files(archive_dir):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                blob.append(record.rec_headers.to_str().encode())
                if record.http_headers is not None:
                    blob.append(record.http_headers.to_str().encode())
                blob.append(record.content_stream().read())
    for log in archive_dir.glob("*/logs/*.log"):
        blob.append(log.read_bytes())
    return b"\n".join(blob)


def test_secrets_are_sent_but_redacted_in_warc_logs_and_database(sqlite_env, mirror):
    hostile.RECEIVED.clear()
    result = run_source(source(mirror, "secret-news"), sqlite_env)
    assert result.crawl.status == "succeeded" and result.extract.counts["new_articles"] == 1

    # the secrets really went out with the requests (robots.txt is not a /hostile/ path)
    received = [dict(headers) for path, headers in hostile.RECEIVED if path == hostile.companion_path("listing-hostile-links.html")]
    assert received and received[0]["Authorization"] == TOKEN and received[0]["Cookie"] == COOKIE
    assert received[0]["X-Api-Key"] == API_KEY and received[0]["Proxy-Authorization"].startswith("Basic ")

    # every request record (robots.txt, the listing, the article) names them, with the value redacted
    records = request_headers(sqlite_env.archive_dir)
    assert len(records) >= 3
    for headers in records:
        values = {name.lower(): value for name, value in headers}
        for name in ("authorization", "cookie", "x-api-key", "proxy-authorization"):
            assert values[name] == REDACTED, (name, values)
        assert values["accept-language"] == REDACTED  # a configured header: redacted like the others
        assert values["user-agent"].startswith("Kronika")  # what is not a secret stays as sent
    assert_warcio_check_passes(sqlite_env.archive_dir)  # the digests cover the redacted bytes

    blob = everything_in_the_archive(sqlite_env.archive_dir)
    for secret in SECRETS:
        assert secret.encode() not in blob, secret

    # nor in the database: the source's stored config, the run's stats
    engine = open_database(sqlite_env.database_url)
    with engine.connect() as connection:
        config = connection.execute(text("SELECT config FROM sources WHERE name = 'secret-news'")).scalar_one()
        stats = connection.execute(text("SELECT stats FROM crawl_runs")).scalar_one()
    config = json.loads(config) if isinstance(config, str) else config
    dumped = json.dumps(config) + json.dumps(stats)
    for secret in SECRETS:
        assert secret not in dumped, secret
    assert config["headers"]["Authorization"] == REDACTED
    assert config["proxy"].startswith(f"http://{REDACTED}@")


def test_a_source_may_opt_in_to_archive_its_secrets(sqlite_env, mirror):
    result = run_source(source(mirror, "secret-kept", archive_secrets=True), sqlite_env)
    assert result.crawl.status == "succeeded"
    records = [dict(h) for h in request_headers(sqlite_env.archive_dir)]
    assert records and all(h["Authorization"] == TOKEN and h["Cookie"] == COOKIE and h["X-Api-Key"] == API_KEY
                           for h in records)


def test_redact_keeps_names_and_order():
    headers = [("Host", "a"), ("COOKIE", "x=1"), ("authorization", "Basic abc"), ("X-Key", "k"), ("Accept", "*/*")]
    assert redact(headers, SECRET_HEADERS | {"x-key"}) == [
        ("Host", "a"), ("COOKIE", REDACTED), ("authorization", REDACTED), ("X-Key", REDACTED), ("Accept", "*/*")]
    assert redact(headers, frozenset()) == headers


@pytest.mark.parametrize("headers", [{"Bad Name": "x"}, {"X-Ok": "line\r\nInjected: 1"}, {"": "x"}])
def test_header_injection_in_config_is_refused(tmp_path, headers):
    config = tmp_path / "sources.yaml"
    config.write_text(json.dumps({"sources": [{
        "name": "x", "kind": "news", "start_urls": ["https://example.org/"], "allowed_domains": ["example.org"],
        "headers": headers}]}))
    with pytest.raises(ConfigError, match="field headers"):
        load_config(config)
