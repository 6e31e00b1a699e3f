"""RFC 3161 time-stamps: ask a time-stamping authority (TSA) to sign a SHA-256 digest, and check
a token later against the TSA's trusted root certificates.

A token is kept as the TSA's whole reply (`TimeStampResp`, DER), the form `openssl ts -verify
-in FILE.tsr` reads. The TSA's certificate chain is checked as it was at the token's own time
(rfc3161-client verifies the PKCS#7 signature with the token's genTime as the verification
time), so a token stays valid after the TSA's certificate expires.
"""
from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

CONTENT_TYPE = "application/timestamp-query"


class TimestampError(Exception):
    """A TSA that did not answer, or answered with something that is not a valid token."""


@dataclass(frozen=True)
class Token:
    tsa_url: str
    reply: bytes  # the DER TimeStampResp, as the TSA sent it
    gen_time: datetime
    serial: int


def token_time(reply: bytes) -> datetime:
    moment = decode_timestamp_response(reply).tst_info.gen_time
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def request_token(url: str, sha256_digest: bytes, timeout: float = 10.0) -> Token:
    """One token over a SHA-256 digest from the TSA at `url`; TimestampError when there is none."""
    request = (TimestampRequestBuilder().hash_algorithm(HashAlgorithm.SHA256)
               .data(b"-")  # replaced below: the builder hashes data, and we already have the digest
               .nonce(nonce=True).cert_request(cert_request=True).build())
    query = _query_for_digest(sha256_digest, request.nonce)
    http = urllib.request.Request(url, data=query, method="POST", headers={"Content-Type": CONTENT_TYPE})
    try:
        with urllib.request.urlopen(http, timeout=timeout) as answer:
            reply = answer.read()
    except urllib.error.HTTPError as exc:
        raise TimestampError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TimestampError(f"{url}: {getattr(exc, 'reason', None) or exc}") from None
    try:
        response = decode_timestamp_response(reply)
    except Exception as exc:  # the library raises its own parse errors
        raise TimestampError(f"{url}: not an RFC 3161 reply ({exc})") from None
    if response.status not in (0, 1):  # granted, grantedWithMods
        raise TimestampError(f"{url}: request refused (status {response.status}: "
                             f"{' '.join(response.status_string or [])})")
    info = response.tst_info
    if info.message_imprint.message != sha256_digest or info.nonce != request.nonce:
        raise TimestampError(f"{url}: the token is not for the digest or the nonce sent")
    return Token(tsa_url=url, reply=reply, gen_time=token_time(reply), serial=info.serial_number)


def _query_for_digest(digest: bytes, nonce: int) -> bytes:
    """A DER TimeStampReq over an existing SHA-256 digest (version 1, certReq true, with a nonce).

    rfc3161-client's request builder only takes the data itself; a WARC file may be gigabytes
    and is hashed once already, so the few bytes of the request are written here."""
    def tlv(tag: int, body: bytes) -> bytes:
        length = len(body)
        if length < 0x80:
            return bytes([tag, length]) + body
        size = length.to_bytes((length.bit_length() + 7) // 8, "big")
        return bytes([tag, 0x80 | len(size)]) + size + body

    def integer(value: int) -> bytes:
        raw = value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)
        return tlv(0x02, raw)

    sha256_oid = bytes.fromhex("0609608648016503040201")  # 2.16.840.1.101.3.4.2.1
    algorithm = tlv(0x30, sha256_oid + bytes.fromhex("0500"))
    imprint = tlv(0x30, algorithm + tlv(0x04, digest))
    return tlv(0x30, integer(1) + imprint + integer(nonce) + bytes.fromhex("0101ff"))


def load_certificates(pem_data: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem_data)


def load_bundle(path: str | Path) -> list[x509.Certificate]:
    try:
        return load_certificates(Path(path).read_bytes())
    except FileNotFoundError:
        raise TimestampError(f"no such CA bundle: {path}") from None
    except ValueError as exc:
        raise TimestampError(f"{path}: not a PEM certificate bundle ({exc})") from None


def verify_token(reply: bytes, sha256_digest: bytes, roots: list[x509.Certificate],
                 intermediates: list[x509.Certificate] = ()) -> datetime:
    """The token's time, once its signature, its TSA chain (to one of `roots`, at the token's time),
    the TSA certificate's timeStamping EKU and the digest it covers are checked; TimestampError otherwise."""
    if not roots:
        raise TimestampError("no trusted TSA root certificate to check the token against")
    try:
        response = decode_timestamp_response(reply)
    except Exception as exc:
        raise TimestampError(f"not an RFC 3161 token ({exc})") from None
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    for certificate in intermediates:
        if certificate not in roots:
            builder = builder.add_intermediate_certificate(certificate)
    try:
        builder.build().verify(response, sha256_digest)
    except VerificationError as exc:
        raise TimestampError(str(exc)) from None
    return token_time(reply)


def sha256_bytes(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
