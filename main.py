"""rag-api entry point: `python main.py` serves on RAG_HOST:RAG_PORT (0.0.0.0:8000)."""

import sys

from fastapi import FastAPI
from pydantic import ValidationError
from starlette.routing import Route

from api.auth import ApiKeyAuth
from api.deps import ApiKeyDoc
from api.errors import install_error_handlers
from api.lifespan import build_lifespan
from api.mcp import McpEndpoint
from api.middleware import (
    MCP_PATH,
    BodyLimit,
    BodySizeLimit,
    RequestMetrics,
    UnexpectedErrors,
)
from api.routes import (
    chat,
    collections,
    documents,
    embeddings,
    health,
    jobs,
    keys,
    metrics,
    query,
    retrieve,
    ui,
)
from src.config import Settings, get_settings
from src.errors import ConfigurationError

VERSION = "0.1.0"
# Started beside a serving version, and the store could not be shared with it: a deploy
# reads this exit status as "stop that one first" (EX_TEMPFAIL).
EXIT_STANDBY_REFUSED = 75


def _body_limits(settings: Settings) -> tuple[BodyLimit, BodyLimit]:
    upload = BodyLimit(
        settings.max_upload_bytes,
        f"{settings.max_upload_mb:g} MB",
        "split the upload into smaller files or raise RAG_MAX_UPLOAD_MB",
    )
    other = BodyLimit(
        settings.max_request_bytes,
        f"{settings.max_request_kb} kB",
        "send a smaller request, or raise RAG_MAX_REQUEST_KB",
    )
    return upload, other


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    mcp = McpEndpoint(settings, VERSION)
    app = FastAPI(
        title="rag-api",
        version=VERSION,
        lifespan=build_lifespan(settings, mcp.running),
        debug=settings.debug,
    )
    install_error_handlers(app)
    # Added innermost first: a request meets metrics, then auth (before any body is read),
    # then the catch-all for unexpected errors, then the body size limit.
    upload, other = _body_limits(settings)
    app.add_middleware(BodySizeLimit, upload=upload, other=other)
    app.add_middleware(UnexpectedErrors, debug=settings.debug)
    app.add_middleware(ApiKeyAuth, keys=settings.api_keys)
    app.add_middleware(RequestMetrics)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(ui.router)
    for module in (collections, documents, jobs, retrieve, query, chat, embeddings, keys):
        app.include_router(module.router, prefix="/v1", dependencies=[ApiKeyDoc])
    # POST only: stateless, the service has nothing to push on a GET stream (405, as the
    # protocol lets a server answer) and no session for a DELETE to end.
    app.router.routes.append(Route(MCP_PATH, mcp.app, methods=["POST"], include_in_schema=False))
    return app


def main() -> None:
    import logging

    import uvicorn

    try:
        settings = get_settings()
    except ValidationError as exc:
        problems = "; ".join(str(error["msg"]) for error in exc.errors())
        sys.exit(f"rag-api: refusing to start: {problems}")
    except ConfigurationError as exc:
        sys.exit(f"rag-api: refusing to start: {exc.message} ({exc.hint})")
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s:     %(message)s")
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            proxy_headers=True,
        )
    )
    app.state.stop_serving = lambda: setattr(server, "should_exit", True)
    server.run()
    if app.state.holder.refused:
        sys.exit(EXIT_STANDBY_REFUSED)


if __name__ == "__main__":
    main()
