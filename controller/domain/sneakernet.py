"""Importing an exhibit's outbox export from a USB stick, through the same ingest path as MQTT.

The file must be sealed with the exhibit's device key (SHA-256 of its API token, which the
controller stores); its batches go to `Ingester.handle` exactly as if they had arrived on
`exhibits/{id}/events` and `venues/{venue}/footfall`, so ids dedupe (INSERT OR IGNORE),
rollups and attribution follow, and importing a file twice changes nothing. The answer is a
sealed ack file for the next trip back; when the controller is connected, the MQTT acks go out too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from controller.domain import audit
from controller.errors import Invalid
from controller.ingest.ingester import Ingester, Outgoing
from controller.store.db import Store
from kepu_contracts import messages, sneakernet
from kepu_contracts.protocol import encode, exhibit_topic, venue_topic
from kepu_contracts.times import iso

BATCH = 1000


@dataclass
class Imported:
    exhibit: str
    export_id: str
    events: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    ack_name: str = ""
    ack: bytes = b""
    outgoing: list[Outgoing] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.exhibit}: {self.events} events in the file, {self.stored} new, {self.duplicates} already here"
            + (f", {self.rejected} quarantined" if self.rejected else "")
        )


def _device_keys(db: Database) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in db.execute("SELECT exhibit, hash FROM tokens WHERE exhibit IS NOT NULL AND revoked IS NULL")
    ]


def check(db: Database, raw: bytes) -> sneakernet.Sealed:
    """The file's sealed body if it is intact and made with its exhibit's device key; Invalid saying why not."""
    try:
        sealed = sneakernet.open_sealed(raw, sneakernet.OUTBOX_FORMAT)
    except sneakernet.SneakernetError as exc:
        raise Invalid(f"refused: {exc}") from None
    keys = _device_keys(db)
    own = [h for exhibit, h in keys if exhibit == sealed.exhibit]
    if any(sealed.authentic(sneakernet.key_from_token_hash(h)) for h in own):
        return sealed
    other = next(
        (e for e, h in keys if e != sealed.exhibit and sealed.authentic(sneakernet.key_from_token_hash(h))), None
    )
    if other:
        raise Invalid(f"refused: the file says exhibit {sealed.exhibit!r} but was sealed with {other!r}'s key")
    if not own:
        raise Invalid(f"refused: exhibit {sealed.exhibit!r} has no device token here (enroll it first)")
    raise Invalid(
        f"refused: the file is not sealed with exhibit {sealed.exhibit!r}'s device token"
        " (made for another exhibit or with a revoked token)"
    )


def _groups(body: dict[str, Any]) -> list[tuple[str, str | None, list[dict[str, Any]]]]:
    """(topic, venue, events) per batch of at most BATCH events."""
    exhibit = body["exhibit"]
    out: list[tuple[str, str | None, list[dict[str, Any]]]] = []
    events = body.get("events")
    if not isinstance(events, list):
        raise Invalid("refused: the file's events are not a list")
    for i in range(0, len(events), BATCH):
        out.append((exhibit_topic(exhibit, "events"), None, events[i : i + BATCH]))
    footfall = body.get("footfall") or []
    if not isinstance(footfall, list):
        raise Invalid("refused: the file's footfall is not a list")
    for group in footfall:
        if (
            not isinstance(group, dict)
            or not isinstance(group.get("venue"), str)
            or not isinstance(group.get("events"), list)
        ):
            raise Invalid("refused: a footfall group has no venue or events")
        rows = group["events"]
        for i in range(0, len(rows), BATCH):
            out.append((venue_topic(group["venue"], "footfall"), group["venue"], rows[i : i + BATCH]))
    return out


def import_outbox(store: Store, ingester: Ingester, raw: bytes, now: float, actor: str = "cli") -> Imported:
    """Check and ingest one `.kout` file; raise Invalid (nothing stored) when it is not authentic."""
    sealed = check(store.db, raw)
    body, exhibit = sealed.body, sealed.exhibit
    groups = _groups(body)
    result = Imported(exhibit, sealed.export_id)
    seqs: dict[str, list[int]] = {"events": [], "footfall": []}
    for n, (topic, venue, events) in enumerate(groups):
        payload = messages.event_batch(exhibit, f"usb-{sealed.export_id[:16]}-{n}", events, venue=venue)
        outcome = ingester.handle(topic, encode(payload))
        result.events += len(events)
        result.stored += outcome.stored
        result.duplicates += outcome.duplicates
        result.rejected += outcome.rejected
        result.outgoing += outcome.outgoing
        if outcome.outgoing:  # the ingester acked the batch: its rows are committed (or quarantined for good)
            stream = "footfall" if venue is not None else "events"
            seqs[stream] += [e["seq"] for e in events if isinstance(e, dict) and isinstance(e.get("seq"), int)]
    acks = [
        {"stream": stream, "from_seq": a, "upto_seq": b}
        for stream, values in seqs.items()
        for a, b in sneakernet.seq_ranges(values)
    ]
    key = next(
        sneakernet.key_from_token_hash(h)
        for e, h in _device_keys(store.db)
        if e == exhibit and sealed.authentic(sneakernet.key_from_token_hash(h))
    )
    result.ack = sneakernet.seal(sneakernet.ack_body(exhibit, sealed.export_id, iso(now) or "", acks), key)
    result.ack_name = f"{exhibit}-{sealed.export_id[:8]}{sneakernet.ACK_SUFFIX}"
    with store.write() as db:
        db.conn.execute(
            "INSERT OR IGNORE INTO sneakernet_imports (id, exhibit, imported, events, stored, duplicates)"
            " VALUES (?,?,?,?,?,?)",
            (sealed.export_id, exhibit, now, result.events, result.stored, result.duplicates),
        )
        audit.record(
            db,
            now,
            actor,
            "exhibit.usb_import",
            exhibit,
            {"export_id": sealed.export_id, "events": result.events, "stored": result.stored},
        )
    return result
