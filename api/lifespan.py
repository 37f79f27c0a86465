"""Start-up and shut-down: the model and store load in the background so `/health`
answers at once and `/ready` turns 200 only when the service can do its work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from api.auth import redact_access_log
from src.config import Settings
from src.errors import RagError
from src.service import RagService

log = logging.getLogger("rag_api")


class ServiceHolder:
    """Where routes find the service; empty (with a reason) until it has loaded."""

    def __init__(self) -> None:
        self.service: RagService | None = None
        self.problem = "loading the embedding model and the store"

    async def load(self, settings: Settings) -> None:
        try:
            self.service = await asyncio.to_thread(RagService.open, settings)
        except RagError as exc:
            self.problem = f"start-up failed: {exc.message}" + (
                f" ({exc.hint})" if exc.hint else ""
            )
            log.error("%s", self.problem)
        except Exception as exc:
            self.problem = f"start-up failed: {type(exc).__name__}: {exc}"
            log.exception("start-up failed")
        else:
            log.info(
                "ready: model %s, store %s", self.service.embedder.name, settings.database_path
            )


def build_lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redact_access_log()  # uvicorn has configured its loggers by now
        holder = ServiceHolder()
        app.state.settings = settings
        app.state.holder = holder
        loading = asyncio.create_task(holder.load(settings))
        try:
            yield
        finally:
            await loading
            if holder.service is not None:
                await holder.service.aclose()

    return lifespan
