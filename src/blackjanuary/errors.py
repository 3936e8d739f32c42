"""The error vocabulary: one class, one HTTP status (STYLE.md). Nothing else lives here.

Every error a user can cause is a :class:`PublisherError` subclass whose ``status`` is fixed on the
class. The web layer renders them all through one handler; the CLI maps them to exit codes.
"""

from __future__ import annotations

from typing import ClassVar


class PublisherError(Exception):
    """Base class; never raised itself. ``message`` says what went wrong, where, and how to fix it."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class BadRequest(PublisherError):
    status = 400
    title = "Bad Request"


class QuerySyntaxError(BadRequest):
    """A SPARQL query or update that does not parse; the message carries the parser's position."""


class ReadOnly(PublisherError):
    status = 403
    title = "Forbidden"


class ResourceNotFound(PublisherError):
    status = 404
    title = "Not Found"


class MethodNotAllowed(PublisherError):
    status = 405
    title = "Method Not Allowed"


class NotAcceptable(PublisherError):
    status = 406
    title = "Not Acceptable"


class PayloadTooLarge(PublisherError):
    status = 413
    title = "Payload Too Large"


class UnsupportedMediaType(PublisherError):
    status = 415
    title = "Unsupported Media Type"


class BadGateway(PublisherError):
    """An allow-listed SERVICE endpoint the query called failed or could not be reached."""

    status = 502
    title = "Bad Gateway"


class ServiceUnavailable(PublisherError):
    """The engine could not answer in time, or a remote store is down: the client may retry."""

    status = 503
    title = "Service Unavailable"
    retry_after: ClassVar[int] = 5


class QueryTimeout(ServiceUnavailable):
    pass


class BuildError(Exception):
    """The build or the data cannot be used (not an HTTP error): the CLI exits 2 with the message."""


class DataLoadError(BuildError):
    """A source file is missing or does not parse; the message names the file, line and column."""
