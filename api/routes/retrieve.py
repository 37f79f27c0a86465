"""Ranked chunks for a query, without generation."""

from fastapi import APIRouter

from api.deps import ServiceDep
from api.schemas import HitOut, RetrieveIn, RetrieveOut

router = APIRouter(tags=["retrieval"])


@router.post("/retrieve")
async def retrieve(body: RetrieveIn, service: ServiceDep) -> RetrieveOut:
    filters = body.filters.to_filters() if body.filters else None
    hits = await service.retrieve(body.query, body.top_k, body.mode, filters)
    return RetrieveOut(query=body.query, mode=body.mode, results=[HitOut.of(h) for h in hits])
