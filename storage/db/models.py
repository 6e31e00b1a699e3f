"""The public schema (docs/design.md, "Database"): consumers depend on these names; add, never rename.

Every version row points at the capture it was extracted from, and every capture at the WARC
record (file, offset, length) that holds its bytes.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in Python on every dialect.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones, so values are stored as naive UTC
    and given their zone back on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Kronika stores timezone-aware UTC only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    __tablename__ = "sources"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    # A UUID written into each WARC's warcinfo record, so a rebuild from WARC alone finds it again.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(ForeignKey("sources.name"), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))  # running | succeeded | failed | interrupted | recovered
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # why a failed run failed, in one line naming the dominant causes (kronika.runs); null otherwise
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class WarcFile(Base):
    __tablename__ = "warc_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(512), unique=True)  # relative to the archive dir
    source: Mapped[str] = mapped_column(String(64), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    records: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    indexed_at: Mapped[datetime]
    extracted_at: Mapped[datetime | None]
    # when `kronika verify` last found the file's digests, sha256, size and record count intact
    verified_at: Mapped[datetime | None]


class Capture(Base):
    __tablename__ = "captures"
    __table_args__ = (
        UniqueConstraint("warc_file_id", "offset"),
        Index("ix_captures_url_captured_at", "url", "captured_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    surt: Mapped[str] = mapped_column(Text, index=True)
    captured_at: Mapped[datetime]
    status: Mapped[int | None]
    mime: Mapped[str | None] = mapped_column(String(255))
    payload_digest: Mapped[str | None] = mapped_column(String(128))
    record_type: Mapped[str] = mapped_column(String(16))  # response | revisit
    warc_file_id: Mapped[int] = mapped_column(ForeignKey("warc_files.id"))
    offset: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(BigInteger)
    crawl_run_id: Mapped[str | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    record_id: Mapped[str] = mapped_column(String(128), unique=True)  # WARC-Record-ID
    role: Mapped[str | None] = mapped_column(String(16))  # article | discovery | channel | robots
    # for a revisit: the original capture's URL and date, as written in the record
    refers_to_url: Mapped[str | None] = mapped_column(Text)
    refers_to_date: Mapped[datetime | None]
    # the URL as a feed or page linked it, when the request went elsewhere (canonicalised or
    # redirected); `url` is the one actually fetched
    original_url: Mapped[str | None] = mapped_column(Text)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("source", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(ForeignKey("sources.name"))
    url: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    # latest fields, copied from the newest version
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None]
    modified_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    text_hash: Mapped[str | None] = mapped_column(String(64))
    versions: Mapped[int] = mapped_column(Integer, default=0)
    # when a capture of the article answered 404 or 410 (a deletion is data); cleared if it returns
    gone_at: Mapped[datetime | None]
    gone_status: Mapped[int | None] = mapped_column(Integer)
    # extraction fields of the latest version (migration 0002)
    section: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(Text)  # the lead / standfirst
    canonical_url: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    paywalled: Mapped[bool] = mapped_column(Boolean, default=False)  # text is only the free teaser
    published_at_raw: Mapped[str | None] = mapped_column(Text)  # the date as the page wrote it
    modified_at_raw: Mapped[str | None] = mapped_column(Text)


class ArticleVersion(Base):
    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "capture_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None]
    modified_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    captured_at: Mapped[datetime]
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # extraction fields (migration 0002); provenance names the strategy behind each
    section: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    paywalled: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at_raw: Mapped[str | None] = mapped_column(Text)
    modified_at_raw: Mapped[str | None] = mapped_column(Text)


class ArticleSighting(Base):
    """Each capture that showed an article (status 200, with text): its versions are the runs of
    equal `text_hash` in capture-time order, whatever order the files were loaded in (migration 0019)."""

    __tablename__ = "article_sightings"
    __table_args__ = (UniqueConstraint("article_id", "capture_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))
    captured_at: Mapped[datetime]
    text_hash: Mapped[str] = mapped_column(String(64))


class TelegramPost(Base):
    __tablename__ = "telegram_posts"
    __table_args__ = (UniqueConstraint("channel", "post_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(ForeignKey("sources.name"))
    channel: Mapped[str] = mapped_column(String(64))
    post_id: Mapped[int] = mapped_column(BigInteger)
    url: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    # latest fields
    text: Mapped[str | None] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    text_hash: Mapped[str | None] = mapped_column(String(64))
    views: Mapped[int | None] = mapped_column(BigInteger)
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    is_service: Mapped[bool] = mapped_column(Boolean, default=False)
    author_signature: Mapped[str | None] = mapped_column(Text)
    forwarded_from_name: Mapped[str | None] = mapped_column(Text)
    forwarded_from_url: Mapped[str | None] = mapped_column(Text)
    reply_to_post_id: Mapped[int | None] = mapped_column(BigInteger)
    media: Mapped[list[Any]] = mapped_column(JSON, default=list)
    link_preview: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    versions: Mapped[int] = mapped_column(Integer, default=0)
    # 100 for "4.1K": the true count lies in [views, views + granularity)
    views_granularity: Mapped[int | None] = mapped_column(BigInteger)
    # the channel-page capture that showed the post missing (deleted_at is its time)
    deleted_capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))
    # a voice message {url, duration}, a sticker {image, emoji}, a location {url, latitude, longitude, image}
    voice: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sticker: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    location: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class TelegramPostVersion(Base):
    __tablename__ = "telegram_post_versions"
    __table_args__ = (UniqueConstraint("post_id", "capture_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # the telegram_posts row (not Telegram's message id, which is telegram_posts.post_id)
    post_id: Mapped[int] = mapped_column(ForeignKey("telegram_posts.id"), index=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))
    text: Mapped[str | None] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    views: Mapped[int | None] = mapped_column(BigInteger)
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    media: Mapped[list[Any]] = mapped_column(JSON, default=list)
    captured_at: Mapped[datetime]


class StoredClaim(Base):
    """A figure one version of an article or post stated (issue 21; docs/claims.md): what a source
    said, never a verified fact.

    Derived from the version's text by kronika.claims.extract_claims when the version is stored, so
    `extract --all` rebuilds the same rows. Exactly one of the two version columns is set; deleting
    the version deletes its claims (ON DELETE CASCADE). `capture_id`, `source` and `captured_at` are
    the version's, copied so that a timeline needs no join to order and filter.
    """

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint("(article_version_id IS NULL) <> (post_version_id IS NULL)", name="ck_claims_one_version"),
        Index("ix_claims_source_category_captured_at", "source", "category", "captured_at"),
        Index("ix_claims_category_captured_at", "category", "captured_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_versions.id", ondelete="CASCADE"), index=True)
    post_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("telegram_post_versions.id", ondelete="CASCADE"), index=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))  # the WARC record the text came from
    source: Mapped[str] = mapped_column(ForeignKey("sources.name"))
    captured_at: Mapped[datetime]  # the version's capture time
    # killed | injured | hospitalised | missing | evacuated | detained | drones | missiles
    category: Mapped[str] = mapped_column(String(16))
    count: Mapped[int | None] = mapped_column(BigInteger)  # null: a statement without a figure (a denial)
    count_high: Mapped[int | None] = mapped_column(BigInteger)  # the high end of a range ("5-7")
    qualifier: Mapped[str] = mapped_column(String(16))  # exact | at least | about | up to | more than | less than
    speaker: Mapped[str | None] = mapped_column(Text)  # as written ("the regional governor"), or null
    subset: Mapped[bool] = mapped_column(Boolean, default=False)  # part of a total in the same sentence
    sentence: Mapped[str] = mapped_column(Text)
    # the figure's character span in the version's `text` (Python string offsets)
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    lang: Mapped[str] = mapped_column(String(8))  # en | uk | ru


class TelegramPostView(Base):
    """Views as a time series: a view count changing is not a new version of a post."""

    __tablename__ = "telegram_post_views"
    __table_args__ = (UniqueConstraint("post_id", "capture_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("telegram_posts.id"), index=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))
    captured_at: Mapped[datetime]
    views: Mapped[int | None] = mapped_column(BigInteger)
    views_granularity: Mapped[int | None] = mapped_column(BigInteger)
    # the version hash of the post as this capture showed it: each view row is also the post's
    # sighting, and its versions are the runs of equal hashes in capture-time order (migration 0019)
    text_hash: Mapped[str | None] = mapped_column(String(64))


class TelegramPageRange(Base):
    """The post ids a captured channel page covered: a post seen before, inside this range and
    absent from the page, was deleted by then. One row per channel-page capture (migration 0019)."""

    __tablename__ = "telegram_page_ranges"
    __table_args__ = (Index("ix_telegram_page_ranges_channel_captured_at", "channel", "captured_at"),)

    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"), primary_key=True, autoincrement=False)
    channel: Mapped[str] = mapped_column(String(64))
    captured_at: Mapped[datetime]
    # the lowest and highest post id on the page; NULL when absence on it proves nothing (a search
    # page, fewer than two posts): the row still says the channel was captured at that time
    low_post_id: Mapped[int | None] = mapped_column(BigInteger)
    high_post_id: Mapped[int | None] = mapped_column(BigInteger)


class TelegramPostEvent(Base):
    """A post seen missing from a capture that should have shown it ("deleted"), or seen again ("reappeared")."""

    __tablename__ = "telegram_post_events"
    __table_args__ = (UniqueConstraint("post_id", "capture_id", "event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("telegram_posts.id"), index=True)
    event: Mapped[str] = mapped_column(String(16))  # deleted | reappeared
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))
    captured_at: Mapped[datetime]


class TelegramChannelSnapshot(Base):
    """A channel's header (title, description, subscribers) as one captured page showed it."""

    __tablename__ = "telegram_channel_snapshots"
    __table_args__ = (UniqueConstraint("capture_id"), Index("ix_telegram_channel_snapshots_channel_captured_at",
                                                            "channel", "captured_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(ForeignKey("sources.name"))
    channel: Mapped[str] = mapped_column(String(64))
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))
    captured_at: Mapped[datetime]
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    subscribers: Mapped[int | None] = mapped_column(BigInteger)
    subscribers_granularity: Mapped[int | None] = mapped_column(BigInteger)


