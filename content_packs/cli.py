"""`kepu-pack`: author, build, sign and check content packs. A thin shell over the library."""

from __future__ import annotations

import argparse
import json
import os
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from content_packs.archive import SIGNATURE_NAME, build_pack, read_kpack_manifest, verify_kpack
from content_packs.errors import PackError
from content_packs.loader import load_pack, pack_warnings
from content_packs.safety import scan_source
from content_packs.signing import generate_keypair, key_id, load_public_key, public_key_base64

if TYPE_CHECKING:
    from rich.progress import TaskID

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the kepu-pack console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except PackError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `kepu-pack inspect X | head`: the reader left; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed so tests can walk every subcommand)."""
    parser = argparse.ArgumentParser(
        prog="kepu-pack",
        description="Author, build, sign and check kepu content packs. See docs/packs.md.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "keygen",
        help="make an Ed25519 signing key pair",
        description="Write PREFIX.key (private, keep it secret) and PREFIX.pub (give it to exhibits).",
    )
    p.add_argument("--out", required=True, metavar="PREFIX", help="path prefix, e.g. keys/district")
    p.set_defaults(run=_keygen)

    p = sub.add_parser(
        "validate",
        help="check a pack folder",
        description="Check pack.toml, every referenced file and the folder's safety; list every problem.",
    )
    p.add_argument("dir", metavar="DIR", type=Path, help="the pack folder (with pack.toml)")
    p.set_defaults(run=_validate)

    p = sub.add_parser(
        "build",
        help="validate, then build and sign NAME-VERSION.kpack",
        description="Validate a pack folder and write a signed .kpack.",
    )
    p.add_argument("dir", metavar="DIR", type=Path, help="the pack folder (with pack.toml)")
    p.add_argument("--key", required=True, type=Path, metavar="PREFIX.key", help="private key from `kepu-pack keygen`")
    p.add_argument(
        "-o", "--out", type=Path, metavar="FILE.kpack", help="output file or folder (default: ./ID-VERSION.kpack)"
    )
    p.set_defaults(run=_build)

    p = sub.add_parser(
        "verify",
        help="check a .kpack's signature and every file",
        description="Exit 0 if the pack is signed by a trusted key and intact; otherwise print why and exit 1.",
    )
    p.add_argument("kpack", metavar="FILE.kpack", type=Path)
    p.add_argument(
        "--trust",
        action="append",
        required=True,
        type=Path,
        metavar="PREFIX.pub",
        help="a trusted public key; repeat for several",
    )
    p.add_argument("--installed", metavar="VERSION", help="refuse unless the pack is newer than this installed version")
    p.set_defaults(run=_verify)

    p = sub.add_parser(
        "inspect",
        help="summarise a .kpack",
        description="Show what a .kpack holds. Does not check the signature unless --trust is given.",
    )
    p.add_argument("kpack", metavar="FILE.kpack", type=Path)
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.add_argument(
        "--trust", action="append", type=Path, metavar="PREFIX.pub", help="also check the signature against this key"
    )
    p.set_defaults(run=_inspect)
    return parser


# -- subcommands ---------------------------------------------------------------


def _keygen(args: argparse.Namespace) -> int:
    private_path, public_path = generate_keypair(args.out)
    public = load_public_key(public_path)
    print(f"private key: {private_path}  (keep secret; never copy to an exhibit)")
    print(f"public key:  {public_path}")
    print(f"key id:      {key_id(public)}")
    print(f"base64:      {public_key_base64(public)}")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    pack = load_pack(args.dir)
    files = scan_source(args.dir)
    size = sum(path.stat().st_size for _, path in files)
    kinds = ", ".join(f"{s.id} ({s.type})" for s in pack.scenes)
    print(f"ok: {pack.id} {pack.version} — {pack.title.zh} / {pack.title.en}")
    print(f"    {len(pack.scenes)} scenes: {kinds}")
    if pack.signage is not None:
        parts = ", ".join(f"{d.id} {d.start}–{d.end} ({len(d.items)} items)" for d in pack.signage.dayparts)
        print(
            f"    signage ({pack.signage.timezone}): {len(pack.signage.items)} all-day items"
            + (f"; dayparts: {parts}" if parts else "")
            + ("; touch to explore" if pack.signage.explore else "")
        )
    print(f"    {len(files)} files, {_mb(size)}")
    if pack.goal is None:
        print("    note: no goal scene; completion rates cannot be reported for this pack")
    for warning in pack_warnings(args.dir):
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK


def _build(args: argparse.Namespace) -> int:
    with _progress() as progress:
        out = build_pack(args.dir, args.key, args.out, progress=progress)
    manifest = read_kpack_manifest(out)
    print(f"built {out} ({len(manifest.files)} files, {_mb(manifest.total_size)})")
    print(f"manifest_sha256 {manifest.sha256}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    with _progress() as progress:
        manifest = verify_kpack(args.kpack, args.trust, installed_version=args.installed, progress=progress)
    print(f"ok: {manifest.id} {manifest.version}, {len(manifest.files)} files intact, signed by {manifest.signer}")
    return EXIT_OK


def _inspect(args: argparse.Namespace) -> int:
    if args.trust:
        manifest = read_kpack_manifest(args.kpack, args.trust)
        signer = f"{manifest.signer} (trusted)"
    else:
        manifest = read_kpack_manifest(args.kpack)
        signer = f"{_claimed_signer(args.kpack) or 'unsigned'} (not checked; use verify --trust)"
    if args.json:
        doc = manifest.to_json() | {"manifest_sha256": manifest.sha256, "total_size": manifest.total_size}
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{manifest.id} {manifest.version} — {manifest.title.zh} / {manifest.title.en}")
    print(f"topic:    {manifest.topic}")
    print(f"created:  {manifest.created}")
    print(f"signer:   {signer}")
    print(f"manifest: {manifest.sha256}")
    print(f"files:    {len(manifest.files)}, {_mb(manifest.total_size)}")
    for entry in manifest.files:
        print(f"  {entry.size:>12,}  {entry.sha256[:12]}  {entry.path}")
    return EXIT_OK


# -- helpers -------------------------------------------------------------------


def _claimed_signer(path: Path) -> str | None:
    """The key id a .kpack claims to be signed by (for display only)."""
    try:
        with zipfile.ZipFile(path) as zf:
            doc = json.loads(zf.read(SIGNATURE_NAME)[:4096])
        return str(doc.get("key_id"))
    except (KeyError, ValueError, zipfile.BadZipFile, AttributeError):
        return None


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


class _RichProgress:
    """Adapts content_packs.progress.Progress to a rich progress bar on stderr."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> _RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def start(self, total: int, description: str) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(description, total=total)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._bar.advance(self._task, amount)


class _Quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        pass


def _progress() -> _RichProgress | _Quiet:
    """A progress bar on an interactive terminal; nothing when piped or in tests."""
    return _RichProgress() if sys.stderr.isatty() else _Quiet()


if __name__ == "__main__":
    sys.exit(main())
