"""Filesystem durability helpers: what "written" means on an SD card that may lose power."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries, so a rename inside it survives a power cut."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems (and Windows) cannot fsync a folder; the rename is still atomic
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every folder under root (files are fsynced as they are written)."""
    for dirpath, _dirs, _files in os.walk(root):
        fsync_dir(Path(dirpath))


def write_bytes_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write, fsync, rename, fsync the folder: readers see the old file or the new one, never a mix."""
    path = Path(path)
    # pid and thread in the name: two writers of the same file never share a temporary.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_json_atomic(path: Path, doc: Any, indent: int | None = None) -> None:
    """`write_bytes_atomic` for a JSON document (UTF-8, Chinese kept readable)."""
    write_bytes_atomic(path, json.dumps(doc, ensure_ascii=False, indent=indent).encode("utf-8"))
