"""The README's benchmark figures, generated from the committed results files.

The README's Performance and Retrieval quality sections hold their figures in blocks between
`<!-- bench:NAME -->` and `<!-- /bench:NAME -->`; `python -m bench readme` rewrites every
block from `bench/results/*.json` (bench/figures.py renders what `load` reads), and a test
fails when a block and the results disagree, so a figure can only change with the results it
comes from."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from bench import report
from bench.report import Record

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# The suites whose results the README quotes, in the order the runs table lists them.
SUITES = (
    "lifecycle",
    "ship",
    "multiarch",
    "serving",
    "postgres",
    "ann",
    "quality",
    "ablation",
    "collections",
    "rerank",
    "embedding",
    "ocr",
    "sources",
)
PUBLISHED = "published.json"  # others' published figures that the quality table cites
_BLOCK = re.compile(r"(<!-- bench:([a-z-]+) -->\n)(.*?)(<!-- /bench:\2 -->)", re.DOTALL)


@dataclass(frozen=True)
class Results:
    records: list[Record]
    runs: dict[str, dict[str, Any]]  # each suite's meta
    published: list[dict[str, Any]]

    @cached_property
    def _by_key(self) -> dict[tuple[str, str, str], Record]:
        return {(r.scenario, r.variant, r.metric): r for r in reversed(self.records)}

    def get(self, scenario: str, variant: str, metric: str) -> Record | None:
        """The first record of that scenario, variant and metric, if any."""
        return self._by_key.get((scenario, variant, metric))


def load(folder: Path = report.RESULTS) -> Results:
    paths = {name: folder / f"{name}.json" for name in SUITES}
    records = [record for path in paths.values() for record in report.read(path)]
    runs = {name: report.read_meta(path) for name, path in paths.items()}
    published = json.loads((folder / PUBLISHED).read_text())["rows"]
    return Results(records, runs, published)


def blocks_in(text: str) -> dict[str, str]:
    """Each block's name and its text as the README holds it."""
    return {match.group(2): match.group(3) for match in _BLOCK.finditer(text)}


def splice(text: str, rendered: dict[str, str]) -> str:
    """`text` with every block's contents replaced by its rendering; a block the README holds
    that nothing renders is an error (a renamed block would otherwise keep stale figures)."""
    unknown = set(blocks_in(text)) - set(rendered)
    if unknown:
        raise KeyError(f"README blocks with no rendering: {sorted(unknown)}")
    return _BLOCK.sub(lambda m: m.group(1) + rendered[m.group(2)] + m.group(4), text)


def stale_blocks(text: str, rendered: dict[str, str]) -> list[str]:
    """The blocks whose figures differ from the results', and renderings with no block."""
    held = blocks_in(text)
    return sorted(name for name in rendered if held.get(name) != rendered[name])


def write(rendered: dict[str, str], readme: Path = README) -> list[str]:
    """Rewrite the README's blocks with `rendered`; returns the names of those that changed."""
    text = readme.read_text()
    changed = stale_blocks(text, rendered)
    readme.write_text(splice(text, rendered))
    return changed
