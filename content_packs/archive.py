"""The .kpack file: build one from a source folder, verify it, extract it safely.

Layout (a zip; PNG/JPEG/OGG stored, everything else deflated):

    manifest.json   canonical JSON: format, id, version, title, topic, created,
                    files [{path, size, sha256}]  (see content_packs.manifest)
    manifest.sig    JSON: {v, alg: "ed25519", key_id, sig}  over manifest.json's exact bytes
    files/<path>    every file of the pack folder, pack.toml included

The zip is only a container: nothing in it is trusted until the signature over the
manifest checks out and each file's bytes hash to what the manifest says.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from content_packs.errors import IntegrityError, PackError, UnsafePackError
from content_packs.fsutil import fsync_dir, fsync_tree
from content_packs.loader import load_pack
from content_packs.manifest import FileEntry, Manifest, parse_manifest, read_signed_manifest
from content_packs.progress import NoProgress, Progress
from content_packs.safety import DEFAULT_LIMITS, Limits, check_pack_path, scan_source
from content_packs.signing import KeyLike, load_private_key, sign
from content_packs.store import BlobStore

MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
FILES_PREFIX = "files/"
CHUNK = 1024 * 1024
MAX_SIGNATURE = 4096
# Already-compressed media gain nothing from deflate; storing them keeps verify fast on a Pi.
_STORED_SUFFIXES = {".png", ".jpg", ".jpeg", ".ogg", ".mp3", ".opus", ".webp", ".gz", ".zip", ".woff2"}
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same folder builds the same bytes


def kpack_name(pack_id: str, version: str) -> str:
    """NAME-VERSION.kpack, the contract file name of a built pack."""
    return f"{pack_id}-{version}.kpack"


# -- build -------------------------------------------------------------------


def build_pack(
    src_dir: str | Path,
    private_key: Ed25519PrivateKey | str | Path,
    out: str | Path | None = None,
    *,
    created: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> Path:
    """Validate a pack folder, then write a signed NAME-VERSION.kpack; return its path."""
    src = Path(src_dir)
    key = private_key if isinstance(private_key, Ed25519PrivateKey) else load_private_key(private_key)
    pack = load_pack(src)
    sources = scan_source(src, limits)
    out_path = Path(out) if out is not None else Path.cwd() / kpack_name(pack.id, pack.version)
    # A folder (existing, or any path not ending in .kpack) receives ID-VERSION.kpack.
    if out_path.is_dir() or out_path.suffix != ".kpack":
        out_path = out_path / kpack_name(pack.id, pack.version)
    progress = progress or NoProgress()
    progress.start(sum(p.stat().st_size for _, p in sources), f"building {pack.id} {pack.version}")
    stamp = (created or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".building-", suffix=".kpack", dir=out_path.parent)
    try:
        with os.fdopen(fd, "w+b") as raw, zipfile.ZipFile(raw, "w", allowZip64=True) as zf:
            entries = [_add_file(zf, relative, path, progress) for relative, path in sources]
            manifest = Manifest(
                id=pack.id,
                version=pack.version,
                title=pack.title,
                topic=pack.topic,
                created=stamp,
                files=tuple(entries),
            )
            data = manifest.to_bytes()
            zf.writestr(_info(MANIFEST_NAME, zipfile.ZIP_STORED), data)
            zf.writestr(_info(SIGNATURE_NAME, zipfile.ZIP_STORED), sign(data, key))
            zf.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp_name, out_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    fsync_dir(out_path.parent)
    return out_path


def _add_file(zf: zipfile.ZipFile, relative: str, path: Path, progress: Progress) -> FileEntry:
    """Copy one file into the zip while hashing it, so what is hashed is exactly what is shipped."""
    method = zipfile.ZIP_STORED if path.suffix.lower() in _STORED_SUFFIXES else zipfile.ZIP_DEFLATED
    info = _info(FILES_PREFIX + relative, method)
    expected = path.stat().st_size
    info.file_size = expected
    digest = hashlib.sha256()
    size = 0
    # O_NOFOLLOW: a file swapped for a symlink after the scan is still refused.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as src, zf.open(info, "w", force_zip64=expected > 2**31 - 1) as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
            progress.advance(len(chunk))
    if size != expected:
        raise PackError(f"{relative} changed while the pack was being built; build again")
    return FileEntry(path=relative, size=size, sha256=digest.hexdigest())


def _info(name: str, method: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
    info.compress_type = method
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    info.create_system = 3  # Unix, so the mode bits above are meaningful to readers
    return info


# -- read, verify, extract -----------------------------------------------------


def read_kpack_manifest(
    path: str | Path,
    trusted_keys: Iterable[KeyLike] | None = None,
    installed_version: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Manifest:
    """Check a .kpack's structure and signature (not the file bytes); without keys, skip the signature."""
    with _open_zip(path) as zf:
        infos = _check_structure(zf, limits)
        if trusted_keys is None:
            return parse_manifest(_read_small(zf, infos.get(MANIFEST_NAME), limits.max_manifest), limits)
        manifest = _signed_manifest(zf, infos, trusted_keys, installed_version, limits)
        _match_entries(manifest, infos)
        return manifest


