"""Telegram channels end to end: real crawls of the bundled mirror (epoch 0, then epoch 1 and 2).

Every scenario goes through the real pieces: a Scrapy crawl in its own process through the mirror
(as the HTTP proxy of mirror.kronika.test), WARC files, the index, the extract step, SQLite and
PostgreSQL (`any_env`).
"""
from __future__ import annotations

import textwrap
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from kronika.lookup import capture_history
from kronika.settings import load_config
from kronika.steps.crawl import CrawlFailed, telegram_stop_at
from kronika.steps.extract import extract
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import (
    Capture,
    CrawlRun,
    TelegramChannelSnapshot,
    TelegramPost,
    TelegramPostEvent,
    TelegramPostVersion,
    TelegramPostView,
)
from tests.integration.helpers import assert_warcio_check_passes, row_counts

MIRROR = "http://mirror.kronika.test"


@pytest.fixture
def channels(mirror, tmp_path, monkeypatch):
    """A config of Telegram sources on the mirror: the channel, and channels that misbehave."""
    path = tmp_path / "telegram.yaml"
    path.write_text(textwrap.dedent(f"""\
        defaults:
          download_delay: 0
          allow_private_networks: true
          proxy: {mirror.url}
        sources:
          - name: zarichna-ova
            kind: telegram
            mirror: {MIRROR}/t/s/
            channel: zarichna_ova
            first_run_pages: 10
            media: thumbnails
          - name: zarichna-recent
            kind: telegram
            mirror: {MIRROR}/t/s/
            channel: zarichna_ova
            first_run_since: "2026-01-16T00:00:00+00:00"
          - name: zarichna-closed
            kind: telegram
            mirror: {MIRROR}/t/s/
            channel: zarichna_closed
          - name: no-such-channel
            kind: telegram
            mirror: {MIRROR}/t/s/
            channel: no_such_channel_here
          - name: zarichna-redesign
            kind: telegram
            mirror: {MIRROR}/t/s/
            channel: zarichna_redesign
          - name: zarichna-busy
            kind: telegram
            mirror: {MIRROR}/t/s/
            channel: zarichna_busy
            first_run_pages: 2
        """), encoding="utf-8")
    monkeypatch.setenv("KRONIKA_CONFIG", str(path))
    return load_config(path)


def _posts(session, channel="zarichna_ova") -> dict[int, TelegramPost]:
    return {p.post_id: p for p in session.scalars(select(TelegramPost).where(TelegramPost.channel == channel))}


