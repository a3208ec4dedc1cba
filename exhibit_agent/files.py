"""Crash-safe file operations: atomic JSON writes and atomic symlink switches."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def fsync_dir(path: Path) -> None:
    """Make a rename or new entry in `path` durable (a rename is only safe once its directory is synced)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write, fsync, rename, fsync the directory: readers see the old file or the new one, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def write_json_atomic(path: Path, doc: Any) -> None:
    write_bytes_atomic(path, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))


def read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return default


def switch_symlink(link: Path, target: str) -> None:
    """Point `link` at `target` atomically: make a new link under a temp name, then rename over."""
    tmp = link.with_name(f".{link.name}.tmp")
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
    os.symlink(target, tmp)
    os.replace(tmp, link)
    fsync_dir(link.parent)


def link_target(link: Path) -> str | None:
    """The name a symlink points at, or None when there is no link."""
    try:
        return os.readlink(link)
    except OSError:
        return None
