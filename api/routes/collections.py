"""Collections (knowledge bases): listed and read within the key's scope, managed by admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import AccessDep, ServiceDep
from api.schemas.admin import (
    CollectionDeleted,
    CollectionIn,
    CollectionList,
    CollectionOut,
    CollectionPatch,
)

router = APIRouter(tags=["collections"])


@router.post("/collections", status_code=status.HTTP_201_CREATED)
def create_collection(body: CollectionIn, service: ServiceDep, access: AccessDep) -> CollectionOut:
    return CollectionOut.of(service.collections.create(access, body.name, body.description))


@router.get("/collections")
def list_collections(service: ServiceDep, access: AccessDep) -> CollectionList:
    """The collections this key may read."""
    return CollectionList(items=[CollectionOut.of(c) for c in service.collections.readable(access)])


@router.get("/collections/{name}")
def get_collection(name: str, service: ServiceDep, access: AccessDep) -> CollectionOut:
    return CollectionOut.of(service.collections.get(access, name))


@router.patch("/collections/{name}")
def update_collection(
    name: str, body: CollectionPatch, service: ServiceDep, access: AccessDep
) -> CollectionOut:
    return CollectionOut.of(service.collections.describe(access, name, body.description))


@router.delete("/collections/{name}")
def delete_collection(
    name: str,
    service: ServiceDep,
    access: AccessDep,
    force: Annotated[
        bool, Query(description="Delete its documents too (else a non-empty one is refused).")
    ] = False,
) -> CollectionDeleted:
    deleted = service.collections.delete(access, name, force)
    return CollectionDeleted(name=name, deleted_documents=deleted)