class StoryCluster(Base):
    """Articles that tell the same story in near-identical words (a syndicated wire story).

    Recomputed from the articles' latest text (MinHash over word shingles): `sources` is the
    number of distinct outlets, so a consumer counts independent reports, not copies.
    """

    __tablename__ = "story_clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # sha256 over the members' (source, url): the same members give the same key on a rebuild
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(Text)  # the earliest member's
    first_published_at: Mapped[datetime | None]
    articles: Mapped[int] = mapped_column(Integer)
    sources: Mapped[int] = mapped_column(Integer)


class StoryClusterArticle(Base):
    __tablename__ = "story_cluster_articles"

    # an article belongs to at most one cluster
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("story_clusters.id", ondelete="CASCADE"), index=True)
    similarity: Mapped[float] = mapped_column(Float)  # estimated Jaccard with the cluster's first member


class ArticleSignature(Base):
    """An article's MinHash signature, kept so that story clustering hashes only new or changed texts.

    Derived from the article's latest text (kronika.clusters); `text_hash` is the article's
    `text_hash` it was computed from, so a row whose value differs from the article's is stale.
    """

    __tablename__ = "article_signatures"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    text_hash: Mapped[str | None] = mapped_column(String(64))
    shingle_count: Mapped[int] = mapped_column(Integer)  # distinct word 3-shingles of the text
    # 64 MinHash values, 8 bytes big-endian each (512 bytes); NULL for a text without shingles
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)


