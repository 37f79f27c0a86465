"""A real Postgres with pgvector for tests and benchmarks: the `pgvector/pgvector:pg17` image
(on these machines, the stand-in ../shared/ci/pgvector-image.sh builds) run on a Docker
engine, on a fixed host port so that a stop and a start (an outage) keep its address."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from ragctl.docker import Docker, Run

IMAGE = "pgvector/pgvector:pg17"
PASSWORD = "test-secret-pw"  # noqa: S105 - a throwaway container's, on loopback
READY_TIMEOUT_S = 120


@dataclass
class PostgresServer:
    docker: Docker
    name: str
    port: int

    @classmethod
    def start(cls, docker: Docker, port: int) -> PostgresServer:
        name = f"rag-test-pg-{uuid.uuid4().hex[:8]}"
        env = {"POSTGRES_PASSWORD": PASSWORD}
        publish = (f"127.0.0.1:{port}:5432",)
        docker.start_container(Run(IMAGE, name=name, env=env, publish=publish))
        server = cls(docker, name, port)
        try:
            server.wait_ready()
        except BaseException:
            server.remove()
            raise
        return server

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def _answers(self) -> bool:
        try:
            with psycopg.connect(self.url(), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            return False

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self._answers():
            if time.monotonic() > deadline:
                logs = self.docker.logs_tail(self.name)
                raise TimeoutError(f"Postgres did not answer in {READY_TIMEOUT_S} s:\n{logs}")
            time.sleep(0.2)

    def new_database(self) -> str:
        """The URL of a new, empty database on this server."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        self.docker.stop_container(self.name, timeout=5)

    def resume(self) -> None:
        self.docker.start_stopped(self.name)
        self.wait_ready()

    @contextmanager
    def outage(self) -> Iterator[None]:
        self.stop()
        try:
            yield
        finally:
            self.resume()

    def remove(self) -> None:
        self.docker.remove_container(self.name, volumes=True)
