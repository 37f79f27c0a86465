"""A lock between searches and the commits that swap chunks in and out: a search (its index
walks and the reading of what they found) runs beside any other search, never across the
commit of a replace or a delete and the removal of the old chunks from the indexes that
follows it. So a search sees the old version in the store and the indexes, or the new one,
never a store without the chunks the indexes hand it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class SwapLock:
    """Shared for searches, exclusive for swaps; a waiting swap holds new searches back, so
    a steady stream of searches cannot starve it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._searches = 0
        self._swapping = False
        self._waiting = 0
        self._held = threading.local()  # searches this thread is in (nested ones share)

    @contextmanager
    def searching(self) -> Iterator[None]:
        depth = getattr(self._held, "depth", 0)
        self._held.depth = depth + 1
        try:
            if depth:
                yield
                return
            with self._shared():
                yield
        finally:
            self._held.depth = depth

    @contextmanager
    def _shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._swapping and not self._waiting)
            self._searches += 1
        try:
            yield
        finally:
            with self._cond:
                self._searches -= 1
                self._cond.notify_all()

    @contextmanager
    def swapping(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            self._cond.wait_for(lambda: not self._swapping and not self._searches)
            self._waiting -= 1
            self._swapping = True
        try:
            yield
        finally:
            with self._cond:
                self._swapping = False
                self._cond.notify_all()
