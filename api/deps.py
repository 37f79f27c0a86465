"""Shared dependencies, as `Annotated` aliases the routes declare."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.lifespan import ServiceHolder
from src.access import Access
from src.errors import NotReadyError
from src.service import RagService

# Every dependency here is `async def` although none awaits: FastAPI runs a plain `def`
# dependency in a worker thread, and three thread round-trips per request held the event loop
# longer than a keyword search takes.


async def get_holder(request: Request) -> ServiceHolder:
    holder: ServiceHolder = request.app.state.holder
    return holder


async def get_service(holder: Annotated[ServiceHolder, Depends(get_holder)]) -> RagService:
    if holder.service is None:
        raise NotReadyError(
            f"the service is not ready: {holder.problem}", hint="retry when GET /ready answers 200"
        )
    return holder.service


async def get_access(
    request: Request, service: Annotated[RagService, Depends(get_service)]
) -> Access:
    """The rights of the request's key, as api.auth.ApiKeyAuth found them."""
    access: Access | None = getattr(request.state, "access", None)
    if access is None:  # the key could not be checked while the service loaded
        raise NotReadyError("the service is not ready", hint="retry when GET /ready answers 200")
    return access


_bearer = HTTPBearer(auto_error=False, description="An API key, as a bearer token.")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")


async def declare_api_key(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header: Annotated[str | None, Security(_header)],
) -> None:
    """Declares the two ways to send a key in the OpenAPI schema, so /docs can authorise.
    The check itself is `api.auth.ApiKeyAuth`, which runs before any body is read."""


HolderDep = Annotated[ServiceHolder, Depends(get_holder)]
ServiceDep = Annotated[RagService, Depends(get_service)]
AccessDep = Annotated[Access, Depends(get_access)]
ApiKeyDoc = Depends(declare_api_key)
