"""Chain-of-custody costs: what stamping a closed WARC file adds after a crawl, and what checking a
signed package costs, against baselines measured in the same run on the same files.

    .venv/bin/python bench/custody.py [--exchanges N] [--json]

Writes one WARC file of N exchanges with Kronika's writer (as bench/index.py does), starts a real
RFC 3161 TSA on loopback (OpenSSL's `ts -reply`, tests/support/tsa.py), then times, best of three:

- `sha256sum FILE` (the baseline: reading the file once) against the crawl step's `record_closed`
  on it (hash, `closed` custody entry, token request, token check, `.tsr` written, `stamped`
  entry) on a fresh SQLite database each time;
- py-wacz's `wacz validate -f` (the baseline: unzips and hashes every member) against
  `kronika verify-package` (in process; every hash, the signature, both tokens, every WARC record's
  digests, the custody entries) on a signed WACZ of that file.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=20000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from cryptography.hazmat.primitives.asymmetric import ec
    from index import make_warcs

    from kronika.custody.package import TrustAnchors, verify_package
    from kronika.custody.signing import signer
    from kronika.custody.stamping import record_closed
    from kronika.custody.tsa import load_bundle
    from kronika.settings import Environment, Timestamping
    from kronika.storage.db.engine import open_database
    from kronika.storage.warc.wacz import build_wacz
    from tests.support.tsa import LoopbackTSA, key_pem

    with tempfile.TemporaryDirectory(prefix="kronika-bench-custody-") as tmp:
        tmp = Path(tmp)
        source_dir = tmp / "archive" / "bench"
        source_dir.mkdir(parents=True)
        [warc] = make_warcs(source_dir, 1, args.exchanges)
        size = warc.stat().st_size
        with LoopbackTSA(tmp / "tsa") as tsa:
            timestamping = Timestamping(urls=[tsa.url], ca_bundle=str(tsa.ca_bundle))
            sha256sum = best_of(3, lambda: subprocess.run(["sha256sum", str(warc)], check=True, capture_output=True))
            counter = iter(range(100))

            def stamp_once():
                env = Environment(database_url=f"sqlite:///{tmp / f'db{next(counter)}.db'}",
                                  archive_dir=tmp / "archive")
                engine = open_database(env.database_url)  # the schema is made outside the timed part
                started = time.perf_counter()
                report = record_closed(engine, env, "bench", source_dir, timestamping)
                assert report.stamped, report.failed
                return time.perf_counter() - started

            stamping = min(stamp_once() for _ in range(3))

            key = tmp / "key.pem"
            key.write_bytes(key_pem(ec.generate_private_key(ec.SECP256R1())))
            package = tmp / "bench.wacz"
            build_wacz(package, [warc], [], "bench", sign=signer(key, timestamping))
            validate = best_of(3, lambda: subprocess.run([str(Path(sys.executable).parent / "wacz"), "validate",
                                                          "-f", str(package)], check=True, capture_output=True))
            anchors = TrustAnchors(tsa_roots=load_bundle(tsa.ca_bundle))
            checked = best_of(3, lambda: verify_package(package, anchors))
    result = {"warc_bytes": size, "exchanges": args.exchanges,
              "sha256sum_s": round(sha256sum, 3), "record_closed_s": round(stamping, 3),
              "stamping_vs_sha256sum": round(stamping / sha256sum, 2),
              "wacz_validate_s": round(validate, 3), "verify_package_s": round(checked, 3),
              "verify_package_vs_wacz_validate": round(checked / validate, 2), "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps(result))
        return
    print(f"one WARC file of {args.exchanges} exchanges, {size / 1e6:.1f} MB")
    print(f"  sha256sum                 {sha256sum:7.3f} s")
    print(f"  record_closed (stamped)   {stamping:7.3f} s   {stamping / sha256sum:5.2f}x sha256sum")
    print(f"  wacz validate -f          {validate:7.3f} s")
    print(f"  kronika verify-package    {checked:7.3f} s   {checked / validate:5.2f}x wacz validate")


if __name__ == "__main__":
    main()
