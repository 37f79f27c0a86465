"""POST /v1/embeddings through the official openai client: the service's own model, both
encodings, queries and passages as the store embeds them, bounded inputs."""

from __future__ import annotations

import base64

import httpx
import numpy as np
import openai
import pytest
from conftest import Service

from api.schemas.embeddings import MAX_EMBED_INPUTS


def _client(service: Service) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{service.url}/v1", api_key="unused", max_retries=0)


def test_embeddings_float_and_base64_agree_and_name_the_model(service: Service) -> None:
    client = _client(service)
    texts = ["Otters hold hands while they sleep.", "Das Wetter ist heute schön."]
    floats = client.embeddings.create(model="anything", input=texts, encoding_format="float")
    default = client.embeddings.create(model="anything", input=texts)  # base64 on the wire
    packed = client.embeddings.create(model="anything", input=texts, encoding_format="base64")
    assert floats.model == packed.model and floats.model.startswith("all-MiniLM-L6-v2")
    assert [d.index for d in floats.data] == [0, 1]
    a = np.array([d.embedding for d in floats.data], dtype=np.float32)
    # Asked for base64 by name, the client hands the strings over as they came.
    b = np.array([np.frombuffer(base64.b64decode(str(d.embedding)), "<f4") for d in packed.data])
    c = np.array([d.embedding for d in default.data], dtype=np.float32)
    assert a.shape == (2, 384) and np.allclose(a, b, atol=1e-6) and np.allclose(a, c, atol=1e-6)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-3)
    assert floats.usage.prompt_tokens == floats.usage.total_tokens > 2 * 2


def test_embeddings_of_a_query_find_the_passage_it_asks_about(service: Service) -> None:
    client = _client(service)
    passages = ["The canteen opens at noon.", "Laptops are replaced every four years."]
    query = client.embeddings.create(
        model="x", input="When do we get new laptops?", extra_body={"input_type": "query"}
    )
    found = client.embeddings.create(model="x", input=passages)
    q = np.array(query.data[0].embedding)
    scores = [float(q @ np.array(d.embedding)) for d in found.data]
    assert scores[1] > scores[0]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"input": []}, "input"),
        ({"input": [""]}, "input"),
        ({"input": ["x"] * (MAX_EMBED_INPUTS + 1)}, "input"),
        ({"input": [[1, 2, 3]]}, "input"),
        ({"input": "x", "dimensions": 12}, "dimensions"),
        ({"input": "x", "encoding_format": "int8"}, "encoding_format"),
    ],
)
def test_embeddings_bad_input_is_422_naming_it(
    client: httpx.Client, body: dict[str, object], named: str
) -> None:
    response = client.post("/v1/embeddings", json={"model": "m", **body})
    assert response.status_code == 422 and named in response.text