def test_two_crawls_capture_edits_deletions_views_and_every_kind_of_post(any_env, mirror, channels):
    source = channels.source("zarichna-ova")
    first = run_source(source, any_env)
    assert first.crawl.stats["kronika/telegram/pages"] == 3
    mirror.set_epoch(1)
    second = run_source(source, any_env)
    # the overlap window (100 posts or 72 h) reaches back over every stored post: all pages again
    assert second.crawl.stats["kronika/telegram/pages"] == 3
    assert_warcio_check_passes(any_env.archive_dir)

    engine = open_database(any_env.database_url)
    with unit_of_work(engine) as session:
        posts = _posts(session)
        run_ids = [first.crawl.run_id, second.crawl.run_id]
        expected = {p.post_id for p in mirror.site.expected_posts()} | {4126, 4153}
        assert set(posts) == expected

        # an edit: two versions, the second one edited, the text as the mirror shows it now
        versions = list(session.scalars(select(TelegramPostVersion).where(TelegramPostVersion.post_id == posts[4117].id)
                                        .order_by(TelegramPostVersion.captured_at)))
        assert len(versions) == 2 and posts[4117].versions == 2
        assert [v.edited for v in versions] == [False, True]
        assert "Оновлено: станом на 11:55 постраждалих 28" in versions[1].text
        assert "Оновлено" not in versions[0].text and posts[4117].edited is True
        assert {session.get(Capture, v.capture_id).crawl_run_id for v in versions} == set(run_ids)
        # views alone never make a version
        unchanged = [p for pid, p in posts.items() if pid not in (4116, 4117, 4134)]
        assert all(p.versions == 1 for p in unchanged)

        # deletions: between two present ids, on the second capture, with that capture recorded
        deleted = {pid: p for pid, p in posts.items() if p.deleted_at is not None}
        assert set(deleted) == {4126, 4153}
        for post in deleted.values():
            capture = session.get(Capture, post.deleted_capture_id)
            assert capture.crawl_run_id == second.crawl.run_id and capture.role == "channel"
            assert post.deleted_at == capture.captured_at > post.last_seen_at
        events = session.execute(select(TelegramPost.post_id, TelegramPostEvent.event)
                                 .join(TelegramPost, TelegramPostEvent.post_id == TelegramPost.id)).all()
        assert sorted(events) == [(4126, "deleted"), (4153, "deleted")]
        # gaps in the ids (never public) are not deletions: they are not even rows
        assert not {4107, 4121, 4122, 4140, 4151, 4157} & set(posts)

        # views: one point per capture, growing; the granularity of the rounded counter is kept
        series = list(session.scalars(select(TelegramPostView).where(TelegramPostView.post_id == posts[4112].id)
                                      .order_by(TelegramPostView.captured_at)))
        assert [(v.views, v.views_granularity) for v in series] == [(48_700, 100), (57_400, 100)]
        assert posts[4125].views == 1_400_000 and posts[4125].views_granularity == 100_000

        # a forwarded post, a reply, a photo, a link preview, service messages
        assert (posts[4114].forwarded_from_name, posts[4114].forwarded_from_url) == (
            "ДСНС Зарічної області", "https://t.me/dsns_zarichna/2214")
        assert posts[4115].reply_to_post_id == 4112 and posts[4115].text == "Оновлення: кількість постраждалих зросла до 14."
        assert posts[4106].media == [f"{MIRROR}/t/media/photo-4106.png"]
        assert posts[4106].author_signature == "Пресслужба ОВА"
        assert posts[4108].link_preview == {
            "url": "https://zarichna-ova.example/vacancies", "site": "Зарічна ОВА",
            "title": "Вакансії в органах влади області",
            "description": "Актуальний перелік вакансій та умови участі в конкурсах."}
        assert posts[4101].is_service and posts[4143].is_service and posts[4143].views is None
        assert posts[4143].text == "Пресслужба ОВА pinned «У лікарні помер 71-річний чоловік…»"
        # Cyrillic, emoji (a flag is two code points) and hashtags, exactly
        assert posts[4154].text == "Дякуємо рятувальникам, медикам, енергетикам і волонтерам 🙏🇺🇦\n#дякуємо"
        assert '<a href="?q=%23%D0%B4%D1%8F%D0%BA%D1%83%D1%94%D0%BC%D0%BE">#дякуємо</a>' in posts[4154].html

        # the channel header per capture: subscribers over time
        snapshots = list(session.scalars(select(TelegramChannelSnapshot).order_by(TelegramChannelSnapshot.captured_at)))
        assert len(snapshots) == 6 and {s.channel for s in snapshots} == {"zarichna_ova"}
        assert {(s.title, s.subscribers, s.subscribers_granularity) for s in snapshots} == {("Зарічна ОВА", 48_200, 100)}

        # media: each photo archived once (role "media"), the second run fetched only the new one
        media = session.execute(select(Capture.url, Capture.crawl_run_id, Capture.status, Capture.mime)
                                .where(Capture.role == "media")).all()
        by_run = {run: sorted(url.rsplit("/", 1)[1] for url, r, _, _ in media if r == run) for run in run_ids}
        assert by_run[first.crawl.run_id] == ["photo-4106.png", "photo-4112.png", "photo-4114.png", "photo-4119.png",
                                              "photo-4128.png", "photo-4141.png"]
        assert by_run[second.crawl.run_id] == ["photo-4158.png"]
        assert {(status, mime) for _, _, status, mime in media} == {(200, "image/png")}

    # history of a post: every channel-page capture that showed it, and the one that showed it missing
    with unit_of_work(engine) as session:
        edited = capture_history(session, "https://t.me/zarichna_ova/4117")
        gone = capture_history(session, "https://t.me/zarichna_ova/4126")
    assert [(r["event"], r["new_version"], r["crawl_run_id"]) for r in edited] == [
        ("seen", True, first.crawl.run_id), ("seen", True, second.crawl.run_id)]
    assert [(r["event"], r["views"], r["crawl_run_id"]) for r in gone] == [
        ("seen", 27_000, first.crawl.run_id), ("missing (deleted)", None, second.crawl.run_id)]

    # epoch 2 shows 4153 again: the deletion is cleared, and the reappearance recorded
    mirror.set_epoch(2)
    third = run_source(source, any_env)
    with unit_of_work(engine) as session:
        posts = _posts(session)
        assert posts[4153].deleted_at is None and posts[4153].deleted_capture_id is None
        assert posts[4126].deleted_at is not None
        events = session.execute(select(TelegramPost.post_id, TelegramPostEvent.event, Capture.crawl_run_id)
                                 .join(TelegramPost, TelegramPostEvent.post_id == TelegramPost.id)
                                 .join(Capture, TelegramPostEvent.capture_id == Capture.id)).all()
        assert sorted(events) == sorted([(4126, "deleted", second.crawl.run_id),
                                         (4153, "deleted", second.crawl.run_id),
                                         (4153, "reappeared", third.crawl.run_id)])

    # re-reading every WARC file changes nothing: decisions follow capture times, not reading order
    before = row_counts(any_env.database_url)
    with unit_of_work(engine) as session:
        state = {pid: (p.deleted_at, p.versions, p.text_hash, p.views) for pid, p in _posts(session).items()}
    extract(any_env, all_files=True)
    assert row_counts(any_env.database_url) == before
    with unit_of_work(engine) as session:
        assert {pid: (p.deleted_at, p.versions, p.text_hash, p.views) for pid, p in _posts(session).items()} == state
        assert len(session.scalars(select(TelegramPostEvent)).all()) == 3


