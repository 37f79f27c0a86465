"""A small server of the served-model APIs for tests: real HTTP, scripted behaviour.

    python tests/fake_embeddings.py PORT

POST /v1/embeddings answers {"data": [{"index", "embedding"}]}: each text hashed into a bag of
its character bigrams and words, so texts that share words get close vectors (in any script),
and the same text always gets the same vector. POST /v1/rerank (Cohere, Jina, vLLM:
{model, query, documents, top_n} -> {"results": [{"index", "relevance_score"}]}) and
POST /rerank (Text Embeddings Inference: {query, texts} -> [{"index", "score"}]) score a
passage by the share of the query's words it holds, best first. POST /control sets
{"mode": "ok" | "error" | "slow" | "garbage" | "flaky", "delay": s, "failures": n,
"dimension": d, "fail_after": n}: "flaky" answers 429 to the next `failures` requests, then
as "ok"; `fail_after` answers 503 once that many more requests succeeded. GET /last returns
the number of requests and the last body.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import sys
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

STATE: dict[str, Any] = {
    "mode": "ok",
    "delay": 0.0,
    "failures": 0,
    "dimension": 64,
    "fail_after": None,
    "last": None,
    "calls": 0,
}


def _features(text: str) -> list[str]:
    compact = re.sub(r"\s+", "", text.lower())
    return re.findall(r"\w+", text.lower()) + [compact[i : i + 2] for i in range(len(compact) - 1)]


def vector(text: str, dimension: int) -> list[float]:
    values = [0.0] * dimension
    for feature in _features(text) or [text]:
        digest = hashlib.sha256(feature.encode()).digest()
        values[int.from_bytes(digest[:4], "little") % dimension] += 1.0
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


async def control(request: Request) -> JSONResponse:
    STATE.update(await request.json())
    return JSONResponse({"ok": True})


async def last(request: Request) -> JSONResponse:
    return JSONResponse({"last": STATE["last"], "calls": STATE["calls"]})


def _failure() -> Response | None:
    mode = STATE["mode"]
    if mode == "error":
        return JSONResponse({"error": {"message": "embedding model crashed"}}, status_code=500)
    if mode == "flaky" and STATE["failures"] > 0:
        STATE["failures"] -= 1
        return JSONResponse({"error": {"message": "slow down"}}, 429, {"Retry-After": "0"})
    if STATE["fail_after"] is not None:
        if STATE["fail_after"] <= 0:
            return JSONResponse({"error": {"message": "went away"}}, status_code=503)
        STATE["fail_after"] -= 1
    if mode == "garbage":
        return JSONResponse({"data": [{"index": 0, "embedding": [1.0]}]})
    return None


async def embeddings(request: Request) -> Response:
    body = await request.json()
    STATE["last"] = body
    STATE["calls"] += 1
    if STATE["mode"] == "slow":
        await asyncio.sleep(float(STATE["delay"]))
    if (failure := _failure()) is not None:
        return failure
    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
    data = [
        {"object": "embedding", "index": i, "embedding": vector(text, STATE["dimension"])}
        for i, text in reversed(list(enumerate(texts)))  # out of order, as the spec allows
    ]
    usage = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
    return JSONResponse({"object": "list", "data": data, "model": body["model"], "usage": usage})


def relevance(query: str, passage: str) -> float:
    asked = set(re.findall(r"\w+", query.lower()))
    held = set(re.findall(r"\w+", passage.lower()))
    return len(asked & held) / (len(asked) or 1)


async def _scored(request: Request, texts_field: str) -> tuple[dict[str, Any], list[float]]:
    body = await request.json()
    STATE["last"] = body
    STATE["calls"] += 1
    if STATE["mode"] == "slow":
        await asyncio.sleep(float(STATE["delay"]))
    return body, [relevance(body["query"], text) for text in body[texts_field]]


async def cohere_rerank(request: Request) -> Response:
    body, scores = await _scored(request, "documents")
    if (failure := _failure()) is not None:
        return failure
    order = sorted(range(len(scores)), key=lambda i: -scores[i])[: body.get("top_n")]
    results = [{"index": i, "relevance_score": scores[i]} for i in order]
    return JSONResponse({"id": "rerank-1", "results": results, "model": body.get("model")})


async def tei_rerank(request: Request) -> Response:
    _, scores = await _scored(request, "texts")
    if (failure := _failure()) is not None:
        return failure
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    return JSONResponse([{"index": i, "score": scores[i]} for i in order])


app = Starlette(
    routes=[
        Route("/v1/embeddings", embeddings, methods=["POST"]),
        Route("/v1/rerank", cohere_rerank, methods=["POST"]),
        Route("/rerank", tei_rerank, methods=["POST"]),
        Route("/control", control, methods=["POST"]),
        Route("/last", last, methods=["GET"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
