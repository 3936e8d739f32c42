"""The error vocabulary: one class, one HTTP status (STYLE.md). Nothing else lives here.

Every error a user can cause is a :class:`PublisherError` subclass whose ``status`` is fixed on the
class. The web layer renders them all through one handler; the CLI maps them to exit codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, NamedTuple


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
    """The URL exists but not for this method; the answer's ``Allow`` comes from the route map."""

    status = 405
    title = "Method Not Allowed"


class Offer(NamedTuple):
    """One representation a resource is offered in, and where it answers without negotiation."""

    media_type: str
    url: str | None = None
    """A URL that gives this representation whatever ``Accept`` says (``/data/baku.ttl``), if any."""


class NotAcceptable(PublisherError):
    """None of the representations the client accepts is offered; ``offered`` lists those that are.

    Build it with :meth:`for_resource`, which writes the one message every 406 shares.
    """

    status = 406
    title = "Not Acceptable"

    def __init__(self, message: str, *, hint: str | None = None, offered: Sequence[Offer] = ()) -> None:
        super().__init__(message, hint=hint)
        self.offered = tuple(offered)

    @classmethod
    def for_resource(
        cls, resource: str, offered: Sequence[Offer], accept: str | None, *, hint: str | None = None
    ) -> NotAcceptable:
        """``resource`` (a path) is offered as ``offered``, and ``accept`` matches none of them.

        >>> NotAcceptable.for_resource("/void", [Offer("text/turtle", "/void.ttl")], "image/png").message
        '/void is available as text/turtle (/void.ttl); none matches Accept: image/png'
        """
        types = ", ".join(o.media_type + (f" ({o.url})" if o.url else "") for o in offered)
        with_urls = any(o.url for o in offered)
        default_hint = "send one of these types in Accept" + (
            ", or follow the URL given for it" if with_urls else ""
        )
        return cls(
            f"{resource} is available as {types}; none matches Accept: {accept or '(none)'}",
            hint=hint or default_hint,
            offered=offered,
        )


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
