"""Hostile packs, crafted here byte by byte: each is refused with a clear reason and writes nothing outside staging."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from content_packs.archive import build_pack, extract_kpack, verify_kpack
from content_packs.errors import DowngradeError, IntegrityError, PackError, SignatureError, UnsafePackError
from content_packs.manifest import FileEntry, Manifest
from content_packs.model import Text
from content_packs.safety import Limits, scan_source
from content_packs.signing import sign
from content_packs.testing import make_pack

KEY = Ed25519PrivateKey.generate()
TRUSTED = [KEY.public_key()]


@pytest.fixture
def pack_files(tmp_path) -> dict[str, bytes]:
    """The files of a valid pack, as {path: bytes}: the raw material for crafted archives."""
    root = make_pack(tmp_path / "src")
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def manifest_bytes(files: dict[str, bytes], version: str = "1.0.0") -> bytes:
    entries = tuple(FileEntry(p, len(d), hashlib.sha256(d).hexdigest()) for p, d in sorted(files.items()))
    manifest = Manifest("test-pack", version, Text("测试", "Test"), "emergency", "2025-05-12T00:00:00Z", entries)
    return manifest.to_bytes()


def zip_entry(name: str, mode: int = stat.S_IFREG | 0o644, method: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = mode << 16
    info.create_system = 3
    info.compress_type = method
    return info


def craft(
    path: Path,
    files: dict[str, bytes],
    *,
    listed: dict[str, bytes] | None = None,
    entries: list[tuple[zipfile.ZipInfo, bytes]] | None = None,
    manifest: bytes | None = None,
    sig: bytes | bool | None = True,
    key: Ed25519PrivateKey = KEY,
    version: str = "1.0.0",
) -> Path:
    """Write a .kpack whose archive holds `files` but whose signed manifest lists `listed`."""
    data = manifest if manifest is not None else manifest_bytes(listed if listed is not None else files, version)
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in files.items():
            zf.writestr(zip_entry("files/" + name), content)
        for info, content in entries or []:
            zf.writestr(info, content)
        zf.writestr(zip_entry("manifest.json"), data)
        if sig is True:
            zf.writestr(zip_entry("manifest.sig"), sign(data, key))
        elif sig:
            zf.writestr(zip_entry("manifest.sig"), sig)
    return path


def snapshot(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def assert_refused(tmp_path: Path, kpack: Path, error: type[PackError], match: str, **kwargs) -> None:
    """Both verify and extract refuse, and the filesystem around staging is left exactly as it was."""
    (tmp_path / "stage").mkdir(exist_ok=True)
    before = snapshot(tmp_path)
    with pytest.raises(error, match=match):
        verify_kpack(kpack, kwargs.get("keys", TRUSTED), kwargs.get("installed"), limits=kwargs.get("limits", Limits()))
    staging = tmp_path / "stage" / "new"
    with pytest.raises(error, match=match):
        extract_kpack(
            kpack, staging, kwargs.get("keys", TRUSTED), kwargs.get("installed"), limits=kwargs.get("limits", Limits())
        )
    assert not staging.exists()
    assert snapshot(tmp_path) == before


def test_the_crafting_helper_makes_a_valid_pack(tmp_path, pack_files):
    kpack = craft(tmp_path / "ok.kpack", pack_files)
    assert verify_kpack(kpack, TRUSTED).id == "test-pack"
    extract_kpack(kpack, tmp_path / "stage", TRUSTED)
    assert (tmp_path / "stage" / "pack.toml").read_bytes() == pack_files["pack.toml"]


# -- path escapes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("../evil.txt", "escapes"),
        ("media/../../evil.txt", "escapes"),
        ("/tmp/kepu-evil-absolute.txt", "absolute"),
        ("media\\..\\..\\evil.txt", "backslash"),
        ("C:/evil.txt", "absolute"),
        ("c:evil.txt", "absolute"),
    ],
)
def test_path_escape_refused(tmp_path, pack_files, name, match):
    files = pack_files | {name: b"pwned"}
    kpack = craft(tmp_path / "evil.kpack", files)
    assert_refused(tmp_path, kpack, UnsafePackError, match)
    assert not Path("/tmp/kepu-evil-absolute.txt").exists()


def test_entry_outside_files_folder_refused(tmp_path, pack_files):
    kpack = craft(tmp_path / "evil.kpack", pack_files, entries=[(zip_entry("../../evil.txt"), b"x")])
    assert_refused(tmp_path, kpack, UnsafePackError, "outside files/")


# -- links and special files ---------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "match"),
    [
        (stat.S_IFLNK | 0o777, "symbolic link"),
        (stat.S_IFCHR | 0o644, "not a regular file"),
        (stat.S_IFBLK | 0o644, "not a regular file"),
        (stat.S_IFIFO | 0o644, "not a regular file"),
        (stat.S_IFDIR | 0o755, "folder entry|not a regular file"),
    ],
)
def test_link_and_device_entries_refused(tmp_path, pack_files, mode, match):
    name = "media/link.png" + ("/" if stat.S_ISDIR(mode) else "")
    listed = pack_files | {"media/link.png": b"/etc/passwd"}
    kpack = craft(
        tmp_path / "evil.kpack", pack_files, listed=listed, entries=[(zip_entry("files/" + name, mode), b"/etc/passwd")]
    )
    assert_refused(tmp_path, kpack, UnsafePackError, match)


def test_duplicate_entries_refused(tmp_path, pack_files):
    # Zip has no hard links; two entries with one name are its nearest trick (readers disagree on which wins).
    kpack = tmp_path / "dup.kpack"
    with pytest.warns(UserWarning, match="Duplicate name"):
        craft(kpack, pack_files, entries=[(zip_entry("files/pack.toml"), b"id = 'other'")])
    assert_refused(tmp_path, kpack, UnsafePackError, "appears twice")


def test_names_equal_but_for_case_refused(tmp_path, pack_files):
    files = pack_files | {"MEDIA/attract.png": pack_files["media/attract.png"]}
    assert_refused(tmp_path, craft(tmp_path / "case.kpack", files), UnsafePackError, "only by case")


def test_tar_with_hard_link_is_not_a_kpack(tmp_path, pack_files):
    kpack = tmp_path / "hardlink.kpack"
    with tarfile.open(kpack, "w") as tar:
        info = tarfile.TarInfo("files/pack.toml")
        info.type = tarfile.LNKTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    assert_refused(tmp_path, kpack, PackError, "not a .kpack")


def test_garbage_is_not_a_kpack(tmp_path):
    kpack = tmp_path / "junk.kpack"
    kpack.write_bytes(os.urandom(4096))
    assert_refused(tmp_path, kpack, PackError, "not a .kpack")


# -- sizes and bombs -----------------------------------------------------------------


def test_file_over_size_cap_refused(tmp_path, pack_files):
    files = pack_files | {"media/big.bin": os.urandom(5000)}
    kpack = craft(tmp_path / "big.kpack", files)
    assert_refused(tmp_path, kpack, UnsafePackError, "over the 4,000-byte file cap", limits=Limits(max_file=4000))


def test_total_over_size_cap_refused(tmp_path, pack_files):
    files = pack_files | {f"media/part{i}.bin": os.urandom(3000) for i in range(5)}
    kpack = craft(tmp_path / "total.kpack", files)
    assert_refused(tmp_path, kpack, UnsafePackError, "total cap", limits=Limits(max_total=10_000))


def test_too_many_entries_refused(tmp_path, pack_files):
    files = pack_files | {f"media/n{i}.txt": b"x" for i in range(20)}
    kpack = craft(tmp_path / "many.kpack", files)
    assert_refused(tmp_path, kpack, UnsafePackError, "entries, over the 10-file cap", limits=Limits(max_entries=10))


def test_compression_bomb_refused(tmp_path, pack_files):
    files = pack_files | {"media/zeros.bin": bytes(8 * 1024 * 1024)}
    kpack = craft(tmp_path / "bomb.kpack", files)
    assert_refused(tmp_path, kpack, UnsafePackError, "zip bomb")


@pytest.mark.parametrize("lie", [-100, +100])
def test_declared_size_lie_refused(tmp_path, pack_files, lie):
    """The central directory and the manifest agree on a size the data does not have."""
    real = pack_files["pack.toml"]
    kpack = tmp_path / "lie.kpack"
    declared = len(real) + lie
    # Sign a manifest whose size matches the lie, so only the data betrays it.
    data = manifest_bytes(pack_files).replace(
        f'"path":"pack.toml","sha256":"{hashlib.sha256(real).hexdigest()}","size":{len(real)}'.encode(),
        f'"path":"pack.toml","sha256":"{hashlib.sha256(real).hexdigest()}","size":{declared}'.encode(),
    )
    assert data != manifest_bytes(pack_files)
    with zipfile.ZipFile(kpack, "w") as zf:
        for name, content in pack_files.items():
            zf.writestr(zip_entry("files/" + name), content)
        zf.infolist()[-1].file_size = declared  # patched before close: the central directory lies
        zf.writestr(zip_entry("manifest.json"), data)
        zf.writestr(zip_entry("manifest.sig"), sign(data, KEY))
    assert_refused(tmp_path, kpack, IntegrityError, "corrupt|declared|manifest says|sha256")


# -- signatures ----------------------------------------------------------------------


def test_unsigned_refused(tmp_path, pack_files):
    assert_refused(tmp_path, craft(tmp_path / "u.kpack", pack_files, sig=None), SignatureError, "not signed")


def test_unknown_key_refused(tmp_path, pack_files):
    kpack = craft(tmp_path / "k.kpack", pack_files, key=Ed25519PrivateKey.generate())
    assert_refused(tmp_path, kpack, SignatureError, "unknown key")


def test_malformed_signature_refused(tmp_path, pack_files):
    kpack = craft(tmp_path / "m.kpack", pack_files, sig=b'{"v": 1, "alg": "rsa"}')
    assert_refused(tmp_path, kpack, SignatureError, "malformed")


def test_signature_from_trusted_key_over_other_bytes_refused(tmp_path, pack_files):
    forged = sign(manifest_bytes(pack_files, "9.9.9"), KEY)
    kpack = craft(tmp_path / "f.kpack", pack_files, sig=forged)
    assert_refused(tmp_path, kpack, SignatureError, "does not match")


def test_no_trusted_keys_refused(tmp_path, pack_files):
    assert_refused(tmp_path, craft(tmp_path / "n.kpack", pack_files), SignatureError, "no trusted keys", keys=[])


# -- tampering -----------------------------------------------------------------------


def test_tampered_file_refused(tmp_path, pack_files):
    tampered = dict(pack_files)
    toml = tampered["pack.toml"]
    tampered["pack.toml"] = toml.replace(b"Touch to start", b"Touch to pwn!!")  # same length
    kpack = craft(tmp_path / "t.kpack", tampered, listed=pack_files)
    assert_refused(tmp_path, kpack, IntegrityError, "pack.toml does not match its sha256")


def test_tampered_manifest_refused(tmp_path, pack_files):
    good = manifest_bytes(pack_files)
    kpack = craft(tmp_path / "t.kpack", pack_files, manifest=good.replace(b'"1.0.0"', b'"1.0.1"'), sig=sign(good, KEY))
    assert_refused(tmp_path, kpack, SignatureError, "does not match")


def test_extra_unsigned_file_refused(tmp_path, pack_files):
    kpack = craft(tmp_path / "x.kpack", pack_files | {"media/extra.png": b"x"}, listed=pack_files)
    assert_refused(tmp_path, kpack, UnsafePackError, "not in the signed manifest")


def test_missing_file_refused(tmp_path, pack_files):
    files = {k: v for k, v in pack_files.items() if k != "media/room.png"}
    kpack = craft(tmp_path / "m.kpack", files, listed=pack_files)
    assert_refused(tmp_path, kpack, IntegrityError, "missing from the archive")


def test_signed_but_invalid_pack_refused_at_extract(tmp_path, pack_files):
    """A correctly signed pack whose pack.toml is broken still never reaches the kiosk."""
    files = pack_files | {"pack.toml": pack_files["pack.toml"].replace(b'type = "quiz"', b'type = "hologram"')}
    kpack = craft(tmp_path / "bad.kpack", files)
    verify_kpack(kpack, TRUSTED)  # intact and signed…
    with pytest.raises(PackError, match="unknown scene type"):
        extract_kpack(kpack, tmp_path / "stage", TRUSTED)  # …but not playable
    assert not (tmp_path / "stage").exists()


def test_manifest_id_must_match_pack_toml(tmp_path, pack_files):
    files = pack_files | {"pack.toml": pack_files["pack.toml"].replace(b'id = "test-pack"', b'id = "other-pack"')}
    with pytest.raises(PackError, match="signed manifest says test-pack"):
        extract_kpack(craft(tmp_path / "id.kpack", files), tmp_path / "stage", TRUSTED)


# -- versions ------------------------------------------------------------------------


@pytest.mark.parametrize("installed", ["1.0.0", "1.2.0", "2.0.0-rc.1"])
def test_downgrade_refused(tmp_path, pack_files, installed):
    kpack = craft(tmp_path / "d.kpack", pack_files)
    assert_refused(tmp_path, kpack, DowngradeError, "not newer", installed=installed)


def test_upgrade_accepted(tmp_path, pack_files):
    kpack = craft(tmp_path / "up.kpack", pack_files)
    assert verify_kpack(kpack, TRUSTED, installed_version="1.0.0-beta.2").version == "1.0.0"


# -- staging -------------------------------------------------------------------------


def test_staging_must_be_new_or_empty(tmp_path, pack_files):
    kpack = craft(tmp_path / "ok.kpack", pack_files)
    (tmp_path / "stage").mkdir()
    (tmp_path / "stage" / "keep.txt").write_text("mine")
    with pytest.raises(PackError, match="new or empty"):
        extract_kpack(kpack, tmp_path / "stage", TRUSTED)
    assert (tmp_path / "stage" / "keep.txt").read_text() == "mine"


def test_failed_extract_into_existing_empty_staging_leaves_it_empty(tmp_path, pack_files):
    tampered = pack_files | {"media/room.png": pack_files["media/room.png"][:-1] + b"\x00"}
    kpack = craft(tmp_path / "t.kpack", tampered, listed=pack_files)
    (tmp_path / "stage").mkdir()
    with pytest.raises(IntegrityError):
        extract_kpack(kpack, tmp_path / "stage", TRUSTED)
    assert list((tmp_path / "stage").iterdir()) == []


# -- the source folder at build time ---------------------------------------------------


def test_build_refuses_symlinked_file(tmp_path):
    root = make_pack(tmp_path / "src")
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", root / "media" / "notes.txt")
    with pytest.raises(UnsafePackError, match="symbolic link"):
        build_pack(root, KEY, tmp_path / "out.kpack")
    assert not (tmp_path / "out.kpack").exists()


def test_build_refuses_symlinked_folder(tmp_path):
    root = make_pack(tmp_path / "src")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", root / "audio")
    with pytest.raises(UnsafePackError, match="symbolic link"):
        scan_source(root)


def test_build_refuses_hard_link(tmp_path):
    root = make_pack(tmp_path / "src")
    os.link(root / "media" / "room.png", tmp_path / "room-copy.png")
    with pytest.raises(UnsafePackError, match="hard link"):
        build_pack(root, KEY, tmp_path / "out.kpack")


def test_build_refuses_fifo(tmp_path):
    root = make_pack(tmp_path / "src")
    os.mkfifo(root / "media" / "pipe")
    with pytest.raises(UnsafePackError, match="not a regular file"):
        scan_source(root)


def test_build_refuses_oversized_file(tmp_path):
    root = make_pack(tmp_path / "src")
    (root / "media" / "huge.bin").write_bytes(bytes(5000))
    with pytest.raises(UnsafePackError, match="file cap"):
        build_pack(root, KEY, tmp_path / "out.kpack", limits=Limits(max_file=4000))


def test_build_refuses_windows_unsafe_names(tmp_path):
    root = make_pack(tmp_path / "src")
    (root / "media" / "a\\b.png").write_bytes(b"x")
    with pytest.raises(UnsafePackError, match="backslash"):
        scan_source(root)


def test_build_skips_hidden_files_and_os_litter(tmp_path):
    root = make_pack(tmp_path / "src")
    (root / ".DS_Store").write_bytes(b"x")
    (root / "media" / "Thumbs.db").write_bytes(b"x")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("x")
    assert sorted(p for p, _ in scan_source(root)) == [
        "media/attract.png",
        "media/room.png",
        "media/slide1.png",
        "media/slide2.png",
        "pack.toml",
    ]


def test_kpack_bytes_written_by_build_are_a_real_zip(tmp_path):
    kpack = build_pack(make_pack(tmp_path / "src"), KEY, tmp_path / "out.kpack")
    names = zipfile.ZipFile(io.BytesIO(kpack.read_bytes())).namelist()
    assert names[-2:] == ["manifest.json", "manifest.sig"]
