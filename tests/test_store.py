"""The content-addressed blob store: put/get, resumable downloads, assembly with hard links, GC."""

from __future__ import annotations

import errno
import hashlib
import os
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from content_packs.archive import build_pack, import_kpack
from content_packs.errors import IntegrityError, PackError
from content_packs.loader import load_pack
from content_packs.manifest import read_signed_manifest
from content_packs.store import BlobStore
from content_packs.testing import make_pack, png_bytes

KEY = Ed25519PrivateKey.generate()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_and_get(tmp_path):
    store = BlobStore(tmp_path / "store")
    digest = store.put(b"hello")
    assert digest == sha(b"hello")
    assert store.path(digest) == tmp_path / "store" / "blobs" / digest[:2] / digest
    assert store.has(digest) and store.get(digest) == b"hello"
    assert store.put(b"hello") == digest  # idempotent
    assert os.stat(store.path(digest)).st_mode & 0o222 == 0  # read-only: hard-linked copies share it
    assert list(store.blobs()) == [digest]
    assert list((tmp_path / "store" / "tmp").iterdir()) == []


def test_put_file_checks_expected_hash(tmp_path):
    store = BlobStore(tmp_path / "store")
    source = tmp_path / "a.bin"
    source.write_bytes(b"abc")
    assert store.put_file(source, sha(b"abc")) == sha(b"abc")
    with pytest.raises(IntegrityError):
        store.put_file(source, sha(b"xyz"))
    assert not store.has(sha(b"xyz"))


def test_get_missing_blob(tmp_path):
    with pytest.raises(PackError, match="not in the store"):
        BlobStore(tmp_path).get(sha(b"nope"))


def test_bad_sha_names_refused(tmp_path):
    store = BlobStore(tmp_path)
    for bad in ("../../etc/passwd", "ABC", "0" * 63):
        with pytest.raises(PackError, match="not a sha256"):
            store.path(bad)


def test_resume_a_partial_download(tmp_path):
    data = os.urandom(300_000)
    digest = sha(data)
    store = BlobStore(tmp_path / "store")
    assert store.partial_size(digest) == 0
    store.append_partial(digest, data[:100_000])
    # The process dies here; a new store object (after reboot) resumes from the .part size.
    resumed = BlobStore(tmp_path / "store")
    offset = resumed.partial_size(digest)
    assert offset == 100_000
    assert resumed.append_partial(digest, data[offset:]) == len(data)
    path = resumed.commit_partial(digest, expected_size=len(data))
    assert path.read_bytes() == data and resumed.partial_size(digest) == 0


def test_commit_of_a_corrupt_download_discards_it(tmp_path):
    store = BlobStore(tmp_path)
    digest = sha(b"good data")
    store.append_partial(digest, b"evil data")
    with pytest.raises(IntegrityError, match="corrupt or tampered"):
        store.commit_partial(digest)
    assert not store.has(digest) and store.partial_size(digest) == 0


def test_commit_checks_size(tmp_path):
    store = BlobStore(tmp_path)
    store.append_partial(sha(b"abc"), b"abc")
    with pytest.raises(IntegrityError, match="expected 4"):
        store.commit_partial(sha(b"abc"), expected_size=4)


def kpack_for(tmp_path, name: str, version: str = "1.0.0", slide2=(90, 190, 120)):
    src = make_pack(tmp_path / f"src-{name}-{version}", pack_id=name, version=version)
    (src / "media" / "slide2.png").write_bytes(png_bytes(64, 36, slide2))
    return build_pack(src, KEY, tmp_path / f"{name}-{version}.kpack")


