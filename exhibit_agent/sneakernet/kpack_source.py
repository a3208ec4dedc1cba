"""A .kpack file as the installer's pack source: the same manifest/blob interface as the HTTP fetcher.

With this, a pack from a USB stick takes exactly the path a downloaded one does — signature
and manifest checked, blobs hash-checked into the store, assembled, switched, confirmed by
the kiosk, rolled back on failure — instead of a second, less careful installer.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from content_packs.archive import FILES_PREFIX, MANIFEST_NAME, SIGNATURE_NAME, read_kpack_manifest
from content_packs.errors import PackError
from content_packs.manifest import Manifest
from content_packs.store import BlobStore
from exhibit_agent.fetch import FetchError

CHUNK = 1024 * 1024
MAX_MANIFEST = 4 * 1024 * 1024
MAX_SIGNATURE = 4096


class KpackSource:
    def __init__(self, path: Path):
        self.path = Path(path)
        # Structure first (paths, sizes, links), without trusting anything: the installer checks the signature.
        self.manifest: Manifest = read_kpack_manifest(self.path)
        self._by_sha = {entry.sha256: entry for entry in self.manifest.files}

    def _read(self, name: str, cap: int) -> bytes | None:
        try:
            with zipfile.ZipFile(self.path) as zf:
                try:
                    info = zf.getinfo(name)
                except KeyError:
                    return None
                if info.file_size > cap:
                    raise PackError(f"{name} in {self.path.name} is larger than {cap} bytes")
                return zf.read(info)
        except (OSError, zipfile.BadZipFile) as exc:
            raise FetchError(f"cannot read {self.path}: {exc}") from None

    def fetch_manifest(self, url: str) -> tuple[bytes, bytes | None]:
        raw = self._read(MANIFEST_NAME, MAX_MANIFEST)
        if raw is None:
            raise PackError(f"{self.path.name} has no {MANIFEST_NAME}")
        return raw, self._read(SIGNATURE_NAME, MAX_SIGNATURE)

    def download_blob(self, store: BlobStore, sha: str, size: int) -> None:
        entry = self._by_sha.get(sha)
        if entry is None:
            raise PackError(f"{self.path.name} has no file with sha256 {sha}")
        store.discard_partial(sha)
        try:
            with zipfile.ZipFile(self.path) as zf, zf.open(FILES_PREFIX + entry.path) as src:
                while chunk := src.read(CHUNK):
                    store.append_partial(sha, chunk)
        except (OSError, zipfile.BadZipFile, KeyError) as exc:
            store.discard_partial(sha)
            raise FetchError(f"cannot read {entry.path} from {self.path}: {exc}") from None
        store.commit_partial(sha, size)  # hash-checked: a tampered file never reaches the store

    def close(self) -> None:
        pass
