"""Image versions from git: the short sha, marked dirty (with a hash of the changes) when the
working tree differs from HEAD, so two different dirty builds never share a tag."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ragctl.errors import RagctlError
from ragctl.runner import run


def current_version(root: Path) -> str:
    git = ["git", "-C", str(root)]
    head = run([*git, "rev-parse", "--short=12", "HEAD"], check=False)
    if head.returncode != 0:
        raise RagctlError(
            f"{root} is not a git checkout with a commit", hint="commit first, or pass --version"
        )
    changes = run([*git, "status", "--porcelain", "--untracked-files=all"]).stdout
    if not changes.strip():
        return head.stdout.strip()
    digest = hashlib.sha256(run([*git, "diff", "HEAD", "--binary"]).stdout.encode())
    for line in sorted(changes.splitlines()):
        digest.update(line.encode())
        path = root / line[3:].strip()
        if line.startswith("??") and path.is_file():
            digest.update(path.read_bytes())
    return f"{head.stdout.strip()}-dirty-{digest.hexdigest()[:8]}"
