"""The bundled offline mirror: fictional news outlets and a Telegram channel on a loopback port.

`MirrorSite(epoch)` renders pages in memory and states what a correct pipeline should extract;
`MirrorServer` serves them over HTTP for crawls in tests and `make demo`.
"""
from .server import VIRTUAL_BASE_URL, MirrorServer, serve
from .site import (
    ExpectedArticle,
    ExpectedPost,
    MirrorSite,
    Page,
    format_views,
    max_epoch,
    parse_views,
)

__all__ = [
    "ExpectedArticle",
    "ExpectedPost",
    "MirrorServer",
    "MirrorSite",
    "Page",
    "format_views",
    "max_epoch",
    "parse_views",
    "serve",
    "VIRTUAL_BASE_URL",
]
