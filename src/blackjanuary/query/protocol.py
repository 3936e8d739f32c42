"""The SPARQL 1.1 Protocol's query operation, as plain functions (no Flask, no engine).

``parse_protocol`` turns a request's method, content type, parameters and body into one
:class:`ProtocolRequest` or raises the right :mod:`blackjanuary.errors` class;
``dataset_clause_iris`` reads the dataset a query names itself (``FROM`` / ``FROM NAMED``). The guard
in front of the engine is :mod:`blackjanuary.query.guard`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from blackjanuary.errors import BadRequest, MethodNotAllowed, PayloadTooLarge, ReadOnly, UnsupportedMediaType
from blackjanuary.query.guard import PN_LOCAL_ESCAPE, keyword_of, query_tokens, unescape_iri
from blackjanuary.query.lexer import Token

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
ALLOWED_METHODS = ("GET", "HEAD", "POST", "OPTIONS")


@dataclass(frozen=True)
class ProtocolRequest:
    """One query operation: the query text (``None``: no query, serve the service description)."""

    query: str | None
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    format: str | None = None
    """The explicit ``format=`` parameter(s), comma-joined, if any (they override ``Accept``)."""


def _values(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    return list(params.get(name, ()))


def parse_protocol(
    method: str,
    content_type: str | None,
    args: Mapping[str, Sequence[str]],
    form: Mapping[str, Sequence[str]],
    body: bytes,
    *,
    content_length: int | None,
    max_bytes: int,
) -> ProtocolRequest:
    """Read one SPARQL protocol request.

    ``args`` and ``form`` map each parameter to *all* its values (a ``MultiDict.to_dict(flat=False)``).

    :raise 405: for a method other than GET/HEAD/POST.
    :raise 413: when the query string or the body is larger than ``max_bytes``.
    :raise 415: for a POST body that is neither a form nor ``application/sparql-query``.
    :raise 403: for any update (``update=`` or ``application/sparql-update``).
    :raise 400: for two queries, or a body that is not UTF-8.
    """
    method = method.upper()
    if method not in ALLOWED_METHODS:
        raise MethodNotAllowed(
            f"{method} is not allowed on the SPARQL endpoint; use GET or POST.",
            hint="Allowed: " + ", ".join(ALLOWED_METHODS),
        )
    if content_length is not None and content_length > max_bytes:
        raise PayloadTooLarge(
            f"the request body has {content_length} bytes; the limit is {max_bytes}.",
            hint="Send a shorter query.",
        )
    arg_bytes = sum(len(k) + sum(len(v) for v in vs) for k, vs in args.items())
    if arg_bytes > max_bytes:
        raise PayloadTooLarge(
            f"the query string has about {arg_bytes} bytes; the limit is {max_bytes}.",
            hint="Send a shorter query, or POST it.",
        )
    if "update" in args:
        raise ReadOnly(
            "this endpoint is read-only: SPARQL Update is not accepted.",
            hint="The data is published from a validated build; it cannot be changed here.",
        )
    queries = _values(args, "query")
    params: dict[str, list[str]] = {k: list(v) for k, v in args.items()}
    if method == "POST":
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if media == SPARQL_UPDATE:
            raise ReadOnly(
                "this endpoint is read-only: application/sparql-update is not accepted.",
                hint="The data is published from a validated build; it cannot be changed here.",
            )
        if len(body) > max_bytes:
            raise PayloadTooLarge(
                f"the request body has {len(body)} bytes; the limit is {max_bytes}.",
                hint="Send a shorter query.",
            )
        if media == FORM:
            if "update" in form:
                raise ReadOnly(
                    "this endpoint is read-only: SPARQL Update is not accepted.",
                    hint="The data is published from a validated build; it cannot be changed.",
                )
            queries += _values(form, "query")
            for key, values in form.items():
                params.setdefault(key, []).extend(values) if key != "query" else None
        elif media == SPARQL_QUERY:
            try:
                queries.append(body.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise BadRequest(f"the query body is not UTF-8 (byte {exc.start}).") from exc
        elif media == "" and not body:
            pass
        else:
            raise UnsupportedMediaType(
                f"cannot read a POST body of type {media or '(none)'!r}.",
                hint=f"Send {FORM} with query=…, or {SPARQL_QUERY} with the query as the body.",
            )
    if len(queries) > 1:
        raise BadRequest(f"the request carries {len(queries)} queries; send exactly one.")
    query = queries[0] if queries else None
    if query is not None and not query.strip():
        raise BadRequest("the query is empty.", hint="Put a SPARQL query in the query parameter.")
    formats = params.get("format") or []
    return ProtocolRequest(
        query=query,
        default_graph_uris=tuple(params.get("default-graph-uri", ())),
        named_graph_uris=tuple(params.get("named-graph-uri", ())),
        format=",".join(formats) if formats else None,
    )


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _resolve(base: str, iri: str) -> str:
    """``iri`` resolved against ``base`` (RFC 3986); an absolute IRI, or one the resolver cannot read
    (``http://x]y``), stays as written: the caller refuses it as a graph that is not ours.

    >>> _resolve("http://x/a/b", "../c"), _resolve("http://x/", "urn:x"), _resolve("", "http://w]3.org/")
    ('http://x/c', 'urn:x', 'http://w]3.org/')
    """
    if _SCHEME.match(iri):
        return iri
    try:
        return urljoin(base, iri)
    except ValueError:
        return iri


def dataset_clause_iris(query: str | Sequence[Token], base: str = "") -> list[str]:
    """The IRIs named in ``FROM`` / ``FROM NAMED`` clauses.

    Prefixed names are expanded with the query's ``PREFIX`` declarations; one whose prefix is not
    declared is returned as written, so the caller refuses it as a graph that is not ours.

    >>> dataset_clause_iris("PREFIX g: <http://x/graph/> SELECT * FROM g:data FROM NAMED <http://y> {}")
    ['http://x/graph/data', 'http://y']
    >>> dataset_clause_iris("SELECT * FROM e:g { ?s ?p ?o }")
    ['e:g']

    Relative IRIs are resolved against the query's ``BASE``, itself resolved against ``base`` (the
    service's base IRI); the W3C suite's dataset tests write ``BASE <…/dataset/> … FROM <data-g1.ttl>``:

    >>> dataset_clause_iris("BASE <http://x/d/q.rq> SELECT * FROM <g1.ttl> FROM NAMED <../g2> {}")
    ['http://x/d/g1.ttl', 'http://x/g2']
    >>> dataset_clause_iris("SELECT * FROM <graph/data> {}", base="https://w3id.org/bj/sparql")
    ['https://w3id.org/bj/graph/data']
    """
    tokens = query_tokens(query)
    namespaces: dict[str, str] = {}
    iris: list[str] = []
    for i, token in enumerate(tokens):
        word = keyword_of(token) if token.kind == "NAME" else ""
        if word == "BASE" and i + 1 < len(tokens) and tokens[i + 1].kind == "IRI":
            base = _resolve(base, unescape_iri(tokens[i + 1]))
        elif word == "PREFIX" and i + 2 < len(tokens) and tokens[i + 2].kind == "IRI":
            namespaces[tokens[i + 1].text[:-1]] = _resolve(base, unescape_iri(tokens[i + 2]))
        elif word in ("FROM", "FROMNAMED"):
            following = tokens[i + 1 : i + 3]
            if following and following[0].text.upper() == "NAMED":
                following = following[1:]
            if not following:
                continue
            target = following[0]
            if target.kind == "IRI":
                iris.append(_resolve(base, unescape_iri(target)))
            elif target.kind == "PNAME":
                prefix, local = target.text.split(":", 1)
                namespace = namespaces.get(prefix)
                local = PN_LOCAL_ESCAPE.sub(r"\1", local)
                iris.append(namespace + local if namespace is not None else target.text)
    return iris