def test_overlap_window_by_posts_and_by_age(sqlite_env, mirror, channels):
    source = channels.source("zarichna-ova").model_copy(update={"media": "none"})
    run_source(source, sqlite_env)
    engine = open_database(sqlite_env.database_url)
    # the channel's posts are from January 2026: only the post count reaches back
    after = datetime(2026, 1, 18, tzinfo=timezone.utc)
    with unit_of_work(engine) as session:
        by_count = source.model_copy(update={"overlap_posts": 5, "overlap_age": "1h"})
        assert telegram_stop_at(session, by_count, after) == 4149  # 4154, 4152, 4150, 4149: 4151 is a gap
        by_age = source.model_copy(update={"overlap_posts": 5, "overlap_age": "72h"})  # since Jan 15 00:00
        assert telegram_stop_at(session, by_age, after) == 4134
        nothing = source.model_copy(update={"overlap_posts": 0, "overlap_age": "1h"})
        assert telegram_stop_at(session, nothing, after) == 4154

    # a later run walks back only as far as the window: page 1 (4133..4154) reaches 4149
    narrow = source.model_copy(update={"overlap_posts": 5, "overlap_age": "1h"})
    again = run_source(narrow, sqlite_env)
    assert again.crawl.stats["kronika/telegram/pages"] == 1


def test_first_run_back_to_a_date(sqlite_env, mirror, channels):
    result = run_source(channels.source("zarichna-recent"), sqlite_env)
    # page 1 already reaches January 14, before the configured January 16: one page only
    assert result.crawl.stats["kronika/telegram/pages"] == 1
    with unit_of_work(open_database(sqlite_env.database_url)) as session:
        assert min(_posts(session)) == 4133


