"""Users at work during a deploy: `clients` threads, each sending one kind of request after
another (a readiness probe, a retrieval, a streamed answer read to its end), recording every
failed request and the longest stretch one client went without a good answer (its requests'
own time included, as a user waits it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

QUESTION = "what does the service keep between versions?"
CLIENTS = 16


def _ready(http: httpx.Client) -> bool:
    return http.get("/ready").status_code == 200


def _retrieve(http: httpx.Client) -> bool:
    return http.post("/v1/retrieve", json={"query": QUESTION, "top_k": 3}).status_code == 200


def _streamed(http: httpx.Client) -> bool:
    """A streamed answer counts when it ends with its `done` event."""
    body = {"question": QUESTION, "stream": True}
    with http.stream("POST", "/v1/query", json=body) as response:
        text = "".join(response.iter_text())
    return response.status_code == 200 and "event: done" in text


KINDS: tuple[Callable[[httpx.Client], bool], ...] = (_ready, _retrieve, _streamed)


@dataclass
class Load:
    base_url: str
    clients: int = CLIENTS
    pause: float = 0.02  # between one client's requests
    failures: list[str] = field(default_factory=list)
    answers: int = 0
    streamed: int = 0
    longest_gap: float = 0.0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(KINDS[n % len(KINDS)],), daemon=True)
            for n in range(self.clients)
        ]

    def _run(self, kind: Callable[[httpx.Client], bool]) -> None:
        # A connection pool of its own per thread, kept alive across the switch as a real
        # client's is.
        last_good = time.monotonic()
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            while not self._stop.is_set():
                try:
                    ok = kind(http)
                    problem = "" if ok else f"{kind.__name__}: bad answer"
                except httpx.HTTPError as exc:
                    ok, problem = False, f"{kind.__name__}: {type(exc).__name__}"
                now = time.monotonic()
                self._record(ok, problem, kind is _streamed, now - last_good)
                last_good = now if ok else last_good
                time.sleep(self.pause)

    def _record(self, ok: bool, problem: str, streamed: bool, waited: float) -> None:
        with self._lock:
            if ok:
                self.answers += 1
                self.streamed += streamed
            else:
                self.failures.append(problem)
            self.longest_gap = max(self.longest_gap, waited)

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
