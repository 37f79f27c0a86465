"""Shared fixtures: the real service as a subprocess on a free port, a fake LLM server,
and the exported embedding model."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import require, wait_until
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from ragctl.docker import Docker
from ragctl.errors import RagctlError
from rig.postgres import IMAGE as POSTGRES_IMAGE
from rig.postgres import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
# Debian's chromium: Playwright's own browser download cannot reach its host here.
CHROMIUM = Path(os.environ.get("RAG_TEST_CHROMIUM", "/usr/bin/chromium"))
MODEL_DIR = Path(os.environ.get("RAG_TEST_MODEL_DIR", ROOT / "models" / "all-MiniLM-L6-v2"))
START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str, expect: int = 200) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == expect
    except httpx.HTTPError:
        return False


@dataclass
class Service:
    """`python main.py` running in a subprocess with its own storage dir."""

    url: str
    storage_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def start_service(
    storage_dir: Path, log_dir: Path, wait_ready: bool = True, **settings: str
) -> Service:
    port = free_port()
    env = {
        **os.environ,
        "RAG_HOST": "127.0.0.1",
        "RAG_PORT": str(port),
        "RAG_STORAGE_DIR": str(storage_dir),
        "RAG_MODEL_DIR": str(MODEL_DIR),
        "RAG_API_KEYS": "",
        "LLM_BASE_URL": "",
        "LLM_MODEL": "",
        "RAG_EMBEDDING_BASE_URL": "",
        "RAG_EMBEDDING_MODEL": "",
        **settings,
    }
    log_path = log_dir / f"service-{port}.log"
    with log_path.open("wb") as log:
        # cwd elsewhere than the repo: the service must not depend on where it is started.
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=log_dir,
        )
    service = Service(f"http://127.0.0.1:{port}", storage_dir, process, log_path, settings)
    try:
        wait_until(
            lambda: _answers(f"{service.url}/health") or process.poll() is not None,
            START_TIMEOUT_S,
            "/health",
        )
        if wait_ready:
            wait_until(lambda: _answers(f"{service.url}/ready"), START_TIMEOUT_S, "/ready")
    except TimeoutError:
        service.stop()
        raise RuntimeError(f"service did not start:\n{service.log()}") from None
    return service


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The exported embedding model. Exporting it needs PyTorch (minutes, once), so a test
    that needs the model is skipped without it locally; scripts/test.sh exports it first."""
    require(
        (MODEL_DIR / "manifest.json").is_file(),
        f"no exported model at {MODEL_DIR} (uv run python -m model_export exports it once)",
    )
    return MODEL_DIR


@pytest.fixture(scope="session")
def e5_dir(model_dir: Path) -> Path:
    """The multilingual local model's folder beside the bundled one (scripts/_uv.sh makes it)."""
    folder = model_dir.parent / "multilingual-e5-small"
    require(
        (folder / "manifest.json").is_file(),
        f"no multilingual model at {folder} (uv run python -m model_export.e5 makes it)",
    )
    return folder


