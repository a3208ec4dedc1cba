"""Build, verify and extract real .kpack files; manifests over HTTP; rebuilds share blobs."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from content_packs import load_pack
from content_packs.archive import build_pack, extract_kpack, kpack_name, read_kpack_manifest, verify_kpack
from content_packs.errors import DowngradeError, PackError, SignatureError
from content_packs.manifest import compare_versions, parse_manifest, read_signed_manifest
from content_packs.signing import generate_keypair
from content_packs.testing import make_pack, png_bytes

WHEN = datetime(2025, 5, 12, 8, 0, tzinfo=UTC)


@pytest.fixture
def keys(tmp_path):
    return generate_keypair(tmp_path / "keys" / "district")


def test_build_verify_extract_round_trip(tmp_path, keys):
    private, public = keys
    src = make_pack(tmp_path / "src")
    kpack = build_pack(src, private, tmp_path / "out", created=WHEN)
    assert kpack.name == kpack_name("test-pack", "1.0.0") == "test-pack-1.0.0.kpack"

    manifest = verify_kpack(kpack, [public])
    assert (manifest.id, manifest.version, manifest.created) == ("test-pack", "1.0.0", "2025-05-12T08:00:00Z")
    assert [f.path for f in manifest.files] == sorted(
        p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file()
    )
    assert manifest.signer is not None

    extract_kpack(kpack, tmp_path / "stage", [public])
    for entry in manifest.files:
        assert (tmp_path / "stage" / entry.path).read_bytes() == (src / entry.path).read_bytes()
    assert load_pack(tmp_path / "stage").title.en == "Test exhibit"


def test_build_is_reproducible(tmp_path, keys):
    src = make_pack(tmp_path / "src")
    a = build_pack(src, keys[0], tmp_path / "a.kpack", created=WHEN)
    b = build_pack(src, keys[0], tmp_path / "b.kpack", created=WHEN)
    assert a.read_bytes() == b.read_bytes()


def test_manifest_is_canonical_json_with_sha256(tmp_path, keys):
    kpack = build_pack(make_pack(tmp_path / "src"), keys[0], tmp_path / "p.kpack", created=WHEN)
    with zipfile.ZipFile(kpack) as zf:
        data = zf.read("manifest.json")
        sig = json.loads(zf.read("manifest.sig"))
    doc = json.loads(data)
    assert set(doc) == {"format", "id", "version", "title", "topic", "created", "files"}
    assert all(set(f) == {"path", "size", "sha256"} for f in doc["files"])
    assert sig["alg"] == "ed25519" and len(sig["key_id"]) == 64
    manifest = parse_manifest(data)
    assert manifest.to_bytes() == data
    import hashlib

    assert manifest.sha256 == hashlib.sha256(data).hexdigest()


def test_non_canonical_manifest_refused(tmp_path, keys):
    kpack = build_pack(make_pack(tmp_path / "src"), keys[0], tmp_path / "p.kpack", created=WHEN)
    data = zipfile.ZipFile(kpack).read("manifest.json")
    pretty = json.dumps(json.loads(data), indent=2).encode()
    with pytest.raises(PackError, match="canonical"):
        parse_manifest(pretty)


def test_read_signed_manifest_as_fetched_over_http(tmp_path, keys):
    """The agent's path: manifest.json + manifest.sig bytes, checked before any blob is fetched."""
    private, public = keys
    kpack = build_pack(make_pack(tmp_path / "src"), private, tmp_path / "p.kpack", created=WHEN)
    with zipfile.ZipFile(kpack) as zf:
        data, sig = zf.read("manifest.json"), zf.read("manifest.sig")
    manifest = read_signed_manifest(data, sig, [public])
    assert manifest.sha256 == read_kpack_manifest(kpack).sha256
    read_signed_manifest(data, sig, [public], expected_sha256=manifest.sha256)
    with pytest.raises(PackError, match="manifest_sha256"):
        read_signed_manifest(data, sig, [public], expected_sha256="0" * 64)
    with pytest.raises(SignatureError, match="not signed"):
        read_signed_manifest(data, b"", [public])
    with pytest.raises(SignatureError, match="unknown key"):
        read_signed_manifest(data, sig, [Ed25519PrivateKey.generate().public_key()])
    with pytest.raises(DowngradeError, match=r"not newer than the installed 1\.0\.0"):
        read_signed_manifest(data, sig, [public], installed_version="1.0.0")


def test_several_trusted_keys(tmp_path, keys):
    other = generate_keypair(tmp_path / "keys" / "city")
    kpack = build_pack(make_pack(tmp_path / "src"), other[0], tmp_path / "p.kpack")
    assert verify_kpack(kpack, [keys[1], other[1]]).id == "test-pack"


def test_changing_one_image_shares_every_other_blob(tmp_path, keys):
    src = make_pack(tmp_path / "src")
    old = verify_kpack(build_pack(src, keys[0], tmp_path / "old.kpack"), [keys[1]])
    (src / "media" / "slide2.png").write_bytes(png_bytes(64, 36, (10, 20, 30)))
    text = (src / "pack.toml").read_text(encoding="utf-8").replace('version = "1.0.0"', 'version = "1.0.1"')
    (src / "pack.toml").write_text(text, encoding="utf-8")
    new = verify_kpack(build_pack(src, keys[0], tmp_path / "new.kpack"), [keys[1]], installed_version="1.0.0")
    old_files = {f.path: f.sha256 for f in old.files}
    new_files = {f.path: f.sha256 for f in new.files}
    changed = {p for p in new_files if new_files[p] != old_files[p]}
    assert changed == {"media/slide2.png", "pack.toml"}
    assert len(old.blobs & new.blobs) == len(new.blobs) - 2


def test_build_refuses_an_invalid_pack(tmp_path, keys):
    src = make_pack(tmp_path / "src")
    (src / "media" / "room.png").unlink()
    with pytest.raises(PackError, match="does not exist"):
        build_pack(src, keys[0], tmp_path / "p.kpack")
    assert list(tmp_path.glob("*.kpack")) == [] and list(tmp_path.glob(".building-*")) == []


def test_inspect_without_keys_reads_the_manifest(tmp_path, keys):
    kpack = build_pack(make_pack(tmp_path / "src"), keys[0], tmp_path / "p.kpack")
    manifest = read_kpack_manifest(kpack)
    assert manifest.signer is None and manifest.total_size == sum(f.size for f in manifest.files)


@pytest.mark.parametrize(
    ("a", "b", "order"),
    [
        ("1.0.0", "1.0.0", 0),
        ("1.0.1", "1.0.0", 1),
        ("1.10.0", "1.9.0", 1),
        ("2.0.0", "10.0.0", -1),
        ("1.0.0-rc.1", "1.0.0", -1),
        ("1.0.0-rc.2", "1.0.0-rc.10", -1),
        ("1.0.0-alpha", "1.0.0-1", 1),
        ("1.0.0+build.5", "1.0.0", 0),
    ],
)
def test_semver_order(a, b, order):
    assert compare_versions(a, b) == order
