"""Prometheus text exposition."""

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from api.deps import HolderDep
from src.telemetry import REGISTRY

router = APIRouter(tags=["metrics"])
DOCUMENTS = Gauge("rag_documents", "Documents stored.", registry=REGISTRY)
CHUNKS = Gauge("rag_chunks", "Chunks stored (every index holds the same set).", registry=REGISTRY)


@router.get("/metrics", response_class=Response)
def metrics(holder: HolderDep) -> Response:
    if holder.service is not None:
        state = holder.service.status()
        DOCUMENTS.set(state.documents)
        CHUNKS.set(state.chunks)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
