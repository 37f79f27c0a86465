"""ragctl: build, update, prune, inspect and verify rag-api images with the Docker CLI.

Ops tooling: lives outside `main.py`/`src/`/`api/` and never enters the image.
Run it as `./scripts/ragctl COMMAND` (or `uv run python -m ragctl COMMAND`).
"""
