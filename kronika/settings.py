"""What to crawl and where to keep it: the config file's typed models and the environment.

A bad config is rejected before any request is made, with one line naming the file, the source
and the field (DESIGN.md, "Settings").
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

SOURCE_NAME = r"^[a-z0-9][a-z0-9-]*$"
_ENV_REF = re.compile(r"\$\{([A-Z0-9_]+)(?::-([^}]*))?\}")
_DURATION = re.compile(r"^(\d+)([smhd])$")


class ConfigError(Exception):
    """A config file that cannot be used; the message is one line naming file, source and field."""


def parse_duration(text: str) -> int:
    """'90s', '15m', '6h', '3d' -> seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"not a duration like 30m, 6h or 3d: {text!r}")
    number, unit = match.groups()
    return int(number) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


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
        return value


class NewsSource(Politeness):
    name: Annotated[str, Field(pattern=SOURCE_NAME, max_length=64)]
    kind: Literal["news"]
    start_urls: list[str] = Field(min_length=1)
    allowed_domains: list[str] = Field(min_length=1)
    max_depth: int = Field(1, ge=0, le=5)  # listing pages followed from a start URL
    recapture: list[str] = Field(default_factory=lambda: ["1h", "6h", "24h", "72h"])

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

    def source(self, name: str) -> NewsSource | TelegramSource:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"{self.path}: no source named {name!r} (known: {known})")


def _expand_env(value: Any) -> Any:
    """Expand ${VAR} and ${VAR:-default} in strings, so demo.yaml can point at a mirror's port."""
    if isinstance(value, str):
        return _ENV_REF.sub(lambda m: os.environ.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, list):
        return [_expand_env(v) for v in value]
    if isinstance(value, dict):
        return {k: _expand_env(v) for k, v in value.items()}
    return value


def _first_error(path: Path, source_name: str | None, error: ValidationError) -> ConfigError:
    first = error.errors()[0]
    # the discriminated union puts the kind in the location; keep only real field names
    loc = [str(part) for part in first["loc"] if part not in ("news", "telegram")]
    if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
        loc = ["kind"]  # the discriminator itself is wrong or missing
    field = ".".join(loc) or "(file)"
    where = f"source {source_name!r}" if source_name else "defaults"
    return ConfigError(f"{path}: {where}: field {field}: {first['msg']}")


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
    try:
        Politeness.model_validate(shape.defaults)
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
    return Config(path=path, sources=tuple(sources))


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def default_config_path() -> Path:
    return project_root() / "config" / "sources.yaml"


@dataclass(frozen=True)
class Environment:
    """Where data lives: from KRONIKA_DATABASE_URL and KRONIKA_ARCHIVE_DIR (relative to the cwd)."""

    database_url: str
    archive_dir: Path

    @classmethod
    def from_env(cls) -> "Environment":
        return cls(
            database_url=os.environ.get("KRONIKA_DATABASE_URL", "sqlite:///data/kronika.db"),
            archive_dir=Path(os.environ.get("KRONIKA_ARCHIVE_DIR", "data/archive")),
        )
