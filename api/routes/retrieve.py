"""Ranked chunks for a query, without generation."""

from fastapi import APIRouter

from api.deps import ServiceDep
from api.schemas import HitOut, RetrieveIn, RetrieveOut

router = APIRouter(tags=["retrieval"])


@router.post("/retrieve")
async def retrieve(body: RetrieveIn, service: ServiceDep) -> RetrieveOut:
    top_k = body.top_k or service.settings.default_top_k
    filters = body.filters.to_filters() if body.filters else None
    hits = await service.offload("search", service.retrieve, body.query, top_k, body.mode, filters)
    return RetrieveOut(query=body.query, mode=body.mode, results=[HitOut.of(h) for h in hits])
