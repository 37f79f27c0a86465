"""OpenAI-compatible embeddings with the service's own model: other tools get vectors that
live in the same space as the store's (a query embedded here searches it as /v1 would)."""

from __future__ import annotations

import base64

import numpy as np
from fastapi import APIRouter

from api.deps import AccessDep, ServiceDep
from api.schemas.embeddings import EmbeddingOut, EmbeddingsIn, EmbeddingsOut, EmbeddingUsageOut
from src.errors import InvalidInputError
from src.models import Matrix

router = APIRouter(tags=["openai"])


def _encoded(row: Matrix, encoding: str) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(np.asarray(row, dtype="<f4").tobytes()).decode()
    return [float(x) for x in row]


@router.post("/embeddings")
async def create_embeddings(
    body: EmbeddingsIn, service: ServiceDep, access: AccessDep
) -> EmbeddingsOut:
    if body.dimensions is not None and body.dimensions != service.embedding_dimension:
        raise InvalidInputError(
            f"dimensions {body.dimensions}: the model makes {service.embedding_dimension}",
            hint="leave `dimensions` out, or send the model's own width",
        )
    vectors, tokens = await service.embed(access, body.texts, body.input_type == "query")
    data = [
        EmbeddingOut(index=i, embedding=_encoded(row, body.encoding_format))
        for i, row in enumerate(vectors)
    ]
    usage = EmbeddingUsageOut(prompt_tokens=tokens, total_tokens=tokens)
    return EmbeddingsOut(data=data, model=service.embedding_model, usage=usage)