def verify_kpack(
    path: str | Path,
    trusted_keys: Iterable[KeyLike],
    installed_version: str | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> Manifest:
    """Check signature, structure and every file's hash; return the manifest or raise PackError."""
    with _open_zip(path) as zf:
        infos = _check_structure(zf, limits)
        manifest = _signed_manifest(zf, infos, trusted_keys, installed_version, limits)
        _match_entries(manifest, infos)
        progress = progress or NoProgress()
        progress.start(manifest.total_size, f"verifying {manifest.id} {manifest.version}")
        for entry in manifest.files:
            _stream_entry(zf, infos[FILES_PREFIX + entry.path], entry, lambda _chunk: None, progress)
    return manifest


def extract_kpack(
    path: str | Path,
    staging_dir: str | Path,
    trusted_keys: Iterable[KeyLike],
    installed_version: str | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> Manifest:
    """Verify a .kpack and write its files into a new, empty staging folder; on failure leave nothing."""
    staging = Path(staging_dir)
    if staging.is_symlink() or (staging.exists() and (not staging.is_dir() or any(staging.iterdir()))):
        raise PackError(f"staging folder {staging} must be new or empty")
    with _open_zip(path) as zf:
        # Everything that can be checked without writing is checked before the first byte lands on disk.
        infos = _check_structure(zf, limits)
        manifest = _signed_manifest(zf, infos, trusted_keys, installed_version, limits)
        _match_entries(manifest, infos)
        progress = progress or NoProgress()
        progress.start(manifest.total_size, f"installing {manifest.id} {manifest.version}")
        created_staging = not staging.exists()
        try:
            # No parents=True: the caller owns the staging area; we create at most its last folder.
            staging.mkdir(exist_ok=True)
        except OSError as exc:
            raise PackError(f"cannot create staging folder {staging}: {exc.strerror}") from exc
        try:
            for entry in manifest.files:
                _extract_entry(zf, infos[FILES_PREFIX + entry.path], entry, staging, progress)
            fsync_tree(staging)
            pack = load_pack(staging)
            if (pack.id, pack.version) != (manifest.id, manifest.version):
                raise PackError(
                    f"pack.toml says {pack.id} {pack.version} but the signed manifest says {manifest.id} {manifest.version}"
                )
        except BaseException:
            _empty(staging, remove=created_staging)
            raise
    return manifest


def import_kpack(
    path: str | Path,
    store: BlobStore,
    trusted_keys: Iterable[KeyLike],
    installed_version: str | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> Manifest:
    """Verify a .kpack and put its manifest and every blob it lacks into a BlobStore (the controller's upload path)."""
    with _open_zip(path) as zf:
        infos = _check_structure(zf, limits)
        data = _read_small(zf, infos[MANIFEST_NAME], limits.max_manifest)
        sig = _read_small(zf, infos[SIGNATURE_NAME], MAX_SIGNATURE) if SIGNATURE_NAME in infos else None
        manifest = read_signed_manifest(data, sig, trusted_keys, installed_version=installed_version, limits=limits)
        _match_entries(manifest, infos)
        progress = progress or NoProgress()
        progress.start(manifest.total_size, f"importing {manifest.id} {manifest.version}")
        for entry in manifest.files:
            if store.has(entry.sha256):
                progress.advance(entry.size)
                continue
            store.discard_partial(entry.sha256)
            try:
                _stream_entry(
                    zf,
                    infos[FILES_PREFIX + entry.path],
                    entry,
                    functools.partial(store.append_partial, entry.sha256),
                    progress,
                )
            except BaseException:
                store.discard_partial(entry.sha256)
                raise
            store.commit_partial(entry.sha256, entry.size)
        store.put_manifest(data, sig or b"")
    return manifest


def _open_zip(path: str | Path) -> zipfile.ZipFile:
    path = Path(path)
    try:
        if path.is_symlink() or not path.is_file():
            raise PackError(f"{path} is not a file")
        return zipfile.ZipFile(path, "r")
    except zipfile.BadZipFile as exc:
        raise PackError(f"{path} is not a .kpack (not a zip archive: {exc})") from exc
    except OSError as exc:
        raise PackError(f"cannot open {path}: {exc.strerror}") from exc


def _check_structure(zf: zipfile.ZipFile, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    """Refuse dangerous entries using the central directory alone, before anything is decompressed."""
    infos = zf.infolist()
    if len(infos) > limits.max_entries + 2:
        raise UnsafePackError(f"the archive has {len(infos)} entries, over the {limits.max_entries}-file cap")
    by_name: dict[str, zipfile.ZipInfo] = {}
    declared_total = 0
    for info in infos:
        name = info.filename
        # zipfile turns backslashes into slashes on Windows only; check the raw name too.
        raw_name = info.orig_filename
        if "\\" in raw_name:
            raise UnsafePackError(f"archive entry {raw_name!r} contains a backslash")
        if name in by_name:
            raise UnsafePackError(f"archive entry {name!r} appears twice")
        mode = info.external_attr >> 16
        if info.is_dir():
            raise UnsafePackError(f"archive entry {name!r} is a folder entry; packs list files only")
        if mode and stat.S_ISLNK(mode):
            raise UnsafePackError(f"archive entry {name!r} is a symbolic link")
        if mode and not stat.S_ISREG(mode):
            raise UnsafePackError(f"archive entry {name!r} is not a regular file (device, pipe or socket)")
        if info.flag_bits & 0x1:
            raise UnsafePackError(f"archive entry {name!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnsafePackError(f"archive entry {name!r} uses an unsupported compression method")
        if name not in (MANIFEST_NAME, SIGNATURE_NAME):
            if not name.startswith(FILES_PREFIX):
                raise UnsafePackError(f"archive entry {name!r} is outside files/")
            check_pack_path(name[len(FILES_PREFIX) :])
        if info.file_size > limits.max_file:
            raise UnsafePackError(
                f"archive entry {name!r} is {info.file_size:,} bytes, over the {limits.max_file:,}-byte file cap"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor and ratio > limits.max_ratio:
            raise UnsafePackError(
                f"archive entry {name!r} expands {ratio:.0f}:1 (a zip bomb?); the cap is {limits.max_ratio:.0f}:1"
            )
        declared_total += info.file_size
        if declared_total > limits.max_total:
            raise UnsafePackError(f"the archive unpacks to over the {limits.max_total:,}-byte total cap")
        by_name[name] = info
    if MANIFEST_NAME not in by_name:
        raise PackError("the archive has no manifest.json; is it a .kpack?")
    return by_name


def _signed_manifest(
    zf: zipfile.ZipFile,
    infos: dict[str, zipfile.ZipInfo],
    trusted_keys: Iterable[KeyLike],
    installed_version: str | None,
    limits: Limits,
) -> Manifest:
    data = _read_small(zf, infos[MANIFEST_NAME], limits.max_manifest)
    sig = _read_small(zf, infos[SIGNATURE_NAME], MAX_SIGNATURE) if SIGNATURE_NAME in infos else None
    return read_signed_manifest(data, sig, trusted_keys, installed_version=installed_version, limits=limits)


def _match_entries(manifest: Manifest, infos: dict[str, zipfile.ZipInfo]) -> None:
    """The archive must hold exactly the signed files, each with its signed size."""
    listed = {FILES_PREFIX + f.path: f for f in manifest.files}
    extra = sorted(set(infos) - set(listed) - {MANIFEST_NAME, SIGNATURE_NAME})
    if extra:
        raise UnsafePackError(f"archive entry {extra[0]!r} is not in the signed manifest")
    for name, entry in listed.items():
        info = infos.get(name)
        if info is None:
            raise IntegrityError(f"{entry.path} is in the manifest but missing from the archive")
        if info.file_size != entry.size:
            raise IntegrityError(
                f"{entry.path} is {info.file_size:,} bytes in the archive but {entry.size:,} in the manifest"
            )


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo | None, cap: int) -> bytes:
    if info is None:
        raise PackError("the archive has no manifest.json; is it a .kpack?")
    if info.file_size > cap:
        raise UnsafePackError(f"{info.filename} is {info.file_size:,} bytes, over its {cap:,}-byte cap")
    try:
        with zf.open(info) as f:
            data = f.read(cap + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise IntegrityError(f"{info.filename} is corrupt ({exc})") from exc
    if len(data) > cap:
        raise UnsafePackError(f"{info.filename} is larger than declared")
    return data


def _stream_entry(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, entry: FileEntry, sink: Callable[[bytes], object], progress: Progress
) -> None:
    """Decompress one entry into `sink`, never past its signed size, and check its hash."""
    digest = hashlib.sha256()
    size = 0
    try:
        with zf.open(info) as f:
            while chunk := f.read(CHUNK):
                size += len(chunk)
                if size > entry.size:
                    raise UnsafePackError(f"{entry.path} unpacks to more than its declared {entry.size:,} bytes")
                digest.update(chunk)
                sink(chunk)
                progress.advance(len(chunk))
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise IntegrityError(f"{entry.path} is corrupt or tampered ({exc})") from exc
    if size != entry.size:
        raise IntegrityError(f"{entry.path} is {size:,} bytes but the manifest says {entry.size:,}")
    if digest.hexdigest() != entry.sha256:
        raise IntegrityError(f"{entry.path} does not match its sha256 in the signed manifest (tampered)")


def _extract_entry(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, entry: FileEntry, staging: Path, progress: Progress
) -> None:
    target = staging.joinpath(*entry.path.split("/"))
    # Belt and braces: the path was checked already, but never write where it does not resolve inside staging.
    if not target.resolve().is_relative_to(staging.resolve()):
        raise UnsafePackError(f"{entry.path} would be written outside the staging folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, 0o644)
    with os.fdopen(fd, "wb") as out:
        _stream_entry(zf, info, entry, out.write, progress)
        out.flush()
        os.fsync(out.fileno())


def _empty(staging: Path, remove: bool) -> None:
    if remove:
        shutil.rmtree(staging, ignore_errors=True)
        return
    for child in staging.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
