"""Bodies of the routes that manage collections and keys (`/v1/collections`, `/v1/keys`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.base import CollectionName
from src.access import Role
from src.keys import MAX_SCOPE
from src.models import CollectionRecord, KeyRecord
from src.scoping import MAX_DESCRIPTION_CHARS

Description = Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_CHARS)]
KeyName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class CollectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: CollectionName = Field(description="A short slug: lowercase letters, digits, - and _.")
    description: Description = ""


class CollectionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: Description


class CollectionOut(BaseModel):
    name: str
    description: str
    created_at: str
    documents: int
    chunks: int

    @classmethod
    def of(cls, record: CollectionRecord) -> CollectionOut:
        return cls.model_validate(record, from_attributes=True)


class CollectionList(BaseModel):
    items: list[CollectionOut]


class CollectionDeleted(BaseModel):
    name: str
    deleted_documents: int


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: KeyName
    role: Role
    collections: list[CollectionName] = Field(
        default_factory=list,
        max_length=MAX_SCOPE,
        description="The collections a reader or writer key reaches (none for an admin key).",
    )


class KeyOut(BaseModel):
    id: str
    name: str
    role: str
    collections: list[str]
    created_at: str
    last_used_at: str | None

    @classmethod
    def of(cls, record: KeyRecord) -> KeyOut:
        return cls.model_validate(record, from_attributes=True)


class KeyCreatedOut(KeyOut):
    key: str = Field(description="The key itself: shown this once, stored only as a hash.")


class KeyList(BaseModel):
    items: list[KeyOut]
