"""A small OpenAI-compatible chat server for tests: real HTTP, scripted behaviour.

    python rig/fake_llm.py PORT

POST /control {"mode": "ok" | "error" | "slow" | "garbage", "delay": seconds,
"word_delay": seconds, "answer": text or null} changes how the next chat completions are
answered (a stream sends one word per word_delay; a set answer is sent as it is, else the
answer repeats the question); GET /last returns the last request body.
In "ok" mode the answer cites passage [1] and repeats the question.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

STATE: dict[str, Any] = {
    "mode": "ok",
    "delay": 0.0,
    "word_delay": 0.001,
    "answer": None,
    "last": None,
    "calls": 0,
}


def _answer(body: dict[str, Any]) -> str:
    if STATE["answer"]:
        return str(STATE["answer"])
    question = body["messages"][-1]["content"]
    return f"According to the passages, the answer to '{question}' is in [1]."


async def control(request: Request) -> JSONResponse:
    STATE.update(await request.json())
    return JSONResponse(
        {"ok": True, **{k: STATE[k] for k in ("mode", "delay", "word_delay", "answer")}}
    )


async def last(request: Request) -> JSONResponse:
    return JSONResponse({"last": STATE["last"], "calls": STATE["calls"]})


async def chat(request: Request) -> Response:
    body = await request.json()
    STATE["last"] = body
    STATE["calls"] += 1
    mode = STATE["mode"]
    if mode == "error":
        return JSONResponse({"error": {"message": "model overloaded"}}, status_code=500)
    if mode == "slow":
        await asyncio.sleep(float(STATE["delay"]))
    if mode == "garbage":
        return Response("not json", media_type="text/plain")
    text = _answer(body)
    if body.get("stream"):
        return StreamingResponse(_stream(body["model"], text), media_type="text/event-stream")
    return JSONResponse(
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text},
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


async def _stream(model: str, text: str) -> Any:
    words = text.split(" ")
    for index, word in enumerate(words):
        delta = word if index == len(words) - 1 else word + " "
        chunk = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": {"content": delta}, "finish_reason": None}],
        }
        yield f"data: {json.dumps(chunk)}\n\n"
        await asyncio.sleep(float(STATE["word_delay"]))
    yield "data: [DONE]\n\n"


app = Starlette(
    routes=[
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/control", control, methods=["POST"]),
        Route("/last", last, methods=["GET"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
