#!/usr/bin/env bash
# After editing dependencies in pyproject.toml: relock, and regenerate the requirement files
# that the image's model and heavy layers install from (so light changes never touch them).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_uv.sh
uv lock "$@"
for group in export heavy e5; do
  uv export --frozen --only-group "$group" --no-emit-project -q -o "requirements/$group.txt"
done
