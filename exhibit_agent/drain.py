"""Drain one outbox stream to MQTT in seq order; rows leave the outbox only on the controller's ack.

Plain logic over a `Publisher` (anything with `publish(topic, payload, qos, retain)`), so it is
tested with a fake and, for real, through mqtt_link. Not thread-safe: the agent calls it from
its one loop thread and feeds it acks from a queue.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from kepu_contracts.messages import Ack, event_batch
from kepu_contracts.outbox import Outbox
from kepu_contracts.protocol import encode

log = logging.getLogger(__name__)


class Publisher(Protocol):
    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> object: ...


@dataclass
class InFlight:
    batch: str
    from_seq: int
    upto_seq: int
    count: int
    sent_at: float


class Drainer:
    """Sends bounded batches of one stream, keeps up to `window` unacked, resends on timeout or reset."""

    def __init__(
        self,
        outbox: Outbox,
        stream: str,
        exhibit: str,
        topic: Callable[[], str | None],
        publisher: Publisher,
        *,
        venue: Callable[[], str | None] | None = None,
        max_events: int = 200,
        max_bytes: int = 256 * 1024,
        window: int = 4,
        ack_timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.outbox = outbox
        self.stream = stream
        self.exhibit = exhibit
        self.topic = topic  # None while there is nowhere to send (e.g. footfall before a venue is known)
        self.publisher = publisher
        self.venue = venue
        self.max_events = max_events
        self.max_bytes = max_bytes
        self.window = window
        self.ack_timeout = ack_timeout
        self.clock = clock
        self.inflight: dict[str, InFlight] = {}
        self.cursor = 0  # highest seq handed to the publisher since the last reset
        self.sent_events = 0
        self.acked_rows = 0
        self.resets = 0

    def pump(self) -> int:
        """Publish batches until the window is full or nothing is pending; return batches sent."""
        sent = 0
        self.check_timeouts()
        topic = self.topic()
        if topic is None:
            return 0
        while len(self.inflight) < self.window:
            rows = self.outbox.pending(self.stream, after_seq=self.cursor, limit=self.max_events)
            if not rows:
                break
            events: list[dict[str, Any]] = []
            size = 0
            for row in rows:
                wire = row.to_wire()
                # Bytes bound the batch too: one huge event must not make a message the broker refuses.
                cost = len(json.dumps(wire, ensure_ascii=False).encode("utf-8")) + 1
                if events and size + cost > self.max_bytes:
                    break
                events.append(wire)
                size += cost
            batch = uuid.uuid4().hex
            venue = self.venue() if self.venue else None
            payload = encode(event_batch(self.exhibit, batch, events, venue=venue))
            self.publisher.publish(topic, payload, 1, False)
            first, last = events[0]["seq"], events[-1]["seq"]
            self.inflight[batch] = InFlight(batch, first, last, len(events), self.clock())
            self.cursor = last
            self.sent_events += len(events)
            sent += 1
        return sent

    def on_ack(self, ack: Ack, trust_unknown: bool) -> int:
        """Delete the acknowledged rows; return how many were deleted.

        An ack for a batch we do not know (sent before a restart or a reset) is applied only
        when `trust_unknown`: on the exhibit's own ack topic every ack is ours, but footfall
        acks arrive on a venue topic that other exhibits' agents share.
        """
        known = self.inflight.pop(ack.batch, None) if ack.batch else None
        if known is not None:
            lo, hi = known.from_seq, known.upto_seq
        elif trust_unknown or ack.exhibit == self.exhibit:
            lo, hi = ack.from_seq, ack.upto_seq
        else:
            return 0
        deleted = self.outbox.delete_range(self.stream, lo, hi)
        self.acked_rows += deleted
        return deleted

    def check_timeouts(self) -> bool:
        """Resend everything unacked when the oldest batch waited longer than ack_timeout."""
        if not self.inflight:
            return False
        oldest = min(f.sent_at for f in self.inflight.values())
        if self.clock() - oldest < self.ack_timeout:
            return False
        log.warning(
            "%s: no ack within %.0fs for %d batch(es); resending", self.stream, self.ack_timeout, len(self.inflight)
        )
        self.reset()
        return True

    def reset(self) -> None:
        """Forget in-flight batches and start again from the oldest unacked row (reconnect, timeout)."""
        if self.inflight or self.cursor:
            self.resets += 1
        self.inflight.clear()
        self.cursor = 0

    @property
    def backlog(self) -> int:
        return self.outbox.count(self.stream)
