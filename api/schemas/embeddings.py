"""Bodies of the OpenAI-compatible `POST /v1/embeddings`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# OpenAI's own cap on inputs per request; each input as long as a query may be tenfold.
MAX_EMBED_INPUTS = 2048
MAX_EMBED_INPUT_CHARS = 100_000

EmbedText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_EMBED_INPUT_CHARS)]


class EmbeddingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: EmbedText | Annotated[list[EmbedText], Field(min_length=1, max_length=MAX_EMBED_INPUTS)]
    model: str = Field("", max_length=200, description="Any value: the service's model answers.")
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = Field(
        None, ge=1, description="Accepted only as the model's own width (no shortening)."
    )
    user: str = Field("", max_length=200)
    input_type: Literal["passage", "query"] = Field(
        "passage",
        description="An extension: embed the texts as search queries or as passages (models "
        "such as e5 read the two with different prefixes; the store holds passages).",
    )

    @property
    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)


class EmbeddingOut(BaseModel):
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str  # base64: little-endian float32, as OpenAI sends


class EmbeddingUsageOut(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingsOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[EmbeddingOut]
    model: str
    usage: EmbeddingUsageOut
