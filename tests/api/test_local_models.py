"""RAG_LOCAL_MODEL: the bundled model in fp32 and int8 (the default for a new store) and the
multilingual model, served from the same build; a store keeps its model when none is named,
and the store's model guard refuses another."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
from conftest import Service
from helpers import ingest_text

FP32 = "all-MiniLM-L6-v2"
INT8 = "all-MiniLM-L6-v2-int8"
E5 = "multilingual-e5-small"


def test_local_model_unset_for_a_new_store_is_int8_and_ranks(
    services: Callable[..., Service],
) -> None:
    service = services()
    with service.client() as http:
        assert http.get("/ready").json()["model"] == INT8
        volcano = ingest_text(http, "Volcanoes erupt when magma rises as lava.", "volcano")["id"]
        ingest_text(http, "Sourdough bread rises slowly overnight.", "bread")
        body = {"query": "why does lava come out of a mountain", "mode": "dense", "top_k": 1}
        assert http.post("/v1/retrieve", json=body).json()["results"][0]["document_id"] == volcano


def test_local_model_on_a_store_of_the_other_is_not_ready(
    services: Callable[..., Service], tmp_path: Path
) -> None:
    storage = tmp_path / "store"
    first = services(storage_dir=storage, RAG_LOCAL_MODEL=FP32)
    with first.client() as http:
        ingest_text(http, "Goats graze the meadow.", "goats")
    first.stop()
    second = services(storage_dir=storage, wait_ready=False, RAG_LOCAL_MODEL=INT8)
    with second.client() as http:
        body = _unready(http)
    assert INT8 in body["reason"] and "reindex" in body["reason"]


def test_local_model_unset_keeps_the_model_the_store_holds(
    services: Callable[..., Service], tmp_path: Path
) -> None:
    storage = tmp_path / "store"
    first = services(storage_dir=storage, RAG_LOCAL_MODEL=FP32)
    with first.client() as http:
        goats = ingest_text(http, "Goats graze the meadow.", "goats")["id"]
        ingest_text(http, "Sourdough bread rises slowly overnight.", "bread")
    first.stop()
    second = services(storage_dir=storage)
    with second.client() as http:
        assert http.get("/ready").json()["model"] == FP32
        body = {"query": "animals eating grass", "mode": "dense", "top_k": 1}
        assert http.post("/v1/retrieve", json=body).json()["results"][0]["document_id"] == goats


def _unready(http: httpx.Client) -> dict[str, str]:
    deadline = time.monotonic() + 60
    while True:
        response = http.get("/ready")
        body = dict(response.json())
        if response.status_code == 503 and "start-up failed" in body.get("reason", ""):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.2)


def test_local_model_e5_retrieves_chinese_by_dense(
    services: Callable[..., Service],
) -> None:
    service = services(RAG_LOCAL_MODEL=E5)
    with service.client() as http:
        assert http.get("/ready").json()["model"] == E5
        panda = ingest_text(http, "大熊猫主要生活在四川的竹林里，以竹子为食。", "熊猫")["id"]
        ingest_text(http, "港口城市的灯塔建于一八七一年。", "灯塔")
        for query in ("大熊猫平时吃什么？", "哪种动物住在竹林里"):
            body = {"query": query, "mode": "dense", "top_k": 1}
            results = http.post("/v1/retrieve", json=body).json()["results"]
            assert [r["document_id"] for r in results] == [panda], query
