"""A version started on standby (RAG_STANDBY) beside the one it replaces learns from signals
what that one is doing (ragctl sends them with `docker kill --signal`): SIGUSR2, it may have
written since this one opened the store (catch up); SIGUSR1, it has stopped (take over).
Signals, not a route: only whoever runs the container can send them, with no key to keep."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the lifespan installs these signals: no import back at run time
    from api.lifespan import ServiceHolder

log = logging.getLogger("rag_api")
TAKE_OVER = signal.SIGUSR1
REFRESH = signal.SIGUSR2


class StandbySignals:
    """Each signal runs its work once the service has loaded, one at a time, in order."""

    def __init__(self, holder: ServiceHolder, loading: asyncio.Task[None]) -> None:
        self._holder = holder
        self._loading = loading
        self._order = asyncio.Lock()
        self._pending: set[asyncio.Task[None]] = set()

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (TAKE_OVER, REFRESH):
            loop.add_signal_handler(signum, self._told, signum)

    async def aclose(self) -> None:
        """Handlers removed; work already begun is finished (it cannot be interrupted)."""
        loop = asyncio.get_running_loop()
        for signum in (TAKE_OVER, REFRESH):
            loop.remove_signal_handler(signum)
        await asyncio.gather(*self._pending, return_exceptions=True)

    def _told(self, signum: signal.Signals) -> None:
        task = asyncio.create_task(self._run(signum))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _run(self, signum: signal.Signals) -> None:
        async with self._order:
            await asyncio.wait([self._loading])
            service = self._holder.service
            if service is None:
                log.warning("%s ignored: the service did not load", signum.name)
                return
            work = service.take_over if signum == TAKE_OVER else service.refresh
            try:
                await asyncio.to_thread(work)
            except Exception:
                log.exception("%s failed: the store is served as it was", signum.name)