@pytest.mark.parametrize(("name", "reason", "message"), [
    ("zarichna-closed", "preview_disabled", "channel @zarichna_closed exists but its web preview is disabled"),
    ("no-such-channel", "not_found", "no public channel @no_such_channel_here"),
])
def test_a_channel_without_public_preview_is_a_clear_per_source_failure(sqlite_env, mirror, channels,
                                                                        name, reason, message):
    with pytest.raises(CrawlFailed, match=message):
        run_source(channels.source(name), sqlite_env)
    engine = open_database(sqlite_env.database_url)
    with unit_of_work(engine) as session:
        run = session.scalars(select(CrawlRun).where(CrawlRun.source == name)).one()
        assert run.status == "failed" and run.finished_at is not None
        assert run.stats[f"kronika/telegram/{reason}"] == 1 and message in run.stats["kronika/telegram/unavailable"]
        assert run.stats["finish_reason"] == "channel_unavailable"
    # not a crash: the WARC file is closed and valid, and holds the redirect and the profile page
    assert_warcio_check_passes(sqlite_env.archive_dir)
    extract(sqlite_env)
    with unit_of_work(engine) as session:
        captured = session.execute(select(Capture.role, Capture.status).where(Capture.url.contains("/t/"))).all()
        assert sorted(captured) == [("channel", 302), ("profile", 200)]
        assert session.scalars(select(TelegramPost)).all() == []
    # the other sources are untouched: the channel itself still crawls, and its run succeeds
    # (a RunResult is a dataclass, always truthy: assert what it holds)
    healthy = run_source(channels.source("zarichna-ova").model_copy(update={"media": "none"}), sqlite_env)
    assert healthy.check.status == "succeeded" and not healthy.check.failed, healthy.check
    with unit_of_work(engine) as session:
        assert _posts(session), "the healthy channel's posts were stored"


def test_changed_markup_fails_loudly_and_is_counted_for_the_check(sqlite_env, mirror, channels):
    from kronika.steps.check import check

    result = run_source(channels.source("zarichna-redesign"), sqlite_env)
    assert result.crawl.stats["kronika/telegram/empty_pages"] == 1
    assert result.crawl.stats["kronika/errors"] >= 1
    assert result.extract.counts["telegram_empty_pages"] == 1
    engine = open_database(sqlite_env.database_url)
    with unit_of_work(engine) as session:
        run = session.get(CrawlRun, result.crawl.run_id)
        assert run.stats["kronika/telegram/empty_pages"] == 1
    log = (sqlite_env.archive_dir / "zarichna-redesign" / "logs" / f"{result.crawl.run_id}.log").read_text()
    assert "ERROR" in log and "MARKUP CHANGED?" in log
    outcome = check("zarichna-redesign", sqlite_env, raise_on_failure=False)
    assert any("yielded no posts" in problem for problem in outcome.failed)
    assert result.check.failed == outcome.failed, "run_source checks the run as the DAG does"

    # `kronika run` runs the same check and exits 1 with its reason on one line
    from click.testing import CliRunner

    from kronika.cli import main

    cli = CliRunner().invoke(main, ["run", "zarichna-redesign"], catch_exceptions=False)
    assert cli.exit_code == 1
    assert "zarichna-redesign failed:" in cli.stderr and "markup may have changed" in cli.stderr


def test_429_with_retry_after_is_honoured(sqlite_env, mirror, channels):
    result = run_source(channels.source("zarichna-busy"), sqlite_env)
    stats = result.crawl.stats
    assert stats["kronika/retry_after/count"] == 2 and stats["kronika/telegram/pages"] == 2
    assert stats["downloader/response_status_count/429"] == 2
    hits = mirror.hits
    assert hits["/t/s/zarichna_busy"] == 2 and hits["/t/s/zarichna_busy?before=4133"] == 2
    with unit_of_work(open_database(sqlite_env.database_url)) as session:
        assert len(_posts(session, "zarichna_busy")) == 40
        statuses = sorted(session.scalars(select(Capture.status).where(Capture.role == "channel")))
        assert statuses == [200, 200, 429, 429]  # the refusals are archived too
