"""A real RFC 3161 time-stamping authority on loopback, for tests: OpenSSL's `ts -reply` behind a
small HTTP front, with its own CA and TSA certificate (made here, with the timeStamping EKU).

    with LoopbackTSA(tmp_path) as tsa:
        tsa.url, tsa.ca_bundle        # what `timestamping: {urls, ca_bundle}` takes
        tsa.refuse = True              # from now on it answers 503, as a TSA that is down

Also `make_ca`/`make_leaf` for the tests' own signing keys and certificate chains.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPENSSL = shutil.which("openssl")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kronika tests")])


def make_ca(common_name: str = "Kronika Test Root CA") -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_leaf(ca_key, ca_cert: x509.Certificate, common_name: str, time_stamping: bool = False,
              not_before: datetime | None = None) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(ca_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before or now - timedelta(hours=1))
               .not_valid_after((not_before or now) + timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
    if time_stamping:  # RFC 3161 2.3: the TSA's certificate has exactly this EKU, critical
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    else:  # a domain certificate, as a web CA issues one
        builder = (builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    return key, builder.sign(ca_key, hashes.SHA256())


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


TSA_CONFIG = """\
[ tsa ]
default_tsa = kronika_test_tsa

[ kronika_test_tsa ]
serial = {dir}/serial
crypto_device = builtin
signer_cert = {dir}/tsa.pem
signer_key = {dir}/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


class LoopbackTSA:
    """OpenSSL's `ts -reply` answering RFC 3161 requests over HTTP on 127.0.0.1 (a free port)."""

    def __init__(self, directory: Path, tsa_not_before: datetime | None = None):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca_key, self.ca_cert = make_ca("Kronika Test TSA Root")
        self.tsa_key, self.tsa_cert = make_leaf(self.ca_key, self.ca_cert, "Kronika Test TSA", time_stamping=True,
                                                not_before=tsa_not_before)
        (self.dir / "ca.pem").write_bytes(pem(self.ca_cert))
        (self.dir / "tsa.pem").write_bytes(pem(self.tsa_cert))
        (self.dir / "tsa.key").write_bytes(key_pem(self.tsa_key))
        (self.dir / "serial").write_text("01\n")
        (self.dir / "openssl.cnf").write_text(TSA_CONFIG.format(dir=self.dir))
        self.ca_bundle = self.dir / "ca.pem"
        self.refuse = False
        self.requests = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/tsr"

    def reply(self, query: bytes) -> bytes:
        with self._lock, tempfile.TemporaryDirectory() as tmp:  # one serial file: one reply at a time
            (Path(tmp) / "q.tsq").write_bytes(query)
            subprocess.run([OPENSSL, "ts", "-reply", "-config", str(self.dir / "openssl.cnf"),
                            "-queryfile", f"{tmp}/q.tsq", "-out", f"{tmp}/r.tsr"],
                           check=True, capture_output=True)
            return (Path(tmp) / "r.tsr").read_bytes()

    def __enter__(self) -> LoopbackTSA:
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                tsa.requests += 1
                if tsa.refuse:
                    self.send_error(503, "time-stamping service unavailable")
                    return
                answer = tsa.reply(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
