"""Liveness and readiness: never behind auth, so orchestrators can probe them."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import HolderDep
from src.errors import RagError

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "Still loading, or start-up failed."}})
def ready(holder: HolderDep) -> JSONResponse:
    service = holder.service
    if service is None:
        return JSONResponse({"status": "not_ready", "reason": holder.problem}, status_code=503)
    try:
        state = service.status()
        auth = "open" if service.keys.is_open() else "keys"
    except RagError as exc:  # the database is away: not ready until it is back
        return JSONResponse({"status": "not_ready", "reason": exc.message}, status_code=503)
    return JSONResponse(
        {
            "status": "ready",
            "model": state.model,
            "llm": state.llm,
            "documents": state.documents,
            "chunks": state.chunks,
            # "open": no API key is configured anywhere, and anyone who reaches it may do all.
            "auth": auth,
            # True: serving beside the version it replaces, which still owns the store's files.
            "standby": service.standby,
        }
    )
