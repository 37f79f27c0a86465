"""A version serving beside the one it replaces (on standby: see src/store/sqlite/owner.py)
takes in what that one wrote since, when told with SIGUSR2: a deploy sends it just before
routing requests to it (`docker kill --signal SIGUSR2`). A signal, not a route: only whoever
runs the container can send it, with no key to keep. It takes ownership by itself, when the
other exits."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the lifespan installs the signal: no import back at run time
    from api.lifespan import ServiceHolder

log = logging.getLogger("rag_api")
REFRESH = signal.SIGUSR2


class RefreshSignal:
    """Each signal refreshes the service once it has loaded, one at a time."""

    def __init__(self, holder: ServiceHolder, loading: asyncio.Task[None]) -> None:
        self._holder = holder
        self._loading = loading
        self._order = asyncio.Lock()
        self._pending: set[asyncio.Task[None]] = set()
        self._installed = False

    def install(self) -> None:
        """Signals reach the main thread's loop only (not an app under a test client)."""
        if threading.current_thread() is threading.main_thread():
            asyncio.get_running_loop().add_signal_handler(REFRESH, self._told)
            self._installed = True

    async def aclose(self) -> None:
        """The handler removed; a refresh already begun is finished (it cannot be stopped)."""
        if self._installed:
            asyncio.get_running_loop().remove_signal_handler(REFRESH)
        await asyncio.gather(*self._pending, return_exceptions=True)

    def _told(self) -> None:
        task = asyncio.create_task(self._refresh())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _refresh(self) -> None:
        async with self._order:
            await asyncio.wait([self._loading])
            service = self._holder.service
            if service is None or not service.standby:
                return  # nothing to catch up with: it owns the store
            try:
                await asyncio.to_thread(service.refresh)
            except Exception:
                log.exception("catching up with the store failed: it is served as it was")
