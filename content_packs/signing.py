"""Ed25519 keys and signatures for pack manifests.

Key files (documented in docs/packs.md):
- `NAME.key` — the private key, PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), unencrypted,
  written with mode 0600. Keep it off exhibits and out of git.
- `NAME.pub` — the public key, SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
  A raw 32-byte key written as one line of base64 is accepted too, so a key can be pasted
  into a config file.

A signature file (`manifest.sig`) is JSON: `{"v": 1, "alg": "ed25519", "key_id": HEX,
"sig": BASE64}` where key_id is the sha256 of the raw 32-byte public key, and sig signs the
exact bytes of manifest.json.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from content_packs.errors import PackError, SignatureError

KeyLike = Ed25519PublicKey | str | Path | bytes


def generate_keypair(prefix: str | Path) -> tuple[Path, Path]:
    """Write a new Ed25519 key pair to PREFIX.key (0600) and PREFIX.pub; refuse to overwrite."""
    prefix = Path(prefix)
    private_path = prefix.with_name(prefix.name + ".key")
    public_path = prefix.with_name(prefix.name + ".pub")
    for path in (private_path, public_path):
        if path.exists():
            raise PackError(f"{path} already exists; not overwriting a key")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    prefix.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL and 0600 from the start: the private key is never readable by others, even briefly.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_pem)
    public_path.write_bytes(public_pem)
    return private_path, public_path


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """Read a PEM (PKCS#8) Ed25519 private key file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PackError(f"cannot read private key {path}: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise PackError(f"{path} is not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise PackError(f"{path} is not an Ed25519 key")
    return key


def parse_public_key(data: bytes, source: str = "public key") -> Ed25519PublicKey:
    """Parse a public key from PEM or one line of base64 holding the raw 32 bytes."""
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text)
        except ValueError as exc:
            raise PackError(f"{source} is not a PEM public key ({exc})") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise PackError(f"{source} is not an Ed25519 key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise PackError(f"{source} is neither PEM nor base64") from exc
    if len(raw) != 32:
        raise PackError(f"{source} is {len(raw)} bytes of base64; an Ed25519 key is 32")
    return Ed25519PublicKey.from_public_bytes(raw)


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """Read a public key file (PEM or base64 raw key)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PackError(f"cannot read public key {path}: {exc.strerror}") from exc
    return parse_public_key(data, str(path))


def public_key_base64(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key as base64 (the one-line form for config files)."""
    return base64.b64encode(_raw(key)).decode("ascii")


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """sha256 (hex) of the raw public key: names the signer without revealing anything."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return hashlib.sha256(_raw(public)).hexdigest()


def trusted_keyring(keys: Iterable[KeyLike]) -> dict[str, Ed25519PublicKey]:
    """Turn keys, key files or key bytes into {key_id: key}."""
    ring: dict[str, Ed25519PublicKey] = {}
    for item in keys:
        if isinstance(item, Ed25519PublicKey):
            key = item
        elif isinstance(item, bytes):
            key = parse_public_key(item)
        else:
            key = load_public_key(item)
        ring[key_id(key)] = key
    return ring


def sign(manifest_bytes: bytes, key: Ed25519PrivateKey) -> bytes:
    """Return the manifest.sig bytes for exactly these manifest bytes."""
    doc = {
        "v": 1,
        "alg": "ed25519",
        "key_id": key_id(key),
        "sig": base64.b64encode(key.sign(manifest_bytes)).decode("ascii"),
    }
    return (json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n").encode("ascii")


def check_signature(manifest_bytes: bytes, sig_bytes: bytes | None, trusted: Iterable[KeyLike]) -> str:
    """Verify manifest.sig against trusted keys; return the signer's key id or raise SignatureError."""
    ring = trusted_keyring(trusted)
    if not ring:
        raise SignatureError("no trusted keys given; cannot check the signature")
    if not sig_bytes:
        raise SignatureError("the pack is not signed (no manifest.sig)")
    try:
        doc = json.loads(sig_bytes)
        if not isinstance(doc, dict) or doc.get("alg") != "ed25519" or doc.get("v") != 1:
            raise ValueError("not a v1 ed25519 signature")
        signer = doc["key_id"]
        signature = base64.b64decode(doc["sig"], validate=True)
        if not isinstance(signer, str):
            raise ValueError("key_id is not text")
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise SignatureError(f"manifest.sig is malformed ({exc})") from exc
    key = ring.get(signer)
    if key is None:
        raise SignatureError(f"signed by an unknown key {signer[:16]}…; it is not in the trusted keys")
    try:
        key.verify(signature, manifest_bytes)
    except InvalidSignature as exc:
        raise SignatureError(
            "the signature does not match the manifest (tampered manifest or wrong signature)"
        ) from exc
    return signer


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
