"""Shared dependencies, as `Annotated` aliases the routes declare."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from api.lifespan import ServiceHolder
from src.config import Settings
from src.errors import NotReadyError
from src.service import RagService


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_holder(request: Request) -> ServiceHolder:
    holder: ServiceHolder = request.app.state.holder
    return holder


def get_service(holder: Annotated[ServiceHolder, Depends(get_holder)]) -> RagService:
    if holder.service is None:
        raise NotReadyError(
            f"the service is not ready: {holder.problem}", hint="retry when GET /ready answers 200"
        )
    return holder.service


def _presented_key(request: Request) -> str:
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    return request.headers.get("x-api-key", "").strip()


def require_api_key(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> None:
    keys = settings.api_keys
    if not keys:
        return
    presented = _presented_key(request).encode()
    # Compare against every key, always, so timing says nothing about which one nearly matched.
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(presented, key.encode())
    if not matched:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing or invalid API key: send 'Authorization: Bearer <key>' or 'X-API-Key'",
            headers={"WWW-Authenticate": "Bearer"},
        )


SettingsDep = Annotated[Settings, Depends(get_settings)]
HolderDep = Annotated[ServiceHolder, Depends(get_holder)]
ServiceDep = Annotated[RagService, Depends(get_service)]
ApiKey = Depends(require_api_key)