class KronikaState(Base):
    """Small facts about derived data, e.g. what the story clusters were computed from."""

    __tablename__ = "kronika_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class CustodyEntry(Base):
    """The custody log: append-only, each entry carrying the SHA-256 of the one before (docs/custody.md).

    `seq` is the chain's order and its guard: two writers that read the same head both try to
    add the same `seq`, and the database lets only one of them (the other retries on the new head).
    """

    __tablename__ = "custody_log"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    at: Mapped[datetime]
    # closed | stamped | indexed | verified | exported | packaged | head-stamped
    action: Mapped[str] = mapped_column(String(32), index=True)
    file: Mapped[str | None] = mapped_column(String(1024), index=True)  # archive-relative, or a package's name
    sha256: Mapped[str | None] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(255))
    user: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_sha256: Mapped[str] = mapped_column(String(64))
    entry_sha256: Mapped[str] = mapped_column(String(64), unique=True)


class TimestampToken(Base):
    """RFC 3161 time-stamp tokens: one per (subject, TSA). A row without a token is a request that
    failed (the TSA did not answer); `kronika stamp` asks again."""

    __tablename__ = "timestamp_tokens"
    __table_args__ = (UniqueConstraint("kind", "subject", "tsa_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # warc-file | custody-head
    # a WARC file's archive-relative path, or "custody_log:<seq>" for the log's head
    subject: Mapped[str] = mapped_column(String(1024), index=True)
    sha256: Mapped[str] = mapped_column(String(64))  # the digest the token covers (hex)
    tsa_url: Mapped[str] = mapped_column(Text)
    token: Mapped[bytes | None] = mapped_column(LargeBinary)  # the TSA's DER TimeStampResp
    gen_time: Mapped[datetime | None]  # the time the TSA signed
    error: Mapped[str | None] = mapped_column(Text)  # why the last request failed
    requested_at: Mapped[datetime]
