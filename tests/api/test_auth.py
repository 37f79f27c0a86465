"""API keys: every /v1 route needs one (from RAG_API_KEYS or made by the service) unless none
is configured anywhere; health, readiness and metrics never do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import openai
import pytest
from conftest import Service

KEYS = ("key-alpha-7f3a", "key-beta-91c2")


@pytest.fixture(scope="module")
def secured(services: Callable[..., Service]) -> Service:
    return services(RAG_API_KEYS=f" {KEYS[0]} ,{KEYS[1]}")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "key-alpha"}, {"Authorization": KEYS[0]}],
)
def test_v1_without_valid_key_returns_401(secured: Service, headers: dict[str, str]) -> None:
    with secured.client(**headers) as http:
        for method, path in [
            ("GET", "/v1/documents"),
            ("POST", "/v1/retrieve"),
            ("GET", "/v1/jobs/x"),
            ("POST", "/v1/chat/completions"),
        ]:
            response = http.request(method, path, json={"query": "x"})
            assert response.status_code == 401, (method, path)
            assert response.headers["www-authenticate"] == "Bearer"
            assert "API key" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {KEYS[0]}"},
        {"authorization": f"bearer {KEYS[1]}"},
        {"X-API-Key": KEYS[1]},
    ],
)
def test_v1_with_valid_key_is_served(secured: Service, headers: dict[str, str]) -> None:
    with secured.client(**headers) as http:
        assert http.get("/v1/documents").status_code == 200
        assert http.post("/v1/documents", json={"text": "authorised text"}).status_code in (
            200,
            201,
        )


def test_probes_need_no_key(secured: Service) -> None:
    with secured.client() as http:
        for path in ("/health", "/ready", "/metrics"):
            assert http.get(path).status_code == 200


def test_openai_client_uses_key_as_bearer(secured: Service) -> None:
    client = openai.OpenAI(base_url=f"{secured.url}/v1", api_key=KEYS[1], max_retries=0)
    assert client.models.list().data
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{secured.url}/v1", api_key="nope", max_retries=0).models.list()


def test_keys_never_logged(secured: Service) -> None:
    with secured.client(Authorization=f"Bearer {KEYS[0]}") as http:
        http.get("/v1/documents")
    with secured.client(Authorization="Bearer wrong-key-zzz") as http:
        http.get("/v1/documents")
    log = secured.log()
    assert "GET /v1/documents" in log
    for secret in (*KEYS, "wrong-key-zzz"):
        assert secret not in log


def test_v1_malformed_body_without_key_returns_401_not_422(secured: Service) -> None:
    with secured.client() as http:
        for path in ("/v1/retrieve", "/v1/documents", "/v1/chat/completions"):
            response = http.post(
                path, content=b'{"unterminated', headers={"content-type": "application/json"}
            )
            assert response.status_code == 401, (path, response.text)


def test_key_in_query_string_is_refused_and_redacted_from_log(secured: Service) -> None:
    with secured.client() as http:
        for name in ("api_key", "key", "token"):
            response = http.get("/v1/documents", params={name: KEYS[0], "limit": 2})
            assert response.status_code == 401
    log = secured.log()
    assert "api_key=[redacted]&limit=2" in log
    assert KEYS[0] not in log


def test_openapi_declares_both_key_schemes(secured: Service) -> None:
    with secured.client() as http:
        schema = http.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    retrieve = schema["paths"]["/v1/retrieve"]["post"]
    assert {name for requirement in retrieve["security"] for name in requirement} == set(schemes)


@pytest.mark.parametrize("value", [" , ", ",", " ,, , "])
def test_key_list_without_usable_key_refuses_to_start(
    services: Callable[..., Service], value: str
) -> None:
    service = services(wait_ready=False, RAG_API_KEYS=value)
    service.process.wait(60)
    assert service.process.returncode != 0
    assert "RAG_API_KEYS is set but holds no usable key" in service.log()


def test_service_without_any_key_says_it_is_open(services: Callable[..., Service]) -> None:
    service = services()
    with service.client() as http:
        assert http.get("/ready").json()["auth"] == "open"
        assert http.get("/v1/documents").status_code == 200
        made = http.post("/v1/keys", json={"name": "first", "role": "admin"})
        assert made.status_code == 201
        assert http.get("/v1/documents").status_code == 401  # the first key closes it
        assert http.get("/ready").json()["auth"] == "keys"
    with service.client(Authorization=f"Bearer {made.json()['key']}") as http:
        assert http.get("/v1/documents").status_code == 200
    assert "the service is open to anyone" in service.log()


def test_first_key_from_command_line_closes_a_fresh_store(
    services: Callable[..., Service], tmp_path: Path
) -> None:
    made = subprocess.run(
        [sys.executable, "-m", "src.keys", "create", "--role", "admin", "--name", "ops"],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "RAG_STORAGE_DIR": str(tmp_path), "RAG_DATABASE_URL": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    key = json.loads(made.stdout)["key"]
    service = services(storage_dir=tmp_path)
    with service.client() as http:
        assert http.get("/v1/documents").status_code == 401
        assert http.get("/ready").json()["auth"] == "keys"
    with service.client(**{"X-API-Key": key}) as http:
        assert http.get("/v1/documents").status_code == 200
    assert "open to anyone" not in service.log()
