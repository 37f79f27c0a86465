"""Which service process owns an embedded store's folder: the one holding an exclusive lock
on a file in it, for as long as it runs (the kernel lets go when it exits, however it ends).

A second service process on the same folder (a deploy's next version, started beside the
serving one) does not get the lock: it opens the store on standby and serves from it, and
takes ownership when the lock comes free. A container restarted alone finds it free at once.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from pathlib import Path

LOCK_FILE = "rag.owner.lock"
POLL_S = 0.2  # how often a process on standby tries the lock


class OwnerLock:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / LOCK_FILE
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except PermissionError:  # made by another user (root on the host): a lock needs no write
            self._fd = os.open(path, os.O_RDONLY)
        self.held = False
        self._stop = threading.Event()
        self._waiter: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lock if it is free; whether this process holds it now."""
        if not self.held:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.held = True
            except BlockingIOError:
                pass
        return self.held

    def when_acquired(self, then: Callable[[], None]) -> None:
        """Call `then` (on a thread of its own) once this process holds the lock."""
        self._waiter = threading.Thread(
            target=self._wait, args=(then,), name="store-owner", daemon=True
        )
        self._waiter.start()

    def _wait(self, then: Callable[[], None]) -> None:
        while not self.acquire():
            if self._stop.wait(POLL_S):
                return
        then()

    def stop_waiting(self) -> None:
        """No take-over from now on (one under way is finished first)."""
        self._stop.set()
        if self._waiter is not None and self._waiter is not threading.current_thread():
            self._waiter.join()

    def release(self) -> None:
        os.close(self._fd)  # lets go of the lock, if held
