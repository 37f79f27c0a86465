"""Start-up and shut-down: the model and store load in the background so `/health`
answers at once and `/ready` turns 200 only when the service can do its work."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from api.auth import redact_access_log
from api.standby import RefreshSignal
from src.config import Settings
from src.errors import RagError, StandbyRefusedError, StoreUnavailableError
from src.service import RagService
from src.wiring import open_service

log = logging.getLogger("rag_api")
# First and longest pause between start-up's tries to reach the database, in seconds.
DATABASE_RETRY_S = (1.0, 10.0)


class ServiceHolder:
    """Where routes find the service; empty (with a reason) until it has loaded."""

    def __init__(self, stop_serving: Callable[[], None] = lambda: None) -> None:
        """`stop_serving`: ends the server (the start-up cannot succeed)."""
        self.service: RagService | None = None
        self._stop_serving = stop_serving
        self.problem = "loading the embedding model and the store"
        self._stopping = threading.Event()
        self._retry_s = DATABASE_RETRY_S[0]
        self.refused = False  # beside another process, and the store could not be shared: exit

    def _wait_for_database(self, problem: StoreUnavailableError) -> bool:
        """Start-up found the database unreachable: say so on /ready, then try again
        (backing off to DATABASE_RETRY_S[1]) unless the service is shutting down."""
        self.problem = f"waiting for the database: {problem.message}"
        log.warning("%s; retrying in %.0f s", self.problem, self._retry_s)
        stopping = self._stopping.wait(self._retry_s)
        self._retry_s = min(self._retry_s * 2, DATABASE_RETRY_S[1])
        return not stopping

    def stop_waiting(self) -> None:
        self._stopping.set()

    async def load(self, settings: Settings) -> None:
        try:
            self.service = await asyncio.to_thread(open_service, settings, self._wait_for_database)
        except StandbyRefusedError as exc:
            # Nothing to wait for: the deploy that started it falls back to a stop and start.
            self.problem = f"cannot start beside the serving version: {exc.message} ({exc.hint})"
            log.error("%s", self.problem)
            self.refused = True
            self._stop_serving()
        except RagError as exc:
            self.problem = f"start-up failed: {exc.message}" + (
                f" ({exc.hint})" if exc.hint else ""
            )
            log.error("%s", self.problem)
        except Exception as exc:
            self.problem = f"start-up failed: {type(exc).__name__}: {exc}"
            log.exception("start-up failed")
        else:
            service = self.service
            log.info("ready: model %s, store %s", service.embedding_model, service.where)
            if await asyncio.to_thread(service.keys.is_open):
                log.warning(
                    "no API key is configured (RAG_API_KEYS is empty and the store holds "
                    "none): the service is open to anyone who can reach it; make a key with "
                    "`python -m src.keys create --role admin`"
                )


def build_lifespan(
    settings: Settings, *running: Callable[[], AbstractAsyncContextManager[None]]
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """`running`: what else lives as long as the app (the MCP endpoint's task group)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redact_access_log()  # uvicorn has configured its loggers by now
        holder = ServiceHolder(getattr(app.state, "stop_serving", lambda: None))
        app.state.settings = settings
        app.state.holder = holder
        loading = asyncio.create_task(holder.load(settings))
        refresh = RefreshSignal(holder, loading)
        refresh.install()
        try:
            async with AsyncExitStack() as stack:
                for part in running:
                    await stack.enter_async_context(part())
                yield
        finally:
            holder.stop_waiting()
            await loading
            await refresh.aclose()
            if holder.service is not None:
                await holder.service.aclose()

    return lifespan
