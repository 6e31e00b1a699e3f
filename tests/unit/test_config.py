"""Config validation: a bad file is refused before any request, in one line naming file, source, field."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from kronika.settings import ConfigError, NewsSource, TelegramSource, load_config, parse_duration
from tests.conftest import ROOT

GOOD = """
defaults:
  download_delay: 0.5
sources:
  - name: good-news
    kind: news
    start_urls: [https://example.org/rss.xml]
    allowed_domains: [example.org]
  - name: a-channel
    kind: telegram
    channel: example_channel
"""


def write(tmp_path, body: str):
    path = tmp_path / "sources.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_good_config_applies_defaults_and_overrides(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    news, channel = config.sources
    assert isinstance(news, NewsSource) and isinstance(channel, TelegramSource)
    assert news.download_delay == 0.5 and channel.download_delay == 0.5
    assert news.obey_robots is True and news.allow_private_networks is False
    assert channel.channel_url == "https://t.me/s/example_channel"
    assert channel.allowed_domains == ["t.me"]
    assert news.recapture == ["1h", "6h", "24h", "72h"]


def test_shipped_configs_are_valid(monkeypatch):
    monkeypatch.setenv("KRONIKA_MIRROR_PROXY", "http://127.0.0.1:9999")
    demo = load_config(ROOT / "config" / "demo.yaml")
    assert {s.kind for s in demo.sources} == {"news", "telegram"}
    assert all(url.startswith("http://mirror.kronika.test/") for s in demo.sources for url in s.start_urls)
    assert {s.proxy for s in demo.sources} == {"http://127.0.0.1:9999"}
    real = load_config(ROOT / "config" / "sources.yaml")
    assert len(real.sources) >= 4 and not any(s.allow_private_networks for s in real.sources)


@pytest.mark.parametrize("body, source, field", [
    ("sources:\n  - name: Bad_Name\n    kind: news\n    start_urls: [https://x.org/]\n    allowed_domains: [x.org]\n",
     "Bad_Name", "name"),
    ("sources:\n  - name: no-urls\n    kind: news\n    allowed_domains: [x.org]\n", "no-urls", "start_urls"),
    ("sources:\n  - name: ftp\n    kind: news\n    start_urls: [ftp://x.org/]\n    allowed_domains: [x.org]\n",
     "ftp", "start_urls"),
    ("sources:\n  - name: weird\n    kind: radio\n", "weird", "kind"),
    ("sources:\n  - name: tg\n    kind: telegram\n    channel: 'no spaces allowed'\n", "tg", "channel"),
    ("sources:\n  - name: slow\n    kind: telegram\n    channel: abcde\n    download_delay: -1\n",
     "slow", "download_delay"),
    ("sources:\n  - name: cron\n    kind: telegram\n    channel: abcde\n    schedule: 'every hour'\n",
     "cron", "schedule"),
    ("sources:\n  - name: typo\n    kind: telegram\n    channel: abcde\n    obey_robot: false\n",
     "typo", "obey_robot"),
    ("sources:\n  - name: rc\n    kind: news\n    start_urls: [https://x.org/]\n    allowed_domains: [x.org]\n"
     "    recapture: [1h, soon]\n", "rc", "recapture"),
])
def test_bad_source_names_file_source_and_field(tmp_path, body, source, field):
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message and repr(source) in message and f"field {field}" in message


def test_duplicate_names_and_bad_yaml_and_missing_file(tmp_path):
    dup = write(tmp_path, GOOD + "  - name: good-news\n    kind: telegram\n    channel: other_one\n")
    with pytest.raises(ConfigError, match="'good-news'.*duplicate"):
        load_config(dup)
    broken = write(tmp_path, "sources: [\n  - name: x\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="defaults: field obey_robots"):
        load_config(write(tmp_path, "defaults:\n  obey_robots: maybe\nsources: []\n"))


def test_environment_references_expand_with_defaults(tmp_path, monkeypatch):
    body = GOOD.replace("https://example.org/rss.xml", "'${FEED_BASE:-https://fallback.org}/rss.xml'") \
        .replace("allowed_domains: [example.org]", "allowed_domains: [example.org, fallback.org, chosen.org]")
    monkeypatch.delenv("FEED_BASE", raising=False)
    assert load_config(write(tmp_path, body)).sources[0].start_urls == ["https://fallback.org/rss.xml"]
    monkeypatch.setenv("FEED_BASE", "https://chosen.org")
    assert load_config(write(tmp_path, body)).sources[0].start_urls == ["https://chosen.org/rss.xml"]


def test_durations():
    assert parse_duration("90s") == 90 and parse_duration("6h") == 21600 and parse_duration("3d") == 259200
    with pytest.raises(ValueError):
        parse_duration("6 hours")


def test_cli_rejects_bad_config_in_one_line_before_any_request(tmp_path):
    path = write(tmp_path, "sources:\n  - name: no-urls\n    kind: news\n    allowed_domains: [x.org]\n")
    result = subprocess.run([sys.executable, "-m", "kronika.cli", "--config", str(path), "sources"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no-urls" in lines[0] and "start_urls" in lines[0], result.stderr
    result = subprocess.run([sys.executable, "-m", "kronika.cli", "--config", str(path), "crawl", "no-urls"],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "start_urls" in result.stderr and "Traceback" not in result.stderr
