"""A content-addressed store of pack files, shared by the exhibit agent and the controller.

Layout under the store root:

    blobs/ab/abcdef…        one file per sha256, read-only, written atomically
    partial/abcdef….part    a download in progress, appended to and resumed
    manifests/<sha>.json    signed manifests (+ .sig) kept for serving and garbage collection
    tmp/                    temporary files, on the same filesystem so renames are atomic

Pack folders are assembled from blobs with hard links, so two versions of a pack that
share most images share the disk space too. Blobs are made read-only because every
hard-linked copy is the same inode: writing to an installed file would corrupt the blob.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from content_packs.errors import IntegrityError, PackError
from content_packs.fsutil import fsync_dir, fsync_tree
from content_packs.manifest import Manifest, parse_manifest
from content_packs.safety import check_pack_path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


class BlobStore:
    """Blobs by sha256 on local disk, with resumable downloads, pack assembly and GC."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        for sub in ("blobs", "partial", "manifests", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    # -- blobs -------------------------------------------------------------

    def path(self, sha: str) -> Path:
        """Where the blob with this sha256 lives (whether or not it exists yet)."""
        sha = _check_sha(sha)
        return self.root / "blobs" / sha[:2] / sha

    def has(self, sha: str) -> bool:
        """Whether the complete blob is in the store."""
        return self.path(sha).is_file()

    def open(self, sha: str) -> BinaryIO:
        """Open a blob for reading; raise PackError if it is missing."""
        try:
            return self.path(sha).open("rb")
        except FileNotFoundError as exc:
            raise PackError(f"blob {sha} is not in the store") from exc

    def get(self, sha: str) -> bytes:
        """A blob's bytes (for small blobs; use open() for large ones)."""
        with self.open(sha) as f:
            return f.read()

    def put(self, data: bytes) -> str:
        """Store bytes atomically; return their sha256."""
        sha = hashlib.sha256(data).hexdigest()
        if not self.has(sha):
            self._publish(sha, lambda f: f.write(data))
        return sha

    def put_file(self, source: str | Path, expected_sha: str | None = None) -> str:
        """Copy a file into the store, hashing as it goes; raise IntegrityError if it is not expected_sha."""
        digest = hashlib.sha256()
        tmp = self._temp()
        try:
            with open(source, "rb") as src, open(tmp, "wb") as dst:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            sha = digest.hexdigest()
            if expected_sha is not None and sha != expected_sha:
                raise IntegrityError(f"{source} has sha256 {sha}, expected {expected_sha}")
            self._rename_into_place(tmp, sha)
            return sha
        finally:
            tmp.unlink(missing_ok=True)

    def missing(self, manifest: Manifest) -> list[str]:
        """The sha256s a manifest needs that the store lacks, in manifest order, without repeats."""
        seen: set[str] = set()
        needed = []
        for entry in manifest.files:
            if entry.sha256 not in seen and not self.has(entry.sha256):
                needed.append(entry.sha256)
            seen.add(entry.sha256)
        return needed

    def blobs(self) -> Iterator[str]:
        """Every complete blob's sha256."""
        for sub in (self.root / "blobs").iterdir():
            for blob in sub.iterdir():
                if _SHA256.match(blob.name):
                    yield blob.name

    # -- resumable downloads ----------------------------------------------

    def partial_size(self, sha: str) -> int:
        """Bytes already downloaded for this blob: resume an HTTP Range request from here."""
        try:
            return self._partial(sha).stat().st_size
        except FileNotFoundError:
            return 0

    def append_partial(self, sha: str, chunk: bytes) -> int:
        """Append downloaded bytes to the blob's .part file; return its new size."""
        part = self._partial(sha)
        with part.open("ab") as f:
            f.write(chunk)
            return f.tell()

    def commit_partial(self, sha: str, expected_size: int | None = None) -> Path:
        """Check the .part file's hash and move it into place; a bad download is deleted and raises."""
        part = self._partial(sha)
        if not part.is_file():
            raise PackError(f"no partial download for {sha}")
        digest = hashlib.sha256()
        size = 0
        with part.open("rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
            os.fsync(f.fileno())
        # A wrong download cannot become right by appending more, so it is discarded.
        if expected_size is not None and size != expected_size:
            part.unlink()
            raise IntegrityError(f"download of {sha} is {size:,} bytes, expected {expected_size:,}")
        if digest.hexdigest() != sha:
            part.unlink()
            raise IntegrityError(f"download of {sha} has sha256 {digest.hexdigest()} (corrupt or tampered)")
        self._rename_into_place(part, sha)
        return self.path(sha)

    def discard_partial(self, sha: str) -> None:
        """Forget a partial download."""
        self._partial(sha).unlink(missing_ok=True)

    # -- manifests ---------------------------------------------------------

    def put_manifest(self, data: bytes, sig: bytes) -> str:
        """Keep a (verified) manifest and its signature; return manifest_sha256."""
        sha = hashlib.sha256(data).hexdigest()
        base = self.root / "manifests" / sha
        for suffix, payload in ((".sig", sig), (".json", data)):
            self._atomic_write(base.with_suffix(suffix), payload)
        return sha

    def get_manifest(self, manifest_sha: str) -> tuple[bytes, bytes]:
        """The manifest bytes and signature bytes stored under manifest_sha256."""
        base = self.root / "manifests" / _check_sha(manifest_sha)
        try:
            return base.with_suffix(".json").read_bytes(), base.with_suffix(".sig").read_bytes()
        except FileNotFoundError as exc:
            raise PackError(f"manifest {manifest_sha} is not in the store") from exc

    def manifests(self) -> list[str]:
        """The manifest_sha256 of every stored manifest."""
        return sorted(p.stem for p in (self.root / "manifests").glob("*.json"))

    def delete_manifest(self, manifest_sha: str) -> None:
        """Forget a stored manifest (its blobs go at the next gc)."""
        base = self.root / "manifests" / _check_sha(manifest_sha)
        base.with_suffix(".json").unlink(missing_ok=True)
        base.with_suffix(".sig").unlink(missing_ok=True)

    # -- packs -------------------------------------------------------------

    def assemble(self, manifest: Manifest, dest: str | Path) -> Path:
        """Build a pack folder from blobs (hard links, or copies across filesystems); dest must be new."""
        dest = Path(dest)
        missing = self.missing(manifest)
        if missing:
            raise PackError(f"cannot assemble {manifest.id} {manifest.version}: {len(missing)} blob(s) missing")
        dest.mkdir(parents=True, exist_ok=False)
        try:
            for entry in manifest.files:
                target = dest.joinpath(*check_pack_path(entry.path).split("/"))
                target.parent.mkdir(parents=True, exist_ok=True)
                self._link_or_copy(self.path(entry.sha256), target)
            fsync_tree(dest)
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)
            raise
        return dest

    def gc(self, keep: Iterable[Manifest], *, partials: bool = False) -> list[str]:
        """Delete blobs no kept manifest references; return their sha256s. partials=True drops .part files too."""
        referenced: set[str] = set()
        for manifest in keep:
            referenced |= manifest.blobs
        removed = []
        for sha in list(self.blobs()):
            if sha not in referenced:
                self.path(sha).unlink(missing_ok=True)
                removed.append(sha)
        if partials:
            for part in (self.root / "partial").glob("*.part"):
                part.unlink(missing_ok=True)
        for tmp in (self.root / "tmp").iterdir():
            tmp.unlink(missing_ok=True)
        return sorted(removed)

    def stored_manifests(self) -> list[Manifest]:
        """Every stored manifest, parsed (signatures were checked when they were stored)."""
        return [parse_manifest(self.get_manifest(sha)[0]) for sha in self.manifests()]

    # -- internals ---------------------------------------------------------

    def _partial(self, sha: str) -> Path:
        return self.root / "partial" / f"{_check_sha(sha)}.part"

    def _temp(self) -> Path:
        fd, name = tempfile.mkstemp(dir=self.root / "tmp")
        os.close(fd)
        return Path(name)

    def _publish(self, sha: str, write: Callable[[BinaryIO], object]) -> None:
        tmp = self._temp()
        try:
            with open(tmp, "wb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
            self._rename_into_place(tmp, sha)
        finally:
            tmp.unlink(missing_ok=True)

    def _rename_into_place(self, source: Path, sha: str) -> None:
        target = self.path(sha)
        target.parent.mkdir(exist_ok=True)
        os.chmod(source, 0o444)
        os.replace(source, target)
        fsync_dir(target.parent)

    def _atomic_write(self, target: Path, data: bytes) -> None:
        tmp = self._temp()
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
            fsync_dir(target.parent)
        finally:
            tmp.unlink(missing_ok=True)

    @staticmethod
    def _link_or_copy(blob: Path, target: Path) -> None:
        try:
            os.link(blob, target)
        except OSError as exc:
            # EXDEV: another filesystem; EPERM/ENOTSUP/EMLINK: filesystems without (enough) hard links.
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK, errno.EACCES):
                raise
            shutil.copyfile(blob, target)
            os.chmod(target, 0o444)


def _check_sha(sha: str) -> str:
    if not isinstance(sha, str) or not _SHA256.match(sha):
        raise PackError(f"{sha!r} is not a sha256 (64 lowercase hex digits)")
    return sha