def fetch_like_the_agent(store: BlobStore, kpack) -> object:
    """Simulate HTTP: signed manifest first, then only the missing blobs, with a resume in the middle."""
    with zipfile.ZipFile(kpack) as zf:
        manifest = read_signed_manifest(zf.read("manifest.json"), zf.read("manifest.sig"), [KEY.public_key()])
        blobs = {e.sha256: zf.read("files/" + e.path) for e in manifest.files}
        store.put_manifest(zf.read("manifest.json"), zf.read("manifest.sig"))
    for digest in store.missing(manifest):
        body = blobs[digest]
        store.append_partial(digest, body[: len(body) // 2])
        store.append_partial(digest, body[store.partial_size(digest) :])
        store.commit_partial(digest, len(body))
    return manifest


def test_assemble_a_pack_with_hard_links(tmp_path):
    store = BlobStore(tmp_path / "store")
    manifest = fetch_like_the_agent(store, kpack_for(tmp_path, "quake"))
    dest = store.assemble(manifest, tmp_path / "packs" / "quake-1.0.0")
    assert load_pack(dest).id == "quake"
    entry = manifest.files[0]
    assert os.stat(dest / entry.path).st_ino == os.stat(store.path(entry.sha256)).st_ino
    with pytest.raises(FileExistsError):
        store.assemble(manifest, dest)


def test_assemble_falls_back_to_copy_across_filesystems(tmp_path, monkeypatch):
    store = BlobStore(tmp_path / "store")
    manifest = fetch_like_the_agent(store, kpack_for(tmp_path, "quake"))

    def no_links(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    dest = store.assemble(manifest, tmp_path / "other-fs" / "quake")
    entry = manifest.files[0]
    assert os.stat(dest / entry.path).st_ino != os.stat(store.path(entry.sha256)).st_ino
    assert (dest / entry.path).read_bytes() == store.get(entry.sha256)


def test_assemble_refuses_when_blobs_are_missing(tmp_path):
    store = BlobStore(tmp_path / "store")
    manifest = fetch_like_the_agent(store, kpack_for(tmp_path, "quake"))
    os.unlink(store.path(manifest.files[0].sha256))
    with pytest.raises(PackError, match="missing"):
        store.assemble(manifest, tmp_path / "packs" / "quake")
    assert not (tmp_path / "packs" / "quake").exists()


def test_second_version_fetches_only_changed_blobs_and_gc_keeps_what_is_needed(tmp_path):
    store = BlobStore(tmp_path / "store")
    v1 = fetch_like_the_agent(store, kpack_for(tmp_path, "quake", "1.0.0"))
    old_blobs = set(store.blobs())
    v2_kpack = kpack_for(tmp_path, "quake", "1.1.0", slide2=(1, 2, 3))
    with zipfile.ZipFile(v2_kpack) as zf:
        v2_preview = read_signed_manifest(zf.read("manifest.json"), zf.read("manifest.sig"), [KEY.public_key()])
    assert len(store.missing(v2_preview)) == 2  # pack.toml and the changed slide
    v2 = fetch_like_the_agent(store, v2_kpack)
    store.assemble(v2, tmp_path / "packs" / "v2")

    removed = store.gc(keep=[v2])
    assert set(removed) == v1.blobs - v2.blobs and len(removed) == 2
    assert set(store.blobs()) == v2.blobs
    assert old_blobs - set(removed) <= set(store.blobs())
    assert load_pack(tmp_path / "packs" / "v2").version == "1.1.0"  # still intact


def test_gc_with_partials(tmp_path):
    store = BlobStore(tmp_path)
    store.append_partial(sha(b"x"), b"half")
    store.gc(keep=[])
    assert store.partial_size(sha(b"x")) == 4
    store.gc(keep=[], partials=True)
    assert store.partial_size(sha(b"x")) == 0


def test_manifests_are_stored_and_served(tmp_path):
    store = BlobStore(tmp_path / "store")
    manifest = fetch_like_the_agent(store, kpack_for(tmp_path, "quake"))
    assert store.manifests() == [manifest.sha256]
    data, sig = store.get_manifest(manifest.sha256)
    assert read_signed_manifest(data, sig, [KEY.public_key()]).sha256 == manifest.sha256
    assert [m.id for m in store.stored_manifests()] == ["quake"]
    store.delete_manifest(manifest.sha256)
    assert store.manifests() == []


def test_import_kpack_verifies_and_stores_everything(tmp_path):
    store = BlobStore(tmp_path / "store")
    kpack = kpack_for(tmp_path, "quake")
    manifest = import_kpack(kpack, store, [KEY.public_key()])
    assert store.missing(manifest) == []
    assert store.manifests() == [manifest.sha256]
    # Importing again is a no-op; a tampered copy is refused and leaves no partials behind.
    import_kpack(kpack, store, [KEY.public_key()])
    with pytest.raises(PackError):
        import_kpack(kpack, store, [Ed25519PrivateKey.generate().public_key()])
    assert list((tmp_path / "store" / "partial").iterdir()) == []
