"""The pack repository: uploaded .kpack files verified by content_packs, reviewed draft → approved → retired."""

from __future__ import annotations

import json
import tempfile
import tomllib
from pathlib import Path
from typing import Any, BinaryIO

from sqlite_utils import Database

from content_packs.archive import import_kpack
from content_packs.errors import PackError
from content_packs.manifest import Manifest
from content_packs.signing import KeyLike
from content_packs.store import BlobStore
from controller.domain import audit
from controller.domain.auth import Principal, in_scope
from controller.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from controller.store.db import Store
from kepu_contracts.times import iso

STATUSES = ("draft", "approved", "retired")
# Review only moves forward: an approved pack can be retired, never quietly made a draft again.
TRANSITIONS = {("draft", "approved"), ("draft", "retired"), ("approved", "retired")}


def trusted_keys(key_files: list[Path], data_dir: Path) -> list[KeyLike]:
    """Keys given on the command line plus every DATA/trusted_keys/*.pub."""
    folder = data_dir / "trusted_keys"
    return [*key_files, *(sorted(folder.glob("*.pub")) if folder.is_dir() else [])]


def view(row: dict[str, Any], tz: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "version": row["version"],
        "title": {"zh": row["title_zh"], "en": row["title_en"]},
        "topic": row["topic"],
        "manifest_sha256": row["manifest_sha256"],
        "signer": row["signer"],
        "size": row["size"],
        "goal_scene": row["goal_scene"],
        "status": row["status"],
        "region": row["region"],
        "uploaded_by": row["uploaded_by"],
        "uploaded_at": iso(row["uploaded_at"], tz),
    }


# Which packs a region may use: its own and its ancestors' (a city's pack serves every district
# below it; a national pack serves everyone) — never a sibling's or a descendant's. Readers see
# those and, to review them, the packs of their own subtree.


def usable_in(pack_region: str, region: str) -> bool:
    """Whether a pack uploaded in `pack_region` may be deployed in `region`."""
    return in_scope(pack_region, region)


def readable_by(principal: Principal, pack_region: str) -> bool:
    return principal.sees(pack_region) or in_scope(pack_region, principal.region)


def resolve(db: Database, pack_id: str, version: str | None, region: str) -> dict[str, Any] | None:
    """The approved pack row `region` would deploy for (id, version); unpinned: its newest usable version."""
    rows = db.query(
        "SELECT * FROM packs WHERE id = ? AND status = 'approved'"
        + (" AND version = ?" if version else "")
        + " ORDER BY uploaded_at DESC, rowid DESC",
        [pack_id, version] if version else [pack_id],
    )
    return next((r for r in rows if usable_in(r["region"], region)), None)


def get_row(db: Database, pack_id: str, version: str) -> dict[str, Any]:
    for row in db.query("SELECT * FROM packs WHERE id = ? AND version = ?", [pack_id, version]):
        return row
    raise NotFound(f"no pack {pack_id} {version}")


def _pack_toml(blobs: BlobStore, manifest: Manifest) -> dict[str, Any]:
    """The pack's own pack.toml (already verified by the signature); {} if unreadable."""
    entry = next((f for f in manifest.files if f.path == "pack.toml"), None)
    if entry is None:
        return {}
    try:
        return tomllib.loads(blobs.get(entry.sha256).decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, PackError, OSError):
        return {}


def _goal_scene(doc: dict[str, Any]) -> str | None:
    """The pack's goal scene: completion counts sessions that reach it."""
    goal = doc.get("goal")
    return goal if isinstance(goal, str) else None


def _questions(doc: dict[str, Any]) -> str | None:
    """Quiz wording by question id, as JSON: {id: {prompt: {zh, en}, choices: [{zh, en}…], answer}}."""
    out: dict[str, Any] = {}
    for scene in doc.get("scenes") or []:
        if not isinstance(scene, dict) or scene.get("type") != "quiz":
            continue
        for q in scene.get("questions") or []:
            if isinstance(q, dict) and isinstance(q.get("id"), str):
                out[q["id"]] = {"prompt": q.get("prompt"), "choices": q.get("choices") or [], "answer": q.get("answer")}
    return json.dumps(out, ensure_ascii=False) if out else None


