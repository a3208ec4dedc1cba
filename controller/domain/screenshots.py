"""Exhibit screenshots: the agent uploads the PNG a `screenshot` command asked for; staff view it.

Stored as `DATA/screenshots/<exhibit>/<command>.png` (written atomically) plus `latest.json`
naming the newest, so the dashboard can show `GET /api/v1/exhibits/{id}/screenshots/latest`.
Only a PNG (signature and IHDR checked) up to `MAX_BYTES` is accepted, only for a
`screenshot` command that was sent to that exhibit; older files beyond `KEEP` are removed.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from content_packs.fsutil import write_bytes_atomic
from controller.errors import DomainError, Invalid, NotFound
from controller.store.db import Store
from kepu_contracts.datadir import REQUEST_ID
from kepu_contracts.limits import PNG_SIGNATURE, SCREENSHOT_MAX_BYTES, SCREENSHOT_MAX_SIDE

MAX_BYTES = SCREENSHOT_MAX_BYTES
MAX_SIDE = SCREENSHOT_MAX_SIDE
KEEP = 20  # screenshots kept per exhibit
SAFE_ID = REQUEST_ID


class TooLarge(DomainError):
    """The upload is bigger than a screenshot can be."""

    status = 413


class NotPng(DomainError):
    """The upload is not a PNG image."""

    status = 415


@dataclass(frozen=True)
class Screenshot:
    exhibit: str
    command: str
    path: Path
    width: int
    height: int
    bytes: int
    taken: float

    def url(self) -> str:
        return f"/api/v1/exhibits/{self.exhibit}/screenshots/{self.command}"

    def brief(self) -> dict:
        return {
            "command": self.command,
            "url": self.url(),
            "width": self.width,
            "height": self.height,
            "bytes": self.bytes,
            "taken": self.taken,
        }


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; NotPng if it is not a plausible PNG."""
    if len(data) < 33 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise NotPng("a screenshot must be a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise NotPng(f"PNG size {width}×{height} is not a screen")
    if not data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82"):
        raise NotPng("the PNG is truncated (no IEND chunk)")
    return width, height


def folder(data_dir: Path, exhibit: str) -> Path:
    if not SAFE_ID.match(exhibit):
        raise NotFound(f"no exhibit {exhibit!r}")
    return Path(data_dir) / "screenshots" / exhibit


def expect(db: Database, exhibit: str, command: str) -> None:
    """The upload must answer a screenshot command sent to this exhibit."""
    if not SAFE_ID.match(command):
        raise NotFound(f"no command {command!r}")
    row = db.execute("SELECT type FROM commands WHERE id = ? AND exhibit = ?", [command, exhibit]).fetchone()
    if row is None:
        raise NotFound(f"no command {command!r} for exhibit {exhibit!r}")
    if row[0] != "screenshot":
        raise Invalid(f"command {command!r} is a {row[0]!r}, not a screenshot")


def keep(store: Store, data_dir: Path, exhibit: str, command: str, data: bytes, now: float) -> Screenshot:
    """Check and keep one uploaded screenshot; records it on the command (the agent's result follows)."""
    expect(store.db, exhibit, command)
    if len(data) > MAX_BYTES:
        raise TooLarge(f"a screenshot may be at most {MAX_BYTES:,} bytes, got {len(data):,}")
    width, height = png_size(data)
    where = folder(data_dir, exhibit)
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"{command}.png"
    write_bytes_atomic(path, data)
    shot = Screenshot(exhibit, command, path, width, height, len(data), now)
    write_bytes_atomic(where / "latest.json", json.dumps({"v": 1, "exhibit": exhibit, **shot.brief()}).encode())
    with store.write() as db:
        db.execute(
            "UPDATE commands SET result = COALESCE(result, ?), answered = COALESCE(answered, ?) WHERE id = ? AND exhibit = ?",
            (json.dumps({"id": command, "ok": True, "url": shot.url(), "via": "upload"}), now, command, exhibit),
        )
    _prune(where)
    return shot


def _prune(where: Path) -> None:
    shots = sorted(where.glob("*.png"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in shots[KEEP:]:
        try:
            old.unlink()
        except OSError:
            pass


def latest(data_dir: Path, exhibit: str) -> Screenshot:
    """The newest screenshot of an exhibit; NotFound if there is none."""
    where = folder(data_dir, exhibit)
    try:
        doc = json.loads((where / "latest.json").read_bytes())
        command = doc["command"]
    except (OSError, ValueError, KeyError, TypeError):
        raise NotFound(f"no screenshot of {exhibit!r} yet: send it a screenshot command") from None
    return one(data_dir, exhibit, command, doc)


def one(data_dir: Path, exhibit: str, command: str, doc: dict | None = None) -> Screenshot:
    """The screenshot that answered `command`; NotFound if it is not (or no longer) kept."""
    if not SAFE_ID.match(command):
        raise NotFound(f"no screenshot {command!r}")
    path = folder(data_dir, exhibit) / f"{command}.png"
    try:
        st = path.stat()
    except OSError:
        raise NotFound(f"no screenshot {command!r} of {exhibit!r}") from None
    doc = doc or {}
    return Screenshot(
        exhibit,
        command,
        path,
        int(doc.get("width") or 0),
        int(doc.get("height") or 0),
        st.st_size,
        float(doc.get("taken") or st.st_mtime),
    )
