"""Normalising parsed records into the database: versions, latest fields, time series.

One module per kind of record. A loader gets the session of the WARC file's transaction, the
source, the capture and its stored response; it parses with the same parsers the spiders use.
"""
from __future__ import annotations

import hashlib
import json


def content_hash(fields: dict) -> str:
    """sha256 over the normalised fields that make a version (never over views or fetch times)."""
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
