"""A client polling a URL from a thread, as users would during a deploy."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx


class Poller:
    """Polls `url` from a thread, as a client would during a deploy: records every failure and
    the longest stretch without a good answer."""

    def __init__(self, url: str, interval: float = 0.1) -> None:
        self.url, self.interval = url, interval
        self.failures: list[str] = []
        self.answers = 0
        self.longest_gap = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last_good = time.monotonic()
        while not self._stop.is_set():
            try:
                status = httpx.get(self.url, timeout=2).status_code
                ok = status == 200
                if not ok:
                    self.failures.append(str(status))
            except httpx.HTTPError as exc:
                ok = False
                self.failures.append(type(exc).__name__)
            now = time.monotonic()
            if ok:
                self.answers += 1
                last_good = now
            self.longest_gap = max(self.longest_gap, now - last_good)
            time.sleep(self.interval)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def wait_ok(
    url: str,
    timeout: float = 300,
    interval: float = 0.02,
    alive: Callable[[], bool] = lambda: True,
) -> float:
    """Poll `url` until it answers 200 and return the seconds that took; give up after
    `timeout`, or as soon as `alive()` says whatever should answer has gone."""
    started = time.monotonic()
    while time.monotonic() - started < timeout and alive():
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:g} s")
