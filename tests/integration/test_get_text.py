"""`kronika get URL --text` prints the text Kronika extracted (not the HTML source): the newest
version, or the one in effect at --at; for articles and Telegram posts, through the real CLI."""
from __future__ import annotations

import json

import pytest

from kronika.steps.run import run_source
from tests.support.cli import kronika, one_line_error

HERALD_STRIKE = "http://mirror.kronika.test/herald/news/missile-strike-hits-zarichansk-residential-district.html"
EDITED_POST = "https://t.me/zarichna_ova/4134"


@pytest.fixture
def rewritten(sqlite_env, mirror, demo_config):
    chosen = [s for s in demo_config.sources if s.name in ("riverside-herald", "zarichna-ova")]
    for epoch in (0, 1):
        mirror.set_epoch(epoch)
        for source in chosen:
            run_source(source, sqlite_env)
    return sqlite_env


def test_get_text_prints_the_extracted_text_of_the_version_asked_for(rewritten):
    newest = kronika("get", HERALD_STRIKE, "--text")
    assert newest.returncode == 0, newest.stderr
    assert newest.stdout.startswith("Missile strike on Zarichansk: at least 21 injured\n\n")
    assert "Missiles struck a residential district" in newest.stdout
    assert "<html" not in newest.stdout.lower() and "<p" not in newest.stdout
    assert "figure was preliminary" not in newest.stdout
    assert "version 2 of 2" in newest.stderr

    as_json = json.loads(kronika("get", HERALD_STRIKE, "--text", "--json").stdout)
    assert as_json["version"] == 2 and as_json["versions"] == 2 and as_json["kind"] == "article"

    # --at the first version's capture time (its 14-digit form) gives the text as it was then
    first = json.loads(kronika("timeline", HERALD_STRIKE, "--json").stdout)["versions"][0]
    stamp = first["captured_at"][:19].replace("-", "").replace("T", "").replace(":", "").replace(" ", "")
    then = kronika("get", HERALD_STRIKE, "--text", "--at", stamp)
    assert then.returncode == 0, then.stderr
    assert "She said the figure was preliminary." in then.stdout and "version 1 of 2" in then.stderr

    # the HTML source is still there for who wants it (the default, or --body)
    assert "<html" in kronika("get", HERALD_STRIKE).stdout.lower()

    post = kronika("get", EDITED_POST, "--text")
    assert post.returncode == 0, post.stderr
    assert "Заводської" in post.stdout and "Заводській" not in post.stdout

    before_any = kronika("get", HERALD_STRIKE, "--text", "--at", "2001")
    assert "no version had been captured" in one_line_error(before_any)
    unknown = kronika("get", "http://mirror.kronika.test/herald/news/never-written.html", "--text")
    assert "no article or post stored" in one_line_error(unknown)
