"""The README's block for documents that change (bench/sources.py's records)."""

from __future__ import annotations

from bench.figures_base import cell
from bench.readme import Results


def _rows(results: Results, scenario: str) -> list[str]:
    return list(dict.fromkeys(r.variant for r in results.records if r.scenario == scenario))


def sources(results: Results) -> str:
    lines = ["| figure | variant | measured |", "|---|---|---|"]
    for variant in _rows(results, "replace_readers"):
        answers, zero, two, p50 = (
            results.get("replace_readers", variant, m)
            for m in ("answers", "zero_versions", "two_versions", "replace_p50")
        )
        if answers and zero is not None and two is not None and p50:
            lines.append(
                f"| answers with 0 / 2 versions of the source | {variant} | "
                f"{zero.value:.0f} / {two.value:.0f} of {answers.value:.0f} |"
            )
            lines.append(f"| replace, p50 | {variant} | {cell(p50)} |")
    for variant in _rows(results, "sync_unchanged"):
        seconds = results.get("sync_unchanged", variant, "seconds")
        embedded = results.get("sync_unchanged", variant, "chunks_embedded")
        if seconds and embedded is not None:
            lines.append(
                f"| sync, nothing changed | {variant} | {cell(seconds)}, "
                f"{embedded.value:.0f} chunks embedded |"
            )
    sent = results.get("ssrf_probes", "direct and redirected", "sent")
    refused = results.get("ssrf_probes", "direct and redirected", "refused")
    if sent and refused is not None:
        lines.append(
            f"| SSRF probes refused | direct and redirected | {refused.value:.0f} of "
            f"{sent.value:.0f} |"
        )
    return "\n".join(lines) + "\n"


SOURCES_RENDERERS = {"sources": sources}
