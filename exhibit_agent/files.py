"""Crash-safe file operations: atomic JSON writes and atomic symlink switches."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from content_packs.fsutil import fsync_dir
from content_packs.fsutil import write_json_atomic as _write_json_atomic


def write_json_atomic(path: Path, doc: Any) -> None:
    _write_json_atomic(path, doc, indent=1)


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
