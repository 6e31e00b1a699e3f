"""What to crawl and where to keep it: the config file's typed models and the environment.

A bad config is rejected before any request is made, with one line naming the file, the source
and the field (docs/design.md, "Settings").
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from kronika.times import parse_duration

SOURCE_NAME = r"^[a-z0-9][a-z0-9-]*$"
_ENV_REF = re.compile(r"\$\{([A-Z0-9_]+)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """A config file that cannot be used; the message is one line naming file, source and field."""


def first_run_cutoff(value: str, now: datetime) -> datetime:
    """'2026-01-01', '2026-01-01T06:00:00+02:00' or an age like '7d' -> an aware UTC time."""
    try:
        return now - timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"not a date (2026-01-01) or an age (7d): {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


class Timestamping(BaseModel):
    """RFC 3161 time-stamping of closed WARC files and signed packages (docs/custody.md)."""

    model_config = ConfigDict(extra="forbid")

    urls: list[str] = Field(min_length=1)  # one token from each time-stamping authority
    ca_bundle: str  # PEM file of the TSAs' trusted root certificates: every token is checked on receipt
    timeout: float = Field(10.0, gt=0)  # seconds per request; a TSA that does not answer leaves files unstamped

    @field_validator("urls")
    @classmethod
    def _tsa_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not re.match(r"^https?://[^/\s]+", url):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return urls


class Politeness(BaseModel):
    """Keys every source inherits from `defaults` and may override."""

    model_config = ConfigDict(extra="forbid")

    schedule: str | None = "0 * * * *"
    download_delay: float = Field(1.0, ge=0)
    concurrent_requests_per_domain: int = Field(2, ge=1, le=64)
    obey_robots: bool = True
    allow_private_networks: bool = False
    user_agent: str = "Kronika/0.1 (+https://github.com/kronika-archive/kronika; news archiving for research)"
    max_pages: int = Field(500, ge=1)
    max_response_bytes: int = Field(20_000_000, ge=1024)
    download_timeout: float = Field(30.0, gt=0)
    proxy: str | None = None  # an HTTP proxy for every request of the source (the demo reaches its mirror so)
    # a page where site owners can reach whoever runs the crawl; added to the User-Agent as "(+URL)"
    contact_url: str | None = None
    # Scrapy's AutoThrottle: adapt the delay to the server's latency, never below download_delay
    autothrottle: bool = False
    autothrottle_target_concurrency: float = Field(1.0, gt=0, le=64)
    # sent with every request (e.g. Authorization: "Bearer ${NEWS_TOKEN}"); their values, cookies,
    # Authorization and Proxy-Authorization are written to WARC as "[redacted]" unless
    # archive_secrets is true (docs/security.md)
    headers: dict[str, str] = Field(default_factory=dict)
    archive_secrets: bool = False
    # RFC 3161 tokens for every closed WARC file (none: files stay unstamped; docs/custody.md)
    timestamping: Timestamping | None = None

    @property
    def effective_user_agent(self) -> str:
        if self.contact_url and self.contact_url not in self.user_agent:
            return f"{self.user_agent} (+{self.contact_url})"
        return self.user_agent

    @field_validator("headers")
    @classmethod
    def _header_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not re.match(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", name) or any(c in text for c in "\r\n\0"):
                raise ValueError(f"not an HTTP header: {name!r}")
        return value

    @field_validator("proxy")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"not an http(s) proxy URL: {value!r}")
        return value or None

    @field_validator("schedule")
    @classmethod
    def _cron_like(cls, value: str | None) -> str | None:
        if value is None or value.startswith("@"):
            return value
        if len(value.split()) != 5:
            raise ValueError(f"not a 5-field cron expression: {value!r}")
        from croniter import croniter

        try:  # a schedule that parses but never fires (31 February) would leave the source unrun, silently
            croniter(value, datetime.now(timezone.utc)).get_next(datetime)
        except Exception as exc:
            raise ValueError(f"a cron expression that never fires: {value!r} ({exc})") from None
        return value


class ExtractionRules(BaseModel):
    """A source's own selectors, tried after JSON-LD and meta tags (spiders/parsers/article.py).

    Each value is a CSS selector, or XPath when it starts with "/", "(" or "./"; `timezone` (IANA,
    e.g. "Europe/Kyiv") is the zone of dates the site writes without an offset.
    """

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    authors: str | None = None
    published_at: str | None = None
    modified_at: str | None = None
    section: str | None = None
    tags: str | None = None
    description: str | None = None
    body: str | None = None
    image_url: str | None = None
    paywall: str | None = None  # matches only on paywalled pages
    timezone: str | None = None

    @field_validator("title", "authors", "published_at", "modified_at", "section", "tags", "description",
                     "body", "image_url", "paywall")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value is None:
            return value
        import lxml.etree

        try:
            if value.strip().startswith(("/", "(", "./")):
                lxml.etree.XPath(value)
            else:
                from cssselect import GenericTranslator

                GenericTranslator().css_to_xpath(value)
        except Exception as exc:  # cssselect and lxml raise their own parse errors
            raise ValueError(f"not a CSS selector or XPath: {value!r} ({exc})") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"not an IANA time zone: {value!r}") from None
        return value

    def as_rules(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True)


class NewsSource(Politeness):
    name: Annotated[str, Field(pattern=SOURCE_NAME, max_length=64)]
    kind: Literal["news"]
    start_urls: list[str] = Field(min_length=1)
    allowed_domains: list[str] = Field(min_length=1)
    max_depth: int = Field(1, ge=0, le=5)  # listing pages followed from a start URL
    recapture: list[str] = Field(default_factory=lambda: ["1h", "6h", "24h", "72h"])
    # regular expressions searched in article URLs: when `allow_urls` is set an article must match
    # one of them, and it must match none of `deny_urls`
    allow_urls: list[str] = Field(default_factory=list)
    deny_urls: list[str] = Field(default_factory=list)
    # skip feed and sitemap entries whose stated publication date is older than this ("30d")
    max_article_age: str | None = None
    # article responses that are not HTML (PDF, images, video) are dropped after their headers
    fetch_non_html: bool = False
    # the source's own CSS/XPath per field for the extraction chain
    extraction: ExtractionRules | None = None

    @field_validator("allowed_domains")
    @classmethod
    def _start_urls_allowed(cls, domains: list[str], info) -> list[str]:
        """A start URL outside allowed_domains would be dropped by Scrapy's offsite filter: never fetched."""
        wanted = [d.lower().strip(".") for d in domains]
        for url in info.data.get("start_urls") or []:
            host = (re.match(r"^https?://([^/:?#]+)", url) or [None, ""])[1].lower()
            if not any(host == d or host.endswith("." + d) for d in wanted):
                raise ValueError(f"start URL {url} is outside allowed_domains ({', '.join(domains)}): "
                                 "it would never be fetched")
        return domains

    @field_validator("allow_urls", "deny_urls")
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {value!r} ({exc})") from None
        return values

    @field_validator("max_article_age")
    @classmethod
    def _age(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("start_urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not re.match(r"^https?://[^/\s]+", url):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return urls

    @field_validator("recapture")
    @classmethod
    def _durations(cls, values: list[str]) -> list[str]:
        for value in values:
            parse_duration(value)
        return values


class TelegramSource(Politeness):
    name: Annotated[str, Field(pattern=SOURCE_NAME, max_length=64)]
    kind: Literal["telegram"]
    channel: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{3,64}$")]
    mirror: str = "https://t.me/s/"
    first_run_pages: int = Field(5, ge=1)  # how deep the first crawl of a channel goes
    # or back to a date ("2026-01-01") or an age ("7d"); either way at most max_pages pages
    first_run_since: str | None = None
    # later runs walk back past the newest stored post far enough to cover both the last
    # `overlap_posts` stored posts and every post of the last `overlap_age`: recent edits,
    # view counts and deletions are seen on every run
    overlap_posts: int = Field(100, ge=0)
    overlap_age: str = "72h"
    media: Literal["none", "thumbnails", "all"] = "none"  # photo/video files fetched into the WARC too
    # a "No posts found" page where posts are expected is Telegram throttling: asked again this
    # many times, after throttle_delay seconds, doubled each time (docs/telegram.md)
    throttle_retries: int = Field(3, ge=0, le=10)
    throttle_delay: float = Field(30.0, ge=0, le=3600)

    @field_validator("overlap_age")
    @classmethod
    def _age(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("first_run_since")
    @classmethod
    def _since(cls, value: str | None) -> str | None:
        if value is not None:
            first_run_cutoff(value, datetime.now(timezone.utc))
        return value

    @field_validator("mirror")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value if value.endswith("/") else value + "/"

    @property
    def channel_url(self) -> str:
        return f"{self.mirror}{self.channel}"

    @property
    def allowed_domains(self) -> list[str]:
        host = re.match(r"^https?://([^/:]+)", self.mirror).group(1)  # validated above
        return [host]

    @property
    def start_urls(self) -> list[str]:
        return [self.channel_url]


Source = Annotated[NewsSource | TelegramSource, Field(discriminator="kind")]


class ConfigFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: dict[str, Any] = Field(default_factory=dict)
    sources: list[dict[str, Any]] = Field(default_factory=list)


@dataclass(frozen=True)
class Config:
    path: Path
    sources: tuple[NewsSource | TelegramSource, ...]
    timestamping: Timestamping | None = None  # the defaults' (custody log heads, signed packages)

    def source(self, name: str) -> NewsSource | TelegramSource:
        for source in self.sources:
            if source.name == name:
                return source
        from kronika.names import unknown_name

        raise ConfigError(f"{self.path}: {unknown_name('source', name, [s.name for s in self.sources])}")


def _expand_env(value: Any) -> Any:
    """Expand ${VAR} and ${VAR:-default} in strings, so demo.yaml can point at a mirror's port."""
    if isinstance(value, str):
        return _ENV_REF.sub(lambda m: os.environ.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, list):
        return [_expand_env(v) for v in value]
    if isinstance(value, dict):
        return {k: _expand_env(v) for k, v in value.items()}
    return value


# keys of the config file that name files: relative values are taken from the config file's folder
_PATH_KEYS = (("timestamping", "ca_bundle"),)


def resolve_path(value: str | os.PathLike, base: Path) -> Path:
    """The one path rule: `~` expanded, a relative path taken from `base`.

    `base` is the config file's folder for paths written in the config (so a config works from any
    current directory) and the current directory for paths in the environment and on the command
    line (as every shell tool does); data paths are printed absolute by `kronika status`."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def _anchor_paths(entry: dict[str, Any], base: Path) -> dict[str, Any]:
    """A copy of a defaults or source mapping with its file paths resolved against `base`."""
    entry = dict(entry)
    for section, key in _PATH_KEYS:
        value = entry.get(section)
        if isinstance(value, dict) and isinstance(value.get(key), str) and value[key]:
            entry[section] = {**value, key: str(resolve_path(value[key], base))}
    return entry


def _first_error(path: Path, source_name: str | None, error: ValidationError) -> ConfigError:
    first = error.errors()[0]
    # the discriminated union puts the kind in the location; keep only real field names
    loc = [str(part) for part in first["loc"] if part not in ("news", "telegram")]
    if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
        loc = ["kind"]  # the discriminator itself is wrong or missing
    field = ".".join(loc) or "(file)"
    where = f"source {source_name!r}" if source_name else "defaults"
    message = first["msg"]
    if first["type"] == "extra_forbidden" and loc:
        from kronika.names import close_matches

        matches = close_matches(loc[-1], _known_keys())
        message = "not a known key" + (f" — did you mean {matches[0]!r}?" if matches else " (docs/sources.md lists them)")
    return ConfigError(f"{path}: {where}: field {field}: {message}")


def _known_keys() -> set[str]:
    """Every key a config file may use, for suggesting the one a misspelt key meant."""
    models = (ConfigFile, Politeness, NewsSource, TelegramSource, Timestamping, ExtractionRules)
    return {name for model in models for name in model.model_fields}


_SOURCE_ADAPTER = TypeAdapter(Source)


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read and validate a sources file; raise ConfigError with one line on any problem."""
    path = Path(path or os.environ.get("KRONIKA_CONFIG") or default_config_path())
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with 'defaults' and 'sources'")
    try:
        shape = ConfigFile.model_validate(_expand_env(raw))
    except ValidationError as exc:
        raise _first_error(path, None, exc) from None
    base = path.resolve().parent
    shape.defaults = _anchor_paths(shape.defaults, base)
    shape.sources = [_anchor_paths(entry, base) if isinstance(entry, dict) else entry for entry in shape.sources]
    try:
        defaults = Politeness.model_validate(shape.defaults)
    except ValidationError as exc:
        raise _first_error(path, None, exc) from None

    sources = []
    seen: set[str] = set()
    for index, entry in enumerate(shape.sources):
        name = entry.get("name") if isinstance(entry, dict) else None
        label = name if isinstance(name, str) else f"#{index + 1}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: source {label!r}: expected a mapping")
        try:
            source = _SOURCE_ADAPTER.validate_python({**shape.defaults, **entry})
        except ValidationError as exc:
            raise _first_error(path, label, exc) from None
        if source.name in seen:
            raise ConfigError(f"{path}: source {source.name!r}: field name: duplicate source name")
        seen.add(source.name)
        sources.append(source)
    return Config(path=path, sources=tuple(sources), timestamping=defaults.timestamping)


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def default_config_path() -> Path:
    return project_root() / "config" / "sources.yaml"


@dataclass(frozen=True)
class Environment:
    """Where data lives: KRONIKA_DATABASE_URL, KRONIKA_ARCHIVE_DIR and KRONIKA_SPOOL_DIR.

    The archive is a directory (a relative one is taken from the current directory, see
    `resolve_path`) or an object-store URL (`s3://bucket/prefix`,
    see storage/warc/paths.py). Crawls write WARC files locally and publish each closed one: into
    the archive itself when it is a directory, from the spool directory when it is remote.
    """

    database_url: str
    archive_dir: Any  # a Path, or a UPath for an object store
    spool_dir: Path = Path("data/spool")

    def __post_init__(self) -> None:
        from kronika.storage.warc.paths import archive_root

        object.__setattr__(self, "archive_dir", archive_root(self.archive_dir))
        object.__setattr__(self, "spool_dir", Path(self.spool_dir))

    @classmethod
    def from_env(cls) -> Environment:
        return cls(
            database_url=os.environ.get("KRONIKA_DATABASE_URL", "sqlite:///data/kronika.db"),
            archive_dir=os.environ.get("KRONIKA_ARCHIVE_DIR", "data/archive"),
            spool_dir=os.environ.get("KRONIKA_SPOOL_DIR", "data/spool"),
        )

    @property
    def archive_is_remote(self) -> bool:
        from kronika.storage.warc.paths import is_remote

        return is_remote(self.archive_dir)

    @property
    def local_archive_dir(self) -> Path:
        """Where crawls write (and lock, and log): the archive itself, or the spool for a remote one."""
        return self.spool_dir if self.archive_is_remote else self.archive_dir


def site_pool(source: NewsSource | TelegramSource) -> str:
    """The Airflow pool a source's crawls share with every other source on the same site."""
    host = source.allowed_domains[0] if source.allowed_domains else source.name
    return "kronika_site_" + re.sub(r"[^a-z0-9]+", "_", host.lower()).strip("_")
