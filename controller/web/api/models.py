"""Request bodies shared by several routers (responses are plain dicts documented per route)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Id = Field(min_length=1, max_length=64)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PackPin(Body):
    """A pack by id, optionally pinned to one version (unpinned: its newest approved version)."""

    id: str = Field(min_length=1, max_length=64)
    version: str | None = Field(default=None, min_length=1, max_length=64)


class PackExact(Body):
    id: str = Field(min_length=1, max_length=64)
    version: str = Field(min_length=1, max_length=64)


class Bilingual(Body):
    zh: str = Field(default="", max_length=2000)
    en: str = Field(default="", max_length=2000)


class Deleted(BaseModel):
    deleted: bool = True
