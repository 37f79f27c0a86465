"""The one family of user-facing errors. Each says what went wrong and what to do."""


class RagError(Exception):
    """Base of every error the core raises on purpose."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigurationError(RagError):
    """A setting the service cannot start with (a secret reference it cannot read...)."""


class InvalidInputError(RagError):
    """The input is well-formed but unusable: empty, undecodable, corrupt."""


class LimitExceededError(InvalidInputError):
    """An input over one of the configured limits (size, pages, memory, CPU time...)."""


class UnsupportedTypeError(RagError):
    """A file of a type the service cannot read."""


class NotFoundError(RagError):
    """No document or job with that id."""


class ForbiddenError(RagError):
    """The key is valid but may not do this (its role), or not there (its collections)."""


class ConflictError(RagError):
    """The request contradicts what is stored: a name taken, a collection not empty."""


class NotReadyError(RagError):
    """The model or the store is still loading."""


class BusyError(RagError):
    """Too much work already queued: try again later."""


class LLMError(RagError):
    """The configured language model answered with an error or could not be reached."""


class LLMTimeoutError(LLMError):
    """The configured language model did not answer in time."""


class EmbeddingError(RagError):
    """The configured embedding endpoint answered with an error or could not be reached."""


class EmbeddingTimeoutError(EmbeddingError):
    """The configured embedding endpoint did not answer in time."""


class RerankError(RagError):
    """The configured reranker answered with an error, nonsense, or could not be reached."""


class RerankTimeoutError(RerankError):
    """The configured reranker did not answer in time."""


class RefusedUrlError(InvalidInputError):
    """A URL the service will not fetch (the message names the rule it breaks)."""


class FetchError(RagError):
    """A URL to ingest could not be fetched: it did not resolve, connect or answer 200."""


class FetchTimeoutError(FetchError):
    """A URL to ingest did not answer in full within the time allowed."""


class StoreError(RagError):
    """The store cannot be opened, upgraded or written."""


class StorageFullError(StoreError):
    """The store's disk is full: the write was rolled back, nothing was stored."""


class StandbyRefusedError(StoreError):
    """A store that cannot be opened beside the process that serves from it (its schema
    or an index would have to change first)."""


STANDBY_HINT = "start this version once the one serving from this storage has stopped"


class StoreUnavailableError(StoreError):
    """The store's database cannot be reached right now: nothing was read or written."""
