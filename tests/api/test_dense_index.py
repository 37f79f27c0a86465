"""The dense index file beside the store, through the real service: rebuilt when deleted,
repaired after a kill -9 that left it behind the store, and exact under selective filters."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from conftest import Service
from helpers import ingest_text, store_problems

TOPICS = (
    "Glaciers carve valleys as ice flows slowly downhill under its own weight.",
    "Sourdough bread rises because wild yeast ferments the flour and water.",
    "Lighthouses warn ships of rocks with a beam that turns through the night.",
    "Honeybees dance to tell the hive where the richest flowers are found.",
)


def _dense(http: httpx.Client, query: str, top_k: int = 5, **extra: Any) -> list[dict[str, Any]]:
    response = http.post(
        "/v1/retrieve", json={"query": query, "top_k": top_k, "mode": "dense", **extra}
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def _stored_chunks(storage: Path) -> int:
    with sqlite3.connect(storage / "rag.sqlite3") as conn:
        return int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])


def _store_topics(services: Callable[..., Service], storage: Path) -> list[str]:
    """TOPICS uploaded to a service on `storage`, stopped cleanly (which saves the index)."""
    service = services(storage_dir=storage)
    with service.client() as http:
        ids = [ingest_text(http, text)["id"] for text in TOPICS]
    service.stop()
    return ids


def test_restart_without_index_file_rebuilds_it(
    services: Callable[..., Service], tmp_path: Path
) -> None:
    storage = tmp_path / "storage"
    ids = _store_topics(services, storage)
    (storage / "rag.hnsw").unlink()
    restarted = services(storage_dir=storage)
    with restarted.client() as http:
        assert http.get("/ready").json()["chunks"] == _stored_chunks(storage)
        assert _dense(http, "where do bees find flowers", 1)[0]["document_id"] == ids[3]
    assert (storage / "rag.hnsw").is_file()


def test_kill_before_index_save_leaves_no_ghost_and_no_gap(
    services: Callable[..., Service], tmp_path: Path
) -> None:
    storage = tmp_path / "storage"
    ids = _store_topics(services, storage)
    saved = (storage / "rag.hnsw").stat().st_mtime_ns
    second = services(storage_dir=storage, RAG_ANN_SAVE_SECONDS="3600")
    with second.client() as http:
        assert http.delete(f"/v1/documents/{ids[0]}").status_code == 204
        added = ingest_text(http, "Volcanoes erupt when magma pressure breaks the crust.")["id"]
    second.kill()
    assert (storage / "rag.hnsw").stat().st_mtime_ns == saved  # the file missed both changes
    assert store_problems(storage / "rag.sqlite3") == []

    third = services(storage_dir=storage)
    with third.client() as http:
        assert http.get("/ready").json()["chunks"] == _stored_chunks(storage)
        served = {hit["document_id"] for hit in _dense(http, TOPICS[0], 20)}
        assert ids[0] not in served and served == {*ids[1:], added}
        assert _dense(http, "magma breaking the crust", 1)[0]["document_id"] == added


def test_selective_metadata_filter_fills_top_k(service: Service) -> None:
    rare_text = "\n\n".join(
        f"Rare report {n}: the otter census counted families along the river bend."
        + " More notes follow here." * 40
        for n in range(8)
    )
    with service.client() as http:
        for n in range(20):
            ingest_text(http, f"Common filler {n}: otters, rivers and census notes.", tag="common")
        rare = ingest_text(http, rare_text, tag="rare-tag")
        assert rare["chunk_count"] >= 5
        for mode in ("dense", "hybrid", "keyword"):
            response = http.post(
                "/v1/retrieve",
                json={
                    "query": "otter census",
                    "top_k": 5,
                    "mode": mode,
                    "filters": {"metadata": {"tag": "rare-tag"}},
                },
            )
            hits = response.json()["results"]
            assert len(hits) == 5 and {h["document_id"] for h in hits} == {rare["id"]}, mode
