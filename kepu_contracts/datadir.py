"""The exhibit's data directory (`--data DATA`, contract in docs/architecture.md): its paths and safe writes.

Kiosk and agent meet only through these files, so either can restart without the other
losing anything. Every path is named here once; every write is atomic (write, fsync, rename)
so a reader sees the old file or the new one, never a mix.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from content_packs.fsutil import fsync_dir
from content_packs.fsutil import write_json_atomic as _write_json_atomic

# Screenshot request ids become file names on both sides.
REQUEST_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
SCREENSHOT_REQUEST = re.compile(r"^screenshot-([A-Za-z0-9_.-]{1,64})\.json$")


@dataclass(frozen=True)
class DataDir:
    """Where each seam file lives under one exhibit's data directory."""

    root: Path

    @property
    def outbox(self) -> Path:
        """SQLite outbox (kiosk and agent write, agent drains)."""
        return self.root / "outbox.db"

    @property
    def control(self) -> Path:
        """control.json (agent → kiosk): emergency and overrides."""
        return self.root / "control.json"

    @property
    def heartbeat(self) -> Path:
        """kiosk.json (kiosk → agent): the kiosk's heartbeat."""
        return self.root / "kiosk.json"

    @property
    def desired(self) -> Path:
        """The agent's cached desired state, so it follows it offline after a restart."""
        return self.root / "desired.json"

    @property
    def wake_request(self) -> Path:
        """wake.json (kiosk → agent): a visitor touched the dark screen; the agent may light it."""
        return self.root / "wake.json"

    @property
    def buttons(self) -> Path:
        """buttons.jsonl (agent → kiosk): physical button presses, one JSON object a line, appended and fsynced."""
        return self.root / "buttons.jsonl"

    @property
    def packs(self) -> Path:
        """Installed pack directories (agent-owned)."""
        return self.root / "packs"

    @property
    def current_pack(self) -> Path:
        """The link to the active pack (agent → kiosk), switched atomically."""
        return self.packs / "current"

    @property
    def requests(self) -> Path:
        return self.root / "requests"

    @property
    def screenshots(self) -> Path:
        return self.root / "screenshots"

    def screenshot_request(self, request_id: str) -> Path:
        """`requests/screenshot-<id>.json` (agent → kiosk)."""
        return self.requests / f"screenshot-{request_id}.json"

    def screenshot(self, request_id: str) -> Path:
        """`screenshots/<id>.png` (kiosk → agent)."""
        return self.screenshots / f"{request_id}.png"

    def screenshot_failure(self, request_id: str) -> Path:
        """`screenshots/<id>.failed` (kiosk → agent): one line saying why."""
        return self.screenshots / f"{request_id}.failed"


def write_json_atomic(path: Path, doc: Any) -> None:
    """Write JSON so readers see the old file or the new one, never a mix."""
    _write_json_atomic(path, doc, indent=1)


def read_json(path: Path, default: Any = None) -> Any:
    """The decoded file, or `default` when it is missing or unreadable."""
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
