"""Facts about a store kept in its `properties` table: which embedding model made its vectors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmbeddingSpace:
    """The model a store's vectors come from; vectors of two spaces never compare."""

    model: str
    dimension: int

    def __str__(self) -> str:
        return f"{self.model} ({self.dimension} dimensions)"


def space_of(properties: dict[str, str]) -> EmbeddingSpace | None:
    """The model a store's properties record (None: none yet)."""
    if "embedding_model" not in properties:
        return None
    return EmbeddingSpace(properties["embedding_model"], int(properties["embedding_dimension"]))


def space_properties(space: EmbeddingSpace) -> dict[str, str]:
    return {"embedding_model": space.model, "embedding_dimension": str(space.dimension)}
