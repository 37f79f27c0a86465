"""Ranked chunks for a query, without generation."""

from fastapi import APIRouter

from api.deps import AccessDep, ServiceDep
from api.schemas import HitOut, RetrieveIn, RetrieveOut
from api.schemas.base import filters_of

router = APIRouter(tags=["retrieval"])


@router.post("/retrieve")
async def retrieve(body: RetrieveIn, service: ServiceDep, access: AccessDep) -> RetrieveOut:
    filters = filters_of(body.filters, body.collections)
    ranking = await service.retrieve(
        access, body.query, body.top_k, body.mode, filters, body.rerank
    )
    return RetrieveOut(
        query=body.query,
        mode=body.mode,
        results=[HitOut.of(hit) for hit in ranking.hits],
        reranked=ranking.reranked,
    )
