"""Bytes to text: pick the character encoding the way a browser would, and undo gzip bodies.

WARC records hold the bytes as they came over the wire, so the same decoding must work for the
live spider and for the offline `extract` step: everything here depends only on the bytes and the
Content-Type header that came with them.
"""
from __future__ import annotations

import zlib

from w3lib.encoding import html_to_unicode

GZIP_MAGIC = b"\x1f\x8b"


def _detect(body: bytes) -> str | None:
    # Most undeclared pages today are UTF-8; statistical detection is only for the rest, where it
    # beats blindly assuming UTF-8 (which would turn a windows-1251 page into replacement chars).
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # optional: w3lib falls back to the default encoding
        return None
    best = from_bytes(body[:200_000]).best()
    return best.encoding if best is not None else None


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode an HTML (or XML) body; return (text, encoding name).

    Order (w3lib's, which follows the WHATWG sniffing rules): byte-order mark, the HTTP
    Content-Type charset, a <meta charset> / <meta http-equiv> / <?xml encoding?> declaration,
    then detection, then UTF-8. Undecodable bytes become U+FFFD; this never raises.
    """
    if not body:
        return "", "utf-8"
    encoding, text = html_to_unicode(content_type, body, default_encoding="utf-8", auto_detect_fun=_detect)
    return text, encoding


def maybe_gunzip(body: bytes, limit: int = 50_000_000) -> bytes:
    """Return `body` decompressed if it starts with the gzip magic, else unchanged.

    Sitemaps are often served as `.xml.gz` with no Content-Encoding, so Scrapy hands them over
    still compressed. Decompression stops at `limit` bytes of output: a small gzip bomb can
    expand to gigabytes. Raises ValueError beyond the limit or on a corrupt stream.
    """
    if not body.startswith(GZIP_MAGIC):
        return body
    out: list[bytes] = []
    size = 0
    data = body
    # A gzip file may hold several members back to back; read them all.
    while data.startswith(GZIP_MAGIC):
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        chunk_in = data
        try:
            while chunk_in:
                chunk = decomp.decompress(chunk_in, 1_048_576)
                size += len(chunk)
                if size > limit:
                    raise ValueError(f"gzip body expands beyond the limit of {limit} bytes")
                out.append(chunk)
                chunk_in = decomp.unconsumed_tail
                if decomp.eof:
                    break
            if not decomp.eof:
                raise ValueError("truncated gzip body")
        except zlib.error as exc:
            raise ValueError(f"corrupt gzip body: {exc}") from exc
        data = decomp.unused_data
    return b"".join(out)
