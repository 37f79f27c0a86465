"""A corpus of real prose found on any machine with the dev environment: the Python language
reference topics, then the docstrings of the standard library and of the installed packages.
Deterministic for a given Python version and lock file."""

from __future__ import annotations

import ast
import sysconfig
from collections.abc import Iterator
from pathlib import Path


def _docstrings(root: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(root.rglob("*.py")):
        if {"test", "tests", "site-packages"} & set(path.relative_to(root).parts[:-1]):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        parts = [
            ast.get_docstring(node) or ""
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        ]
        text = "\n\n".join(p for p in parts if len(p) > 80)
        if len(text) > 400:
            yield str(path.relative_to(root)), text


def documents() -> Iterator[tuple[str, str]]:
    """(title, text) pairs: reference topics first, then stdlib module docs."""
    from pydoc_data.topics import topics

    for name in sorted(topics):
        if len(topics[name]) > 400:
            yield f"topic:{name}", topics[name]
    paths = sysconfig.get_paths()
    yield from _docstrings(Path(paths["stdlib"]))
    yield from _docstrings(Path(paths["purelib"]))


def sentences(limit: int) -> list[str]:
    """Distinct chunk-sized passages for embedding benchmarks."""
    out: list[str] = []
    for _, text in documents():
        for paragraph in text.split("\n\n"):
            paragraph = " ".join(paragraph.split())
            if 200 <= len(paragraph) <= 1000:
                out.append(paragraph)
                if len(out) >= limit:
                    return out
    return out
