"""Files that carry events and acks on a USB stick (venues without a network), sealed for both ends.

An outbox export (`kepu-agent export-outbox`, `*.kout`) and its answer, an ack file
(`kepu-controller import`, `*.kack`), are one JSON object each:

    {"v": 1, "format": "kepu-outbox" | "kepu-ack", "exhibit": "ex-1", "export_id": "…", "created": "…Z",
     …body…, "digest": sha256(body), "mac": HMAC-SHA256(device key, body)}

`body` is everything except `digest` and `mac`, as canonical JSON (sorted keys, no spaces,
UTF-8). The digest catches damage and hand edits; the MAC proves the file was made with
this exhibit's device key, so a file cannot be forged for another exhibit. The device key is
SHA-256 of the exhibit's API token (from `kepu-controller enroll`): the agent has the token,
the controller keeps exactly that hash, and neither end has to store a new secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

OUTBOX_FORMAT = "kepu-outbox"
ACK_FORMAT = "kepu-ack"
OUTBOX_SUFFIX = ".kout"
ACK_SUFFIX = ".kack"
MAX_FILE_BYTES = 512 * 1024 * 1024


class SneakernetError(ValueError):
    """A USB file that is not what it claims: malformed, damaged, edited or for someone else; the message says which."""


def device_key(token: str) -> bytes:
    """The HMAC key of an exhibit: SHA-256 (hex) of its API token — what the controller stores."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest().encode("ascii")


def key_from_token_hash(token_hash: str) -> bytes:
    """The same key on the controller's side, from the stored token hash."""
    return token_hash.encode("ascii")


def _canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def seal(body: Mapping[str, Any], key: bytes) -> bytes:
    """The file's bytes: body + digest + MAC."""
    raw = _canonical(body)
    doc = {
        **body,
        "digest": hashlib.sha256(raw).hexdigest(),
        "mac": hmac.new(key, raw, hashlib.sha256).hexdigest(),
    }
    return json.dumps(doc, ensure_ascii=False, indent=0, sort_keys=True).encode("utf-8")


@dataclass(frozen=True)
class Sealed:
    """A file whose structure and digest are fine; `authentic(key)` checks who made it."""

    body: dict[str, Any]
    mac: str

    @property
    def exhibit(self) -> str:
        return str(self.body["exhibit"])

    @property
    def export_id(self) -> str:
        return str(self.body["export_id"])

    def authentic(self, key: bytes) -> bool:
        expected = hmac.new(key, _canonical(self.body), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.mac)


def open_sealed(raw: bytes, expected_format: str) -> Sealed:
    """Parse and check structure and digest; raise SneakernetError naming what is wrong."""
    if len(raw) > MAX_FILE_BYTES:
        raise SneakernetError(f"the file is over {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SneakernetError("not a kepu USB file (not JSON)") from None
    if not isinstance(doc, dict):
        raise SneakernetError("not a kepu USB file (not a JSON object)")
    if doc.get("format") != expected_format:
        raise SneakernetError(f"not a {expected_format} file (format is {doc.get('format')!r})")
    if doc.get("v") != 1:
        raise SneakernetError(f"unsupported version {doc.get('v')!r} (this kepu reads v1)")
    digest, mac = doc.pop("digest", None), doc.pop("mac", None)
    if not isinstance(digest, str) or not isinstance(mac, str):
        raise SneakernetError("the file has no digest and MAC: it was not written by kepu")
    if hashlib.sha256(_canonical(doc)).hexdigest() != digest:
        raise SneakernetError("the file failed its integrity check: it was edited by hand or damaged")
    for name in ("exhibit", "export_id"):
        if not isinstance(doc.get(name), str) or not doc[name]:
            raise SneakernetError(f"the file has no {name}")
    return Sealed(doc, mac)


# -- outbox exports --------------------------------------------------------------------


def outbox_body(
    exhibit: str,
    export_id: str,
    created: str,
    events: list[dict[str, Any]],
    footfall: list[dict[str, Any]],
) -> dict[str, Any]:
    """An export: `events` as wire events, `footfall` as [{venue, events}] (footfall goes to its venue's topic)."""
    return {
        "v": 1,
        "format": OUTBOX_FORMAT,
        "exhibit": exhibit,
        "export_id": export_id,
        "created": created,
        "events": events,
        "footfall": footfall,
        "count": len(events) + sum(len(group["events"]) for group in footfall),
    }


def seq_ranges(seqs: Iterable[int]) -> list[tuple[int, int]]:
    """Contiguous [from, upto] runs of sequence numbers (what an ack file lets the agent delete)."""
    out: list[tuple[int, int]] = []
    for seq in sorted(set(seqs)):
        if out and seq == out[-1][1] + 1:
            out[-1] = (out[-1][0], seq)
        else:
            out.append((seq, seq))
    return out


# -- ack files ---------------------------------------------------------------------------


def ack_body(exhibit: str, export_id: str, created: str, acks: list[dict[str, Any]]) -> dict[str, Any]:
    """The controller's answer: rows [from_seq, upto_seq] of each stream are committed and may leave the outbox."""
    return {"v": 1, "format": ACK_FORMAT, "exhibit": exhibit, "export_id": export_id, "created": created, "acks": acks}


@dataclass(frozen=True)
class AckRange:
    stream: str
    from_seq: int
    upto_seq: int


def parse_acks(body: Mapping[str, Any]) -> list[AckRange]:
    """The ranges of an ack file's body; SneakernetError when malformed."""
    raw = body.get("acks")
    if not isinstance(raw, list):
        raise SneakernetError("the ack file has no list of acks")
    out = []
    for item in raw:
        if not isinstance(item, dict) or item.get("stream") not in ("events", "footfall"):
            raise SneakernetError("an ack names no stream (events or footfall)")
        a, b = item.get("from_seq"), item.get("upto_seq")
        if not isinstance(a, int) or not isinstance(b, int) or isinstance(a, bool) or isinstance(b, bool) or a > b:
            raise SneakernetError("an ack has no sensible from_seq..upto_seq")
        out.append(AckRange(str(item["stream"]), a, b))
    return out
