"""Ranked chunks for a query, without generation."""

from fastapi import APIRouter

from api.deps import AccessDep, ServiceDep
from api.schemas import HitOut, RetrieveIn, RetrieveOut
from api.schemas.base import filters_of

router = APIRouter(tags=["retrieval"])


@router.post("/retrieve")
async def retrieve(body: RetrieveIn, service: ServiceDep, access: AccessDep) -> RetrieveOut:
    filters = filters_of(body.filters, body.collections)
    hits = await service.retrieve(access, body.query, body.top_k, body.mode, filters)
    return RetrieveOut(query=body.query, mode=body.mode, results=[HitOut.of(h) for h in hits])
