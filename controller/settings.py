"""Controller settings: one pydantic model, built from arguments and an injectable environment."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, Field


class Settings(BaseModel):
    """Everything a controller process is configured with; nothing is read at import time."""

    data_dir: Path
    mqtt_url: str | None = None  # None: no bridge (API-only, e.g. tests of the HTTP layer)
    host: str = "127.0.0.1"
    port: int = 8000
    admin_token: str | None = None
    public_base: str | None = None  # how agents reach us; defaults to http://host:port
    timezone: str = "Asia/Shanghai"  # venues' opening hours and report days are local time
    mqtt_client_id: str = "kepu-controller"
    trusted_keys: list[Path] = Field(default_factory=list)  # pack signers, besides DATA/trusted_keys/*.pub
    separate_review: bool = True  # the uploader of a pack version cannot also approve it (packs.review)
    open_pack_reads: bool = (
        True  # manifests and blobs are signed/hashed, so by default agents fetch them without a token
    )

    @property
    def db_path(self) -> Path:
        return self.data_dir / "controller.db"

    @property
    def base_url(self) -> str:
        return (self.public_base or f"http://{self.host}:{self.port}").rstrip("/")

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **values: object) -> Settings:
        """Fill unset values from KEPU_* variables (the environment is a parameter, for tests)."""
        if values.get("admin_token") is None and environ.get("KEPU_ADMIN_TOKEN"):
            values["admin_token"] = environ["KEPU_ADMIN_TOKEN"]
        if values.get("public_base") is None and environ.get("KEPU_PUBLIC_BASE"):
            values["public_base"] = environ["KEPU_PUBLIC_BASE"]
        if environ.get("KEPU_TIMEZONE") and values.get("timezone") is None:
            values["timezone"] = environ["KEPU_TIMEZONE"]
        return cls.model_validate({k: v for k, v in values.items() if v is not None})
