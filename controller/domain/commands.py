"""One-off exhibit commands (screenshot, report, …): sent over MQTT, stored with their results.

The API (`POST /api/v1/exhibits/{id}/commands`) and the dashboard's screenshot button both send
through `send()`, so the permission check, the audit entry and the message are the same.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlite_utils import Database

from controller.core import Controller
from controller.domain import audit, fleet
from controller.domain.auth import Principal
from controller.ingest.ingester import Outgoing
from kepu_contracts import messages
from kepu_contracts.protocol import encode, exhibit_topic

PENDING_FOR = 60.0  # s a command without an answer counts as "waiting" (the agent gives the kiosk 10 s)


def send(
    controller: Controller, user: Principal, exhibit: str, kind: str, args: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Record and publish one command (technician of the exhibit's region); returns `{id, type, …}` as sent."""
    db, now, tz = controller.store.db, controller.clock.now(), controller.settings.timezone
    current = fleet.get_exhibit(db, user, exhibit, now, tz)
    user.require("technician", current["venue"]["region"] if current["venue"] else current["region"])
    command = messages.command(uuid.uuid4().hex, kind, args)
    with controller.store.write() as w:
        w.table("commands").insert(
            {
                "id": command["id"],
                "exhibit": exhibit,
                "type": kind,
                "payload": json.dumps(command),
                "created": now,
                "created_by": user.id,
            }
        )
        audit.record(w, now, user.id, "exhibit.command", exhibit, command, current["region"])
    controller.publish(Outgoing(exhibit_topic(exhibit, "commands"), encode(command), qos=1))
    return command


def latest(db: Database, exhibit: str, kind: str) -> dict[str, Any] | None:
    """The newest command of `kind` sent to an exhibit: `{id, created, answered, result}` (result decoded)."""
    row = db.execute(
        "SELECT id, created, answered, result FROM commands WHERE exhibit = ? AND type = ? ORDER BY created DESC, rowid DESC LIMIT 1",
        [exhibit, kind],
    ).fetchone()
    if row is None:
        return None
    try:
        result = json.loads(row[3]) if row[3] else None
    except ValueError:
        result = {"ok": False, "error": "unreadable result"}
    return {"id": row[0], "created": row[1], "answered": row[2], "result": result if isinstance(result, dict) else None}


def state(command: dict[str, Any] | None, now: float) -> str | None:
    """waiting / done / failed / lost (no answer within PENDING_FOR), or None for no command."""
    if command is None:
        return None
    result = command["result"]
    if result is None:
        return "waiting" if now - command["created"] < PENDING_FOR else "lost"
    return "done" if result.get("ok") else "failed"