@pytest.fixture(scope="session")
def services(
    model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Service]]:
    """A factory: services(**settings) starts one more service; all stop at the end."""
    started: list[Service] = []

    def make(storage_dir: Path | None = None, wait_ready: bool = True, **settings: str) -> Service:
        storage = storage_dir or tmp_path_factory.mktemp("storage")
        service = start_service(storage, tmp_path_factory.mktemp("logs"), wait_ready, **settings)
        started.append(service)
        return service

    yield make
    for service in started:
        service.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A Postgres with pgvector in a container, for the whole session. In CI (any true CI) a
    missing engine or image fails the tests that need it; elsewhere they are skipped."""
    docker = Docker()
    try:
        present = docker.ok("image", "inspect", POSTGRES_IMAGE)
    except RagctlError:
        present = False
    require(present, f"no Docker engine with {POSTGRES_IMAGE} (run ../shared/ci/pgvector-image.sh)")
    server = PostgresServer.start(docker, free_port())
    yield server
    server.remove()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium driven by Playwright. In CI (any true CI) a missing browser fails
    the tests that need it; elsewhere they are skipped."""
    require(CHROMIUM.is_file(), f"no browser at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


@pytest.fixture()
def context(browser: Browser) -> Iterator[Callable[..., Page]]:
    """A factory of pages, each in a browser context of its own (a new browser session)."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_page(service: Service, **options: object) -> Page:
        contexts.append(browser.new_context(base_url=service.url, **options))  # type: ignore[arg-type]
        opened = contexts[-1].new_page()
        opened.on("pageerror", lambda error: errors.append(str(error)))
        return opened

    yield open_page
    for opened in contexts:
        opened.close()
    assert errors == [], "the page's JavaScript failed"


@pytest.fixture()
def pg_url(postgres: PostgresServer) -> str:
    """The URL of a new, empty database: one per test."""
    return postgres.new_database()


@pytest.fixture(scope="session")
def service(services: Callable[..., Service]) -> Service:
    """The shared default service: embedded defaults, no LLM, no auth."""
    return services()


@pytest.fixture()
def client(service: Service) -> Iterator[httpx.Client]:
    with service.client() as http:
        yield http


@dataclass
class FakeLLM:
    url: str
    process: subprocess.Popen[bytes]

    def set(self, mode: str = "ok", delay: float = 0.0, word_delay: float = 0.001) -> None:
        body = {"mode": mode, "delay": delay, "word_delay": word_delay, "answer": None}
        httpx.post(f"{self.url}/control", json=body).raise_for_status()

    def last(self) -> dict[str, Any]:
        data: dict[str, Any] = httpx.get(f"{self.url}/last").json()
        return data


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[FakeLLM]:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "rig" / "fake_llm.py"), str(port)])
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(f"{url}/last"), 30, "the fake LLM")
    yield FakeLLM(url, process)
    process.kill()  # a "slow" request may still be sleeping: no graceful wait for it
    process.wait(10)


@dataclass
class FakeEmbeddings:
    """tests/fake_embeddings.py, running: an OpenAI-compatible /v1/embeddings."""

    url: str
    process: subprocess.Popen[bytes]

    def set(self, mode: str = "ok", **state: Any) -> None:
        defaults = {"delay": 0.0, "failures": 0, "dimension": 64, "fail_after": None}
        body = {"mode": mode, **defaults, **state}
        httpx.post(f"{self.url}/control", json=body).raise_for_status()

    def calls(self) -> int:
        return int(httpx.get(f"{self.url}/last").json()["calls"])

    def last(self) -> Any:
        return httpx.get(f"{self.url}/last").json()["last"]

    def settings(self, model: str = "fake-embed") -> dict[str, str]:
        """The service settings that point at this server."""
        return {
            "RAG_EMBEDDING_BASE_URL": f"{self.url}/v1",
            "RAG_EMBEDDING_MODEL": model,
            "RAG_EMBEDDING_API_KEY": "sk-test-embeddings",
            "RAG_EMBEDDING_TIMEOUT_S": "2",
            "RAG_EMBEDDING_RETRIES": "2",
        }


@pytest.fixture(scope="session")
def fake_embeddings_server() -> Iterator[FakeEmbeddings]:
    port = free_port()
    script = ROOT / "tests" / "fake_embeddings.py"
    process = subprocess.Popen([sys.executable, str(script), str(port)])
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(f"{url}/last"), 30, "the fake embeddings server")
    yield FakeEmbeddings(url, process)
    process.kill()
    process.wait(10)


@pytest.fixture()
def fake_embeddings(fake_embeddings_server: FakeEmbeddings) -> Iterator[FakeEmbeddings]:
    fake_embeddings_server.set("ok")
    yield fake_embeddings_server
    fake_embeddings_server.set("ok")


@pytest.fixture(scope="session")
def llm_service(services: Callable[..., Service], fake_llm: FakeLLM) -> Service:
    return services(
        LLM_BASE_URL=f"{fake_llm.url}/v1",
        LLM_MODEL="fake-model",
        LLM_API_KEY="sk-test-upstream",
        LLM_TIMEOUT_S="2",
    )


@pytest.fixture()
def llm(fake_llm: FakeLLM) -> Iterator[FakeLLM]:
    fake_llm.set("ok")
    yield fake_llm
    fake_llm.set("ok")
