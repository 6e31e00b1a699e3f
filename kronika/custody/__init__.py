"""Chain of custody: RFC 3161 time-stamps of closed WARC files, the hash-chained custody log,
signed WACZ packages, evidence packages and their offline verification (docs/custody.md)."""
