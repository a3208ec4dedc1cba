"""Safety rules shared by build, verify and extract: safe paths, size caps, source scans."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from content_packs.errors import UnsafePackError

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile or careless pack from filling a Pi's SD card or memory."""

    max_file: int = 64 * MiB  # one file: a long narration track, a large image
    max_total: int = 1024 * MiB  # the whole pack
    max_entries: int = 5000  # files in one pack
    # Deflate reaches ~1000:1 on zeros; real pack content (PNG, OGG, TOML) stays far below 100:1.
    max_ratio: float = 100.0
    ratio_floor: int = 1 * MiB  # small files may compress extremely well without harm
    max_manifest: int = 4 * MiB  # manifest.json itself, read into memory


DEFAULT_LIMITS = Limits()

# Relative POSIX paths made of ordinary names; no empty, "." or ".." parts.
_SEGMENT = re.compile(r"^[^/\\:\x00-\x1f*?\"<>|]+$")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def check_pack_path(path: str) -> str:
    """Return `path` if it is a safe relative POSIX path inside a pack, else raise UnsafePackError."""
    if not isinstance(path, str) or not path:
        raise UnsafePackError(f"empty or non-text path {path!r}")
    if "\\" in path:
        raise UnsafePackError(f"path {path!r} contains a backslash")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise UnsafePackError(f"path {path!r} is absolute")
    if len(path.encode("utf-8")) > 255:
        raise UnsafePackError(f"path {path!r} is longer than 255 bytes")
    for part in path.split("/"):
        if part in ("", ".", ".."):
            raise UnsafePackError(f"path {path!r} escapes the pack or has an empty part")
        if not _SEGMENT.match(part):
            raise UnsafePackError(f"path {path!r} has a character not allowed in file names")
        # Packs are authored on Windows laptops too; a file named CON or "a." cannot exist there.
        if part.split(".")[0].lower() in _WINDOWS_RESERVED or part.endswith((".", " ")):
            raise UnsafePackError(f"path {path!r} uses a name Windows cannot store")
    return path


def check_unique_paths(paths: list[str]) -> None:
    """Refuse duplicates, including names equal but for case (they collide on FAT/exFAT and macOS)."""
    seen: dict[str, str] = {}
    for path in paths:
        folded = path.casefold()
        if folded in seen:
            raise UnsafePackError(f"path {path!r} appears twice (or differs from {seen[folded]!r} only by case)")
        seen[folded] = path


# Names an author's tools leave behind; never shipped to an exhibit.
IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini", "__pycache__", ".git"}


def is_ignored(name: str) -> bool:
    """Whether a source file or folder is left out of a build (hidden files and OS litter)."""
    return name.startswith(".") or name in IGNORED_NAMES or name.endswith((".kpack", "~"))


def scan_source(root: Path, limits: Limits = DEFAULT_LIMITS) -> list[tuple[str, Path]]:
    """List every file to ship from a source folder as (pack path, real path), refusing anything unsafe."""
    root = Path(root)
    if root.is_symlink() or not root.is_dir():
        raise UnsafePackError(f"{root} is not a folder")
    found: list[tuple[str, Path]] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not is_ignored(d))
        for name in dirnames:
            if (here / name).is_symlink():
                raise UnsafePackError(f"{_rel(here / name, root)} is a symbolic link; copy the real folder in")
        for name in sorted(filenames):
            if is_ignored(name):
                continue
            full = here / name
            relative = _rel(full, root)
            info = full.lstat()
            if stat.S_ISLNK(info.st_mode):
                raise UnsafePackError(f"{relative} is a symbolic link; copy the real file in")
            if not stat.S_ISREG(info.st_mode):
                raise UnsafePackError(f"{relative} is not a regular file (device, pipe or socket)")
            if info.st_nlink > 1:
                raise UnsafePackError(f"{relative} is a hard link (shared with another file); copy it instead")
            check_pack_path(relative)
            if info.st_size > limits.max_file:
                raise UnsafePackError(
                    f"{relative} is {info.st_size:,} bytes, over the {limits.max_file:,}-byte file cap"
                )
            total += info.st_size
            if total > limits.max_total:
                raise UnsafePackError(f"the pack is over the {limits.max_total:,}-byte total cap")
            found.append((relative, full))
    if len(found) > limits.max_entries:
        raise UnsafePackError(f"the pack has {len(found)} files, over the {limits.max_entries}-file cap")
    check_unique_paths([p for p, _ in found])
    return sorted(found)


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
