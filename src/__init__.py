"""rag-api core: parsing, chunking, embedding, storage, retrieval and generation.

Nothing in this package knows about HTTP: it returns values or raises
`src.errors.RagError` subclasses, which the `api` layer maps to status codes.
"""
