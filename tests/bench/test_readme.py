"""The README's benchmark figures agree with the committed results: each figure sits in a
block generated from bench/results/, and the prose around the blocks states none of its own."""

from __future__ import annotations

import re

import pytest

from bench import figures, figures_base, quality_figures, readme
from bench.report import Record

# Names that carry digits without being figures: metric names, BM25, the two load levels.
NOT_FIGURES = re.compile(r"nDCG@10|Recall@100|recall@10|p50|p95|p99|BM25|\b(1|16)[ -]clients?\b")


def _measured_sections(text: str) -> str:
    """From the Performance heading to the end: Performance and Retrieval quality."""
    return text[text.index("## Performance") :]


def _prose(text: str) -> str:
    """The text outside generated blocks, code fences and inline code."""
    text = re.sub(r"<!-- bench:([a-z-]+) -->.*?<!-- /bench:\1 -->", "", text, flags=re.DOTALL)
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return re.sub(r"`[^`\n]*`", "", text)


def test_readme_blocks_match_the_committed_results() -> None:
    text = readme.README.read_text()
    rendered = figures.render(readme.load())
    stale = readme.stale_blocks(text, rendered)
    assert not stale, (
        f"README figures differ from bench/results/: run `python -m bench readme` ({stale})"
    )


def test_readme_states_no_figure_outside_its_generated_blocks() -> None:
    prose = " ".join(_prose(_measured_sections(readme.README.read_text())).split())
    left = NOT_FIGURES.sub("", prose)
    found = [left[max(0, m.start() - 40) : m.end() + 40] for m in re.finditer(r"\d", left)]
    assert not found, f"figures outside the generated blocks: {found}"


def _results(p50: float) -> readme.Results:
    records = [Record("latency_nfcorpus", "hybrid", "p50", p50, "ms", p50 - 1, p50 + 1, 3)]
    return readme.Results(records, runs={}, published=[])


def _latency_readme(p50: float) -> str:
    block = quality_figures.latency(_results(p50))
    return f"# x\n\n<!-- bench:quality-latency -->\n{block}<!-- /bench:quality-latency -->\n"


def test_stale_blocks_names_a_block_whose_figure_changed() -> None:
    text = _latency_readme(7.5)
    assert (
        readme.stale_blocks(text, {"quality-latency": quality_figures.latency(_results(7.5))}) == []
    )
    changed = {"quality-latency": quality_figures.latency(_results(9.1))}
    assert readme.stale_blocks(text, changed) == ["quality-latency"]
    assert "9.1 ms x3" in readme.splice(text, changed)


def test_splice_refuses_a_block_that_nothing_renders() -> None:
    with pytest.raises(KeyError, match="quality-latency"):
        readme.splice(_latency_readme(7.5), {})


def test_cell_marks_a_median_with_its_number_of_runs() -> None:
    assert figures_base.cell(Record("s", "v", "m", 2.5, "s", 2, 3, 3)) == "2.5 s x3"
    assert figures_base.cell(Record("s", "v", "m", 2.5, "s")) == "2.5 s"
    assert figures_base.cell(None) == "not measured"
