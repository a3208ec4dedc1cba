"""/api/v1/packs and /api/v1/blobs: upload and review packs; serve signed manifests and blobs to exhibits.

Manifests, signatures and blobs are readable without a token by default: they are signed and
content-addressed (an exhibit verifies everything), and the agent fetches them like a CDN.
With `Settings.open_pack_reads = False` any valid token (e.g. the device's) is required.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, UploadFile
from fastapi.responses import FileResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import Field

from content_packs.store import BlobStore
from controller.domain import packs
from controller.domain.auth import authenticate
from controller.errors import NotFound
from controller.web.api.models import Body
from controller.web.deps import ControllerDep, CurrentUser, _bearer, token_from

router = APIRouter(prefix="/api/v1", tags=["packs"])
SHA256 = r"^[0-9a-f]{64}$"


class ReviewIn(Body):
    status: str = Field(description="draft, approved or retired", examples=["approved"])


def blob_store(controller: ControllerDep) -> BlobStore:
    return BlobStore(controller.settings.data_dir / "store")


def pack_reader(
    request: Request,
    controller: ControllerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Open reads unless configured otherwise; then any valid token, a device's included."""
    if not controller.settings.open_pack_reads:
        authenticate(controller.store.db, token_from(request, credentials), controller.settings.admin_token)


@router.get("/packs", summary="Every pack and its review status")
def list_packs(controller: ControllerDep, user: CurrentUser) -> list[dict[str, Any]]:
    tz = controller.settings.timezone
    rows = controller.store.db.query("SELECT * FROM packs ORDER BY id, uploaded_at")
    return [packs.view(r, tz) for r in rows if packs.readable_by(user, r["region"])]


@router.post("/packs", status_code=201, summary="Upload a signed .kpack (technician); it starts as a draft")
def upload_pack(file: UploadFile, response: Response, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    settings = controller.settings
    row, created = packs.upload_stream(
        controller.store,
        settings.data_dir,
        settings.trusted_keys,
        file.file,
        user,
        controller.clock.now(),
        file.filename,
    )
    if not created:
        response.status_code = 200
    return packs.view(row, controller.settings.timezone)


@router.get("/packs/{pack_id}/{version}", summary="One pack version")
def get_pack(pack_id: str, version: str, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    row = packs.get_row(controller.store.db, pack_id, version)
    if not packs.readable_by(user, row["region"]):
        raise NotFound(f"no pack {pack_id} {version}")  # another region's pack: not even its existence
    return packs.view(row, controller.settings.timezone)


@router.post("/packs/{pack_id}/{version}/review", summary="Approve or retire a pack (reviewer)")
def review_pack(
    pack_id: str, version: str, body: ReviewIn, controller: ControllerDep, user: CurrentUser
) -> dict[str, Any]:
    row = packs.review(
        controller.store,
        pack_id,
        version,
        body.status,
        user,
        controller.clock.now(),
        controller.settings.separate_review,
    )
    controller.changed()
    return packs.view(row, controller.settings.timezone)


@router.get(
    "/packs/{pack_id}/{version}/manifest",
    dependencies=[Depends(pack_reader)],
    summary="The exact signed manifest.json bytes (what desired state's url names)",
)
def get_manifest(pack_id: str, version: str, controller: ControllerDep) -> Response:
    row = packs.get_row(controller.store.db, pack_id, version)
    return Response(row["manifest"], media_type="application/json")


@router.get(
    "/packs/{pack_id}/{version}/manifest.sig",
    dependencies=[Depends(pack_reader)],
    summary="manifest.sig: the Ed25519 signature over the manifest bytes",
)
def get_signature(pack_id: str, version: str, controller: ControllerDep) -> Response:
    row = packs.get_row(controller.store.db, pack_id, version)
    return Response(row["signature"], media_type="application/json")


@router.get(
    "/blobs/{sha256}",
    dependencies=[Depends(pack_reader)],
    summary="A pack file by sha256; supports Range (bytes=N-) for resumed downloads",
    response_class=FileResponse,
)
def get_blob(sha256: Annotated[str, Path(pattern=SHA256)], controller: ControllerDep) -> FileResponse:
    blobs = blob_store(controller)
    if not blobs.has(sha256):
        raise NotFound(f"no blob {sha256}")
    # Blobs never change (named by their hash), so caches may keep them forever.
    return FileResponse(
        blobs.path(sha256),
        media_type="application/octet-stream",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
