"""One-off exhibit commands (screenshot, report, …): sent over MQTT, stored with their results.

The API (`POST /api/v1/exhibits/{id}/commands`) and the dashboard's screenshot button both send
through `send()`, so the permission check, the audit entry and the message are the same.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from typing import Any

from sqlite_utils import Database

from controller.core import Controller
from controller.domain import audit, fleet
from controller.domain.auth import Principal
from controller.errors import Conflict, Invalid
from controller.ingest.ingester import Outgoing
from kepu_contracts import messages
from kepu_contracts.protocol import encode, exhibit_topic

COMMAND_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
RESERVED_ARGS = ("v", "id", "type")  # the envelope's own fields: the controller alone sets them
ARGS_MAX_BYTES = 8 * 1024
PENDING_FOR = 60.0  # s a command without an answer counts as "waiting" (the agent gives the kiosk 10 s)


def validated_args(kind: str, args: dict[str, Any] | None) -> dict[str, Any]:
    """The command's own fields, checked: a known shape of type, no envelope fields, bounded size."""
    if not COMMAND_TYPE.match(kind):
        raise Invalid(f"command type {kind!r} must be 1-64 lowercase letters, digits or '_'")
    args = dict(args or {})
    reserved = [k for k in RESERVED_ARGS if k in args]
    if reserved:
        raise Invalid(f"command args may not set {', '.join(reserved)}: the controller sets them")
    try:
        size = len(json.dumps(args, allow_nan=False, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise Invalid("command args must be plain JSON (no NaN or Infinity)") from None
    if size > ARGS_MAX_BYTES:
        raise Invalid(f"command args are {size:,} bytes; at most {ARGS_MAX_BYTES:,}")
    return args


def send(
    controller: Controller,
    user: Principal,
    exhibit: str,
    kind: str,
    args: dict[str, Any] | None = None,
    command_id: str | None = None,
) -> dict[str, Any]:
    """Record and publish one command (technician of the exhibit's region); returns `{id, type, …}` as sent."""
    db, now, tz = controller.store.db, controller.clock.now(), controller.settings.timezone
    current = fleet.get_exhibit(db, user, exhibit, now, tz)
    user.require("technician", current["venue"]["region"] if current["venue"] else current["region"])
    command = messages.command(command_id or uuid.uuid4().hex, kind, validated_args(kind, args))
    try:
        with controller.store.write() as w:
            w.table("commands").insert(
                {
                    "id": command["id"],
                    "exhibit": exhibit,
                    "type": command["type"],
                    "payload": json.dumps(command),
                    "created": now,
                    "created_by": user.id,
                }
            )
            audit.record(w, now, user.id, "exhibit.command", exhibit, command, current["region"])
    except sqlite3.IntegrityError:
        raise Conflict(f"a command with id {command['id']!r} was already sent") from None
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
