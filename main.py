"""rag-api entry point: `python main.py` serves on RAG_HOST:RAG_PORT (0.0.0.0:8000)."""

from fastapi import Depends, FastAPI

from api.deps import require_api_key
from api.errors import install_error_handlers
from api.lifespan import build_lifespan
from api.middleware import BodySizeLimit, RequestMetrics
from api.routes import chat, documents, health, jobs, metrics, query, retrieve
from src.config import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="rag-api", version="0.1.0", lifespan=build_lifespan(settings), debug=settings.debug
    )
    install_error_handlers(app, settings.debug)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(RequestMetrics)
    app.include_router(health.router)
    app.include_router(metrics.router)
    for module in (documents, jobs, retrieve, query, chat):
        app.include_router(module.router, prefix="/v1", dependencies=[Depends(require_api_key)])
    return app


def main() -> None:
    import logging

    import uvicorn

    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s:     %(message)s")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
