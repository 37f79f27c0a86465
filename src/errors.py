"""The one family of user-facing errors. Each says what went wrong and what to do."""


class RagError(Exception):
    """Base of every error the core raises on purpose."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidInputError(RagError):
    """The input is well-formed but unusable: empty, undecodable, corrupt."""


class UnsupportedTypeError(RagError):
    """A file of a type the service cannot read."""


class TooLargeError(RagError):
    """An upload over the configured size limit."""


class NotFoundError(RagError):
    """No document or job with that id."""


class NotReadyError(RagError):
    """The model or the store is still loading."""


class LLMError(RagError):
    """The configured language model answered with an error or could not be reached."""


class LLMTimeoutError(LLMError):
    """The configured language model did not answer in time."""


class StoreError(RagError):
    """The store cannot be opened or upgraded."""
