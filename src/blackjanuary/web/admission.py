"""Fair scheduling at the web layer: capped capacity for ``/sparql`` and for reconciliation, so pages
and data documents always find a thread.

A gunicorn worker has ``--threads`` request threads (8 by default). Each worker admits at most
``sparql_concurrency`` SPARQL queries at once (4), at most ``sparql_client_concurrency`` of them from
one client (3), and at most ``reconcile_concurrency`` reconciliation requests (2). Runaway queries (an
uninterruptible cartesian ``COUNT(*)`` holds its thread until the deadline) or a flood of large
reconciliation batches therefore hold at most 4 + 2 threads; the rest (2 with the defaults) are always
free for pages, data documents, downloads and the cheap requests of other clients. A request over a
limit is answered at once — 503, ``Retry-After`` and a message naming the limit — never left waiting
in silence (waiting would hold the very thread the limit keeps free). Pages are not limited: they take
milliseconds, and the caps above leave them their threads. Keep ``--threads`` at least
``sparql_concurrency + reconcile_concurrency + 2`` (``serve`` warns otherwise).

The client is the connection's remote address. Behind a reverse proxy every request comes from the
proxy: list its address in ``BLACKJANUARY_TRUSTED_PROXIES`` and the client becomes the last address
in ``X-Forwarded-For`` that is not a trusted proxy (the proxy appends the address it saw, so a client
cannot forge its way past it). Limits are per worker process: with ``--workers N`` a client may run up
to N times ``sparql_client_concurrency`` queries in all.

Replays from the response cache are answered before admission (they cost nothing); CORS preflights
and static files are not counted.

>>> admission = Admission(sparql_slots=2, client_slots=1, reconcile_slots=1)
>>> first = admission.enter(SPARQL, "10.0.0.1")
>>> admission.enter(SPARQL, "10.0.0.1").message
'client 10.0.0.1 already runs 1 SPARQL query here (the limit per client); retry when it has finished.'
>>> second = admission.enter(SPARQL, "10.0.0.2")
>>> admission.enter(SPARQL, "10.0.0.3").message
'the server runs its limit of 2 SPARQL queries at once; retry in a moment.'
>>> first.release(); admission.enter(SPARQL, "10.0.0.3").message is None
True
>>> batch = admission.enter(RECONCILE, "10.0.0.1"); admission.enter(RECONCILE, "10.0.0.2").message
'the server runs its limit of 1 reconciliation request at once; retry in a moment.'
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from flask import request
from werkzeug.wsgi import ClosingIterator

from blackjanuary.errors import ServiceUnavailable

if TYPE_CHECKING:
    from flask import Flask

    from blackjanuary.config import Settings

SPARQL, RECONCILE = "sparql", "reconcile"
REFUSAL_KEY = "blackjanuary.admission.refusal"
"""WSGI environ key holding the reason a request was refused (rendered by the app's error handler)."""
_QUERY_PARAM = re.compile(r"(?:^|&)(?:query|update)=")


class Overloaded(ServiceUnavailable):
    """This worker runs all the work of this kind it may; the client should retry shortly."""

    retry_after: ClassVar[int] = 2


@dataclass
class Ticket:
    """A held slot; :meth:`release` (idempotent) gives it back. ``message`` is set on a refusal."""

    release: Callable[[], None] = lambda: None
    message: str | None = None


@dataclass
class Admission:
    sparql_slots: int
    client_slots: int
    reconcile_slots: int
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _running: dict[str, int] = field(default_factory=lambda: {SPARQL: 0, RECONCILE: 0})
    _clients: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Admission:
        return cls(
            sparql_slots=settings.sparql_concurrency,
            client_slots=settings.sparql_client_concurrency,
            reconcile_slots=settings.reconcile_concurrency,
        )

    def running(self, kind: str) -> int:
        with self._lock:
            return self._running[kind]

    def enter(self, kind: str, client: str) -> Ticket:
        """A slot of ``kind`` for ``client``, or a refusal saying which limit was met."""
        per_client = kind == SPARQL and self.client_slots > 0
        cap = self.sparql_slots if kind == SPARQL else self.reconcile_slots
        what = "SPARQL quer" if kind == SPARQL else "reconciliation request"
        with self._lock:
            held = self._clients.get(client, 0)
            if per_client and held >= self.client_slots:
                return Ticket(
                    message=f"client {client} already runs {held} {_plural(what, held)} here (the limit "
                    "per client); retry when it has finished."
                )
            if cap > 0 and self._running[kind] >= cap:
                return Ticket(
                    message=f"the server runs its limit of {cap} {_plural(what, cap)} at once; "
                    "retry in a moment."
                )
            self._running[kind] += 1
            if per_client:
                self._clients[client] = held + 1
        return Ticket(release=self._releaser(kind, client if per_client else None))

    def _releaser(self, kind: str, client: str | None) -> Callable[[], None]:
        done = threading.Event()

        def release() -> None:
            if done.is_set():
                return
            done.set()
            with self._lock:
                self._running[kind] -= 1
                if client is not None:
                    left = self._clients.get(client, 1) - 1
                    if left > 0:
                        self._clients[client] = left
                    else:
                        self._clients.pop(client, None)

        return release


def _plural(what: str, n: int) -> str:
    if what.endswith("quer"):
        return what + ("y" if n == 1 else "ies")
    return what + ("" if n == 1 else "s")


_RECONCILE_WORK = ("/reconcile/v1/match", "/reconcile/v1/extend")
_RECONCILE_ROOTS = ("/reconcile", "/reconcile/")
_RECONCILE_PARAM = re.compile(r"(?:^|&)(?:queries|extend)=")


def request_kind(environ: dict[str, Any]) -> str | None:
    """:data:`SPARQL` for a query to ``/sparql``, :data:`RECONCILE` for a reconciliation batch (match or
    extend), ``None`` for everything else (pages, documents, suggest, previews: not limited)."""
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "")
    query_string = environ.get("QUERY_STRING", "")
    if method == "OPTIONS":
        return None
    if path == "/sparql" and (method == "POST" or _QUERY_PARAM.search(query_string)):
        return SPARQL
    if path in _RECONCILE_WORK or (
        path in _RECONCILE_ROOTS and (method == "POST" or _RECONCILE_PARAM.search(query_string))
    ):
        return RECONCILE
    return None


