#!/usr/bin/env bash
# Take the README's screenshots of the web page again (docs/screenshots/*.png): the service
# from source with a new store, in Debian's headless chromium (apt-get install chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_uv.sh
uv sync --frozen --all-groups
ensure_model
exec uv run --frozen python -m rig.screenshots "$@"