def upload(
    store: Store, blobs: BlobStore, keys: list[KeyLike], kpack: Path, user: Principal, now: float
) -> tuple[dict[str, Any], bool]:
    """Verify and import a .kpack as a draft; returns (row, created). Re-uploading the same bytes is a no-op."""
    user.require("technician")
    if not keys:
        raise Invalid("no trusted signing keys are configured: put KEY.pub in DATA/trusted_keys/ or pass --trusted-key")
    try:
        manifest = import_kpack(kpack, blobs, keys)
    except PackError as exc:
        raise Invalid(f"the pack was refused: {exc}") from exc
    manifest_bytes, signature = blobs.get_manifest(manifest.sha256)
    doc = _pack_toml(blobs, manifest)
    with store.write() as db:
        existing = db.execute(
            "SELECT manifest_sha256 FROM packs WHERE id = ? AND version = ?", [manifest.id, manifest.version]
        ).fetchone()
        if existing:
            if existing[0] == manifest.sha256:
                return get_row(db, manifest.id, manifest.version), False
            raise Conflict(f"{manifest.id} {manifest.version} already exists with different content; bump the version")
        db.table("packs").insert(
            {
                "id": manifest.id,
                "version": manifest.version,
                "title_zh": manifest.title.zh,
                "title_en": manifest.title.en,
                "topic": manifest.topic,
                "manifest_sha256": manifest.sha256,
                "manifest": manifest_bytes,
                "signature": signature,
                "signer": manifest.signer,
                "size": manifest.total_size,
                "goal_scene": _goal_scene(doc),
                "questions": _questions(doc),
                "status": "draft",
                "region": user.region,
                "uploaded_by": user.id,
                "uploaded_at": now,
            }
        )
        audit.record(
            db,
            now,
            user.id,
            "pack.upload",
            f"{manifest.id} {manifest.version}",
            {"sha256": manifest.sha256},
            user.region,
        )
        return get_row(db, manifest.id, manifest.version), True


MAX_UPLOAD = 2 * 1024**3  # a .kpack bigger than this is refused while it is still arriving


def upload_stream(
    store: Store,
    data_dir: Path,
    key_files: list[Path],
    stream: BinaryIO,
    user: Principal,
    now: float,
    filename: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Spool an uploaded .kpack to the store's tmp folder (capped as it arrives), then `upload` it.

    A refusal names the file as the uploader called it, never where it was spooled.
    """
    user.require("technician")
    blobs = BlobStore(data_dir / "store")
    shown = Path(filename or "").name or "the upload"
    with tempfile.TemporaryDirectory(dir=blobs.root / "tmp") as tmp:
        path = Path(tmp) / "upload.kpack"
        written = 0
        with path.open("wb") as out:
            while chunk := stream.read(1024 * 1024):
                written += len(chunk)
                if written > MAX_UPLOAD:
                    raise Invalid(f"{shown} is larger than 2 GiB")
                out.write(chunk)
        try:
            return upload(store, blobs, trusted_keys(key_files, data_dir), path, user, now)
        except DomainError as exc:
            text = str(exc).replace(str(path), shown).replace(str(tmp), "").replace(str(data_dir), "DATA")
            raise type(exc)(text) from None


def review(
    store: Store, pack_id: str, version: str, status: str, user: Principal, now: float, separate: bool = True
) -> dict[str, Any]:
    """Move a pack along draft → approved → retired (reviewers, within the pack's region).

    With `separate` (the default, Settings.separate_review) the person who uploaded a version cannot
    approve it: four eyes on what every screen will show. The bootstrap admin token is exempt, so a
    one-person installation can still publish.
    """
    if status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}")
    with store.write() as db:
        row = get_row(db, pack_id, version)
        user.require("reviewer", row["region"])
        if row["status"] == status:
            return row
        if (row["status"], status) not in TRANSITIONS:
            raise Conflict(f"{pack_id} {version} is {row['status']}; it cannot become {status}")
        if separate and status == "approved" and row["uploaded_by"] == user.id and user.id != "admin":
            raise Forbidden(f"{user.id} uploaded {pack_id} {version}; another reviewer must approve it")
        db.conn.execute("UPDATE packs SET status = ? WHERE id = ? AND version = ?", (status, pack_id, version))
        audit.record(db, now, user.id, f"pack.{status}", f"{pack_id} {version}", {"from": row["status"]}, row["region"])
        return get_row(db, pack_id, version)


def require_deployable(db: Database, pack_id: str, version: str | None, region: str | None = None) -> None:
    """Only approved packs usable in `region` may be planned there; NotFound/Conflict with the reason otherwise."""
    if version:
        row = db.execute("SELECT status, region FROM packs WHERE id = ? AND version = ?", [pack_id, version]).fetchone()
        if row is None or (region is not None and not usable_in(row[1], region)):
            raise NotFound(f"no pack {pack_id} {version}" + (f" usable in {region or 'the country'}" if row else ""))
        if row[0] != "approved":
            raise Conflict(f"{pack_id} {version} is {row[0]}; only approved packs can be deployed")
    elif region is not None:
        if resolve(db, pack_id, None, region) is None:
            raise Conflict(f"pack {pack_id} has no approved version usable in {region or 'the country'}")
    elif not db.execute("SELECT 1 FROM packs WHERE id = ? AND status = 'approved'", [pack_id]).fetchone():
        raise Conflict(f"pack {pack_id} has no approved version")
