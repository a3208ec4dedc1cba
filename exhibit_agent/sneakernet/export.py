"""`kepu-agent export-outbox DIR`: the outbox's unacknowledged rows to a sealed file; acks from the controller back.

Rows stay in the outbox until an ack arrives — over MQTT when the exhibit is online again
(the controller ignores the duplicates and acks them), or as an ack file on a later USB
round trip — so an export lost on the way loses nothing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from content_packs.fsutil import write_bytes_atomic
from kepu_contracts import sneakernet
from kepu_contracts.outbox import Outbox
from kepu_contracts.times import iso

PAGE = 5000


class ExportError(Exception):
    """Nothing can be exported as asked (no token, no folder); the message says what to do."""


@dataclass(frozen=True)
class Export:
    path: Path | None
    events: int
    footfall: int
    skipped: int  # footfall recorded in transit (no venue to send it to): stays in the outbox


def _rows(outbox: Outbox, stream: str) -> list[Any]:
    out: list[Any] = []
    after = 0
    while True:
        page = outbox.pending(stream, after_seq=after, limit=PAGE)
        if not page:
            return out
        out += page
        after = page[-1].seq


def export_outbox(data: Path, exhibit: str, token: str | None, dest: Path, now: float) -> Export:
    """Write `dest/<exhibit>-<time>-<id>.kout` with every unacknowledged row; None path when there is nothing."""
    if not token:
        raise ExportError(
            "exporting needs the exhibit's device token to seal the file: set controller_token"
            " (or controller_token_file) in the agent config, or pass --token-file (from kepu-controller enroll)"
        )
    outbox_path = Path(data) / "outbox.db"
    if not outbox_path.exists():
        raise ExportError(f"no outbox at {outbox_path}: is --data the exhibit's data directory?")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    outbox = Outbox(outbox_path)
    try:
        events = [r.to_wire() for r in _rows(outbox, "events")]
        by_venue: dict[str, list[dict[str, Any]]] = defaultdict(list)
        skipped = 0
        for row in _rows(outbox, "footfall"):
            venue = row.data.get("venue")
            if isinstance(venue, str) and venue:
                by_venue[venue].append(row.to_wire())
            else:
                skipped += 1
    finally:
        outbox.close()
    footfall = [{"venue": v, "events": rows} for v, rows in sorted(by_venue.items())]
    n_footfall = sum(len(g["events"]) for g in footfall)
    if not events and not footfall:
        return Export(None, 0, 0, skipped)
    export_id = uuid.uuid4().hex
    created = iso(now) or ""
    body = sneakernet.outbox_body(exhibit, export_id, created, events, footfall)
    stamp = created.replace(":", "").replace("-", "")[:15]
    path = dest / f"{exhibit}-{stamp}-{export_id[:8]}{sneakernet.OUTBOX_SUFFIX}"
    write_bytes_atomic(path, sneakernet.seal(body, sneakernet.device_key(token)))
    return Export(path, len(events), n_footfall, skipped)


def apply_acks(folder: Path, data: Path, exhibit: str, token: str | None) -> tuple[int, list[str]]:
    """Delete the rows that ack files under `folder` confirm; (rows deleted, problems)."""
    if not token:
        raise ExportError("checking ack files needs the exhibit's device token (controller_token in the config)")
    key = sneakernet.device_key(token)
    folder = Path(folder)
    # Anywhere on the stick (ack files land beside the export by default), three levels deep at most.
    files = sorted(
        p for depth in range(4) for p in folder.glob("*/" * depth + f"*{sneakernet.ACK_SUFFIX}") if p.is_file()
    )
    deleted, problems = 0, []
    outbox = Outbox(Path(data) / "outbox.db")
    try:
        for path in dict.fromkeys(files):
            try:
                sealed = sneakernet.open_sealed(path.read_bytes(), sneakernet.ACK_FORMAT)
                if sealed.exhibit != exhibit:
                    continue  # another exhibit's ack on a shared stick: not ours to judge
                if not sealed.authentic(key):
                    raise sneakernet.SneakernetError("not sealed with this exhibit's key (forged or for another)")
                for ack in sneakernet.parse_acks(sealed.body):
                    deleted += outbox.delete_range(ack.stream, ack.from_seq, ack.upto_seq)
            except (OSError, sneakernet.SneakernetError) as exc:
                problems.append(f"{path.name}: {exc}")
    finally:
        outbox.close()
    return deleted, problems