def client_address(environ: dict[str, Any], trusted_proxies: Iterable[str] = ()) -> str:
    """The remote address, or behind a trusted proxy the last untrusted ``X-Forwarded-For`` entry.

    >>> env = {"REMOTE_ADDR": "10.0.0.9", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.7"}
    >>> client_address(env), client_address(env, ["10.0.0.9"])
    ('10.0.0.9', '203.0.113.7')
    """
    address = str(environ.get("REMOTE_ADDR") or "unknown")
    trusted = set(trusted_proxies)
    if address not in trusted:
        return address
    hops = [h.strip() for h in str(environ.get("HTTP_X_FORWARDED_FOR", "")).split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return address


class AdmissionMiddleware:
    """Admits each request into its class before the application runs; a slot is held until the
    response (streamed or not) is closed. A refused request is handed to the application marked with
    :data:`REFUSAL_KEY`, whose ``before_request`` hook answers it 503 in the client's format."""

    def __init__(self, app: Any, admission: Admission, trusted_proxies: Iterable[str] = ()) -> None:
        self.app = app
        self.admission = admission
        self.trusted_proxies = tuple(trusted_proxies)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        kind = request_kind(environ)
        if kind is None:
            return self.app(environ, start_response)
        ticket = self.admission.enter(kind, client_address(environ, self.trusted_proxies))
        if ticket.message is not None:
            environ[REFUSAL_KEY] = ticket.message
            return self.app(environ, start_response)
        try:
            result = self.app(environ, start_response)
        except BaseException:
            ticket.release()
            raise
        file_wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(file_wrapper, type) and isinstance(result, file_wrapper):
            ticket.release()  # a file the server sends by itself (sendfile): no work of ours is left
            return result
        callbacks = [getattr(result, "close", None), ticket.release]
        return ClosingIterator(_released_at_end(result, ticket), [c for c in callbacks if c is not None])


def _released_at_end(body: Iterable[bytes], ticket: Ticket) -> Iterator[bytes]:
    """The body, giving the slot back as soon as its last chunk is out (``close`` does it otherwise)."""
    yield from body
    ticket.release()


def refuse_marked_requests() -> None:
    """``before_request``: answer a request the middleware refused (503 with ``Retry-After``)."""
    message = request.environ.get(REFUSAL_KEY)
    if message is not None:
        raise Overloaded(message, hint="wait for the Retry-After seconds, then send the request again")


def init_app(app: Flask, settings: Settings) -> Admission:
    """Wrap ``app.wsgi_app`` in admission control sized from ``settings``."""
    admission = Admission.from_settings(settings)
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_marked_requests)
    app.wsgi_app = AdmissionMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, admission, settings.trusted_proxies
    )
    return admission
