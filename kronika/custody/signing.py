"""Signing a WACZ package as the WACZ Signing and Verification spec (0.1.0) describes.

`datapackage-digest.json` gets a `signedData` block over the `hash` of `datapackage.json`:

- `signature`: ECDSA (P-256, SHA-256) over the ASCII `hash` string, base64 DER, as authsign signs;
- anonymous mode (a key alone): `publicKey`, the base64 DER SubjectPublicKeyInfo; the reader
  must know the key from elsewhere to learn who signed;
- domain-certificate mode (a key and its certificate chain): `domain` (the certificate's
  subject) and `domainCert` (the PEM chain, leaf first);
- in both modes `timeSignature`, an RFC 3161 token (base64 DER TimeStampResp) over the SHA-256
  of the ASCII `signature`, and `timestampCert`, the TSA's PEM chain: the spec asks for these in
  domain mode; they prove in either mode that the signature existed at the token's time.
"""
from __future__ import annotations

import base64
import hashlib
import os
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from rfc3161_client import decode_timestamp_response

from kronika import __version__
from kronika.custody.tsa import TimestampError, load_bundle, request_token, verify_token
from kronika.settings import Timestamping

SPEC_VERSION = "0.1.0"
PASSPHRASE_ENV = "KRONIKA_SIGNING_KEY_PASSPHRASE"


class SigningError(Exception):
    pass


def load_private_key(path: str | Path) -> ec.EllipticCurvePrivateKey:
    passphrase = os.environ.get(PASSPHRASE_ENV)
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(),
                                                 password=passphrase.encode() if passphrase else None)
    except FileNotFoundError:
        raise SigningError(f"no such key file: {path}") from None
    except (ValueError, TypeError) as exc:
        raise SigningError(f"{path}: not a PEM private key ({exc}; an encrypted key's passphrase goes in "
                           f"${PASSPHRASE_ENV})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SigningError(f"{path}: the WACZ signing spec uses ECDSA keys, this is {type(key).__name__}")
    return key


def public_key_b64(public_key) -> str:
    return base64.b64encode(public_key.public_bytes(serialization.Encoding.DER,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)).decode("ascii")


def certificate_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if names:
        return str(names[0].value)
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        return san.value.get_values_for_type(x509.DNSName)[0]
    except (x509.ExtensionNotFound, IndexError):
        return ""


def pem_chain(certificates: list[x509.Certificate]) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certificates)


def _tsa_chain(reply: bytes, roots: list[x509.Certificate]) -> list[x509.Certificate]:
    """The TSA's certificate from the token, then its issuers up to a root of the bundle."""
    embedded = [x509.load_der_x509_certificate(c) for c in decode_timestamp_response(reply).signed_data.certificates]
    signer = decode_timestamp_response(reply).signed_data.signer_infos.pop()
    leaf = next(c for c in embedded if c.issuer == signer.issuer and c.serial_number == signer.serial_number)
    chain, pool = [leaf], embedded + roots
    while chain[-1].issuer != chain[-1].subject:
        parent = next((c for c in pool if c.subject == chain[-1].issuer and c not in chain), None)
        if parent is None:
            break
        chain.append(parent)
    return chain


def sign_hash(package_hash: str, created: str, key: ec.EllipticCurvePrivateKey, timestamping: Timestamping,
              certificate_chain: list[x509.Certificate] | None = None) -> dict:
    """The `signedData` block for `datapackage-digest.json`."""
    if certificate_chain:
        leaf_key = certificate_chain[0].public_key()
        if public_key_b64(leaf_key) != public_key_b64(key.public_key()):
            raise SigningError("the certificate's public key is not the signing key's")
    signature = base64.b64encode(key.sign(package_hash.encode("ascii"), ec.ECDSA(hashes.SHA256()))).decode("ascii")
    roots = load_bundle(timestamping.ca_bundle)
    digest = hashlib.sha256(signature.encode("ascii")).digest()
    failures = []
    for url in timestamping.urls:  # the spec has room for one token: the first TSA that answers
        try:
            token = request_token(url, digest, timestamping.timeout)
            verify_token(token.reply, digest, roots)
            break
        except TimestampError as exc:
            failures.append(str(exc))
    else:
        raise SigningError(f"no time-stamping authority signed the signature: {'; '.join(failures)}")
    signed = {"hash": package_hash, "created": created, "software": f"Kronika {__version__}",
              "version": SPEC_VERSION, "signature": signature}
    if certificate_chain:
        signed["domain"] = certificate_name(certificate_chain[0])
        signed["domainCert"] = pem_chain(certificate_chain)
    else:
        signed["publicKey"] = public_key_b64(key.public_key())
    signed["timeSignature"] = base64.b64encode(token.reply).decode("ascii")
    signed["timestampCert"] = pem_chain(_tsa_chain(token.reply, roots))
    return signed


def signer(key_path: str | Path, timestamping: Timestamping | None, cert_path: str | Path | None = None):
    """A `sign(hash, created) -> signedData` callable for the WACZ builder; errors before any work."""
    if timestamping is None:
        raise SigningError("signing needs a time-stamping authority for the token over the signature: "
                           "set `timestamping: {urls: [...], ca_bundle: ...}` in the config's defaults")
    key = load_private_key(key_path)
    chain = None
    if cert_path:
        try:
            chain = x509.load_pem_x509_certificates(Path(cert_path).read_bytes())
        except FileNotFoundError:
            raise SigningError(f"no such certificate file: {cert_path}") from None
        except ValueError as exc:
            raise SigningError(f"{cert_path}: not a PEM certificate chain ({exc})") from None
        if public_key_b64(chain[0].public_key()) != public_key_b64(key.public_key()):
            raise SigningError(f"{cert_path}: its first certificate is not for the key {key_path}")
    return lambda package_hash, created: sign_hash(package_hash, created, key, timestamping, chain)


def verify_signature(package_hash: str, signature_b64: str, public_key) -> bool:
    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True), package_hash.encode("ascii"),
                          ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError, TypeError, AttributeError):
        return False


def parse_created(created: str) -> datetime:
    return datetime.fromisoformat(created.replace("Z", "+00:00"))
