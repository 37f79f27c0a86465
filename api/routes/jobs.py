"""Background ingestion jobs."""

from fastapi import APIRouter

from api.deps import AccessDep, ServiceDep
from api.schemas import JobOut

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}")
def get_job(job_id: str, service: ServiceDep, access: AccessDep) -> JobOut:
    return JobOut.of(service.get_job(access, job_id))
