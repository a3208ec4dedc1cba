"""Key files: generate, load PEM or base64, identify by key id."""

from __future__ import annotations

import stat

import pytest

from content_packs.errors import PackError, SignatureError
from content_packs.signing import (
    check_signature,
    generate_keypair,
    key_id,
    load_private_key,
    load_public_key,
    public_key_base64,
    sign,
)


def test_keygen_writes_pem_files_with_private_mode(tmp_path):
    private, public = generate_keypair(tmp_path / "k" / "museum")
    assert private.name == "museum.key" and public.name == "museum.pub"
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert key_id(load_private_key(private)) == key_id(load_public_key(public))


def test_keygen_never_overwrites(tmp_path):
    generate_keypair(tmp_path / "k")
    with pytest.raises(PackError, match="already exists"):
        generate_keypair(tmp_path / "k")


def test_public_key_as_one_line_of_base64(tmp_path):
    _private, public = generate_keypair(tmp_path / "k")
    line = tmp_path / "k.b64"
    line.write_text(public_key_base64(load_public_key(public)) + "\n")
    assert key_id(load_public_key(line)) == key_id(load_public_key(public))


@pytest.mark.parametrize("content", [b"hello", b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----", b"AAAA"])
def test_bad_public_key_files(tmp_path, content):
    bad = tmp_path / "bad.pub"
    bad.write_bytes(content)
    with pytest.raises(PackError):
        load_public_key(bad)


def test_missing_key_file(tmp_path):
    with pytest.raises(PackError, match="cannot read"):
        load_private_key(tmp_path / "none.key")


def test_sign_and_check(tmp_path):
    private, public = generate_keypair(tmp_path / "k")
    sig = sign(b"manifest", load_private_key(private))
    assert check_signature(b"manifest", sig, [public]) == key_id(load_public_key(public))
    with pytest.raises(SignatureError, match="does not match"):
        check_signature(b"manifesT", sig, [public])
