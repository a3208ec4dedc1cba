#!/usr/bin/env python3
"""Build, verify and extract a synthetic pack (default 200 MB); the last line is one JSON object.

The bulk is incompressible media (like real PNG/OGG), stored uncompressed in the .kpack, so
the figures measure hashing, copying and signature checks — what an exhibit pays to install.
Usage: python benchmarks/packs.py [--size-mb 200] [--file-mb 4]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from content_packs.archive import build_pack, extract_kpack, verify_kpack
from content_packs.store import BlobStore
from content_packs.testing import make_pack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--file-mb", type=int, default=4)
    args = parser.parse_args()
    key = Ed25519PrivateKey.generate()
    with tempfile.TemporaryDirectory(prefix="kepu-bench-") as tmp:
        root = make_pack(Path(tmp) / "src", pack_id="bench-pack")
        chunk = os.urandom(args.file_mb * 1_000_000)
        count = max(1, args.size_mb // args.file_mb)
        for i in range(count):
            # Distinct bytes per file (one byte changed), so the store cannot deduplicate them.
            (root / "media" / f"narration-{i:03d}.ogg").write_bytes(i.to_bytes(4, "big") + chunk[4:])
        total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())

        started = time.perf_counter()
        kpack = build_pack(root, key, Path(tmp) / "out")
        build_s = time.perf_counter() - started

        started = time.perf_counter()
        manifest = verify_kpack(kpack, [key.public_key()])
        verify_s = time.perf_counter() - started

        started = time.perf_counter()
        extract_kpack(kpack, Path(tmp) / "stage", [key.public_key()])
        extract_s = time.perf_counter() - started

        store = BlobStore(Path(tmp) / "store")
        started = time.perf_counter()
        for entry in manifest.files:
            store.put_file(Path(tmp) / "stage" / entry.path, entry.sha256)
        store.assemble(manifest, Path(tmp) / "assembled")
        store_s = time.perf_counter() - started

    mb = total / 1_000_000
    result = {
        "benchmark": "packs",
        "pack_mb": round(mb, 1),
        "files": len(manifest.files),
        "build_s": round(build_s, 3),
        "build_mb_s": round(mb / build_s, 1),
        "verify_s": round(verify_s, 3),
        "verify_mb_s": round(mb / verify_s, 1),
        "extract_s": round(extract_s, 3),
        "extract_mb_s": round(mb / extract_s, 1),
        "store_and_assemble_s": round(store_s, 3),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
