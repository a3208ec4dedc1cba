"""The signed manifest of a built pack: every file's path, size and sha256, as canonical JSON."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from content_packs.errors import DowngradeError, PackError, UnsafePackError
from content_packs.model import Text
from content_packs.safety import DEFAULT_LIMITS, Limits, check_pack_path, check_unique_paths
from content_packs.signing import KeyLike, check_signature

FORMAT = 1
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


@dataclass(frozen=True)
class FileEntry:
    """One file of a pack, named by its path and identified by its content."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What a built pack contains; its canonical JSON bytes are what gets signed."""

    id: str
    version: str
    title: Text
    topic: str
    created: str  # ISO 8601 UTC, e.g. 2025-05-12T08:00:00Z
    files: tuple[FileEntry, ...]
    signer: str | None = None  # key id, filled in once a signature has been checked

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def blobs(self) -> set[str]:
        """Every distinct sha256 the pack needs."""
        return {f.sha256 for f in self.files}

    def to_json(self) -> dict[str, Any]:
        """The manifest as a JSON-ready dict (the shape of `kepu-pack inspect --json`)."""
        return {
            "format": FORMAT,
            "id": self.id,
            "version": self.version,
            "title": {"zh": self.title.zh, "en": self.title.en},
            "topic": self.topic,
            "created": self.created,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }

    def to_bytes(self) -> bytes:
        """Canonical JSON: sorted keys, no spaces, UTF-8, one trailing newline."""
        return canonical_json(self.to_json())

    @property
    def sha256(self) -> str:
        """manifest_sha256: what the controller's desired state names the pack by."""
        return hashlib.sha256(self.to_bytes()).hexdigest()


def canonical_json(doc: Any) -> bytes:
    """Serialise so that equal manifests always give equal bytes (and equal hashes)."""
    return (json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def parse_manifest(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Manifest:
    """Parse and check manifest.json bytes (not the signature); raise PackError with the reason."""
    if len(data) > limits.max_manifest:
        raise UnsafePackError(f"manifest.json is {len(data):,} bytes, over the {limits.max_manifest:,}-byte cap")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackError(f"manifest.json is not valid UTF-8 JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise PackError("manifest.json is not a JSON object")
    if doc.get("format") != FORMAT:
        raise PackError(f"manifest.json format {doc.get('format')!r} is not supported (expected {FORMAT})")
    try:
        title = doc["title"]
        manifest = Manifest(
            id=_str(doc, "id"),
            version=_str(doc, "version"),
            title=Text(zh=_str(title, "zh"), en=_str(title, "en")),
            topic=_str(doc, "topic"),
            created=_str(doc, "created"),
            files=tuple(_entry(f, limits) for f in doc["files"]),
        )
    except (KeyError, TypeError) as exc:
        raise PackError(f"manifest.json is missing or has a wrong field ({exc})") from exc
    if not SEMVER.match(manifest.version):
        raise PackError(f"manifest version {manifest.version!r} is not a semantic version")
    if len(manifest.files) > limits.max_entries:
        raise UnsafePackError(f"the manifest lists {len(manifest.files)} files, over the {limits.max_entries}-file cap")
    check_unique_paths([f.path for f in manifest.files])
    if manifest.total_size > limits.max_total:
        raise UnsafePackError(
            f"the pack is {manifest.total_size:,} bytes, over the {limits.max_total:,}-byte total cap"
        )
    if "pack.toml" not in {f.path for f in manifest.files}:
        raise PackError("the manifest does not list pack.toml")
    # Only canonical bytes are accepted, so manifest.sha256 always equals the hash of what was signed.
    if manifest.to_bytes() != data:
        raise PackError("manifest.json is not in canonical form (re-encoded or hand-edited)")
    return manifest


def read_signed_manifest(
    data: bytes,
    sig: bytes | None,
    trusted_keys: Iterable[KeyLike],
    installed_version: str | None = None,
    expected_sha256: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Manifest:
    """Check a manifest fetched over HTTP: signature first, then content; raise PackError with the reason."""
    if expected_sha256 is not None and hashlib.sha256(data).hexdigest() != expected_sha256:
        raise PackError("manifest.json does not have the manifest_sha256 the controller announced")
    # The signature is checked before parsing, so untrusted bytes never reach the parser's logic.
    signer = check_signature(data, sig, trusted_keys)
    manifest = parse_manifest(data, limits)
    check_not_downgrade(manifest.version, installed_version)
    return replace(manifest, signer=signer)


def check_not_downgrade(candidate: str, installed: str | None) -> None:
    """Refuse a version that is not newer than the installed one."""
    if installed is None:
        return
    if compare_versions(candidate, installed) <= 0:
        raise DowngradeError(f"version {candidate} is not newer than the installed {installed}; refusing to downgrade")


def compare_versions(a: str, b: str) -> int:
    """Semantic-version order: -1, 0 or 1 (build metadata ignored, pre-releases sort first)."""
    ka, kb = _version_key(a), _version_key(b)
    return (ka > kb) - (ka < kb)


def _version_key(version: str) -> tuple[Any, ...]:
    match = SEMVER.match(version)
    if not match:
        raise PackError(f"{version!r} is not a semantic version")
    major, minor, patch, pre = match.groups()
    if pre is None:
        pre_key: tuple[Any, ...] = (1,)
    else:
        # Numeric identifiers sort below alphanumeric ones (semver §11).
        pre_key = (0, *((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")))
    return (int(major), int(minor), int(patch), pre_key)


def _str(table: Any, key: str) -> str:
    value = table[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} must be text")
    return value


def _entry(raw: Any, limits: Limits) -> FileEntry:
    if not isinstance(raw, dict) or set(raw) != {"path", "size", "sha256"}:
        raise TypeError("each file needs exactly path, size and sha256")
    path = check_pack_path(raw["path"])
    size, sha = raw["size"], raw["sha256"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise TypeError(f"{path}: size must be a non-negative integer")
    if size > limits.max_file:
        raise UnsafePackError(f"{path} is {size:,} bytes, over the {limits.max_file:,}-byte file cap")
    if not isinstance(sha, str) or not _SHA256.match(sha):
        raise TypeError(f"{path}: sha256 must be 64 lowercase hex digits")
    return FileEntry(path=path, size=size, sha256=sha)
