"""API keys (admin keys only): made and shown once, listed without the key, revoked."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import AccessDep, ServiceDep
from api.schemas.admin import KeyCreatedOut, KeyIn, KeyList, KeyOut

router = APIRouter(tags=["keys"])


@router.post("/keys", status_code=status.HTTP_201_CREATED)
def create_key(body: KeyIn, service: ServiceDep, access: AccessDep) -> KeyCreatedOut:
    record, secret = service.keys.create(access, body.name, body.role, tuple(body.collections))
    return KeyCreatedOut(**KeyOut.of(record).model_dump(), key=secret)


@router.get("/keys")
def list_keys(service: ServiceDep, access: AccessDep) -> KeyList:
    return KeyList(items=[KeyOut.of(record) for record in service.keys.records(access)])


@router.delete("/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_key(key_id: str, service: ServiceDep, access: AccessDep) -> Response:
    service.keys.revoke(access, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
