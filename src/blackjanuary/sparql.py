"""The SPARQL 1.1 Protocol's query operation, as plain functions (no Flask, no engine).

``parse_protocol`` turns a request's method, content type, parameters and body into one
:class:`ProtocolRequest` or raises the right :mod:`blackjanuary.errors` class. ``check_query`` is the
guard in front of every way into the engine: it refuses updates (403), ``SERVICE`` calls that are not
allow-listed (403), and queries nested deeper than the parser can survive (400) — Oxigraph's
recursive-descent parser overflows its stack on a few thousand nested groups and takes the whole
process down, so the depth is measured here, on the text, before the engine ever sees it.

>>> nesting_depth("SELECT * { { ?s ?p ?o } }")
2
>>> nesting_depth('SELECT * { ?s ?p "{{{{" } # ((((')
1
>>> leading_keyword("PREFIX x: <http://e/> # c\\n insert data { }")
'INSERT'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from blackjanuary.errors import BadRequest, MethodNotAllowed, PayloadTooLarge, ReadOnly, UnsupportedMediaType

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
ALLOWED_METHODS = ("GET", "HEAD", "POST", "OPTIONS")
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)
QUERY_KEYWORDS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})


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


# Query text scanning ---------------------------------------------------------------------------------

_STRINGS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\'',
    re.DOTALL,
)
_COMMENT = re.compile(r"#[^\n\r]*")
# Two tokenizers, because "<" is both the start of an IRI and the less-than operator. STRICT reads IRIs
# exactly as the grammar's IRIREF (so a "#" inside an IRI never starts a comment); in NARROW an IRI may
# hold no brackets (so brackets after a less-than are never hidden inside a would-be IRI). The guard
# takes the worst case of both: the deeper nesting, and every SERVICE either of them sees.
_WORDS_AND_MARKS = r""""{3}|'{3}|"|'|#|[(){}\[\]]|[A-Za-z_][\w-]*"""
STRICT = re.compile(r"""<[^<>"{}|^`\\\x00-\x20]*>|""" + _WORDS_AND_MARKS)
NARROW = re.compile(r"""<[^<>"{}|^`\\\x00-\x20()\[\]#]*>|""" + _WORDS_AND_MARKS)


def _code_tokens(query: str, pattern: re.Pattern[str] = STRICT) -> Iterable[str]:
    """The tokens of ``query`` that matter to the guard, skipping strings, comments and IRIs' insides."""
    pos = 0
    length = len(query)
    while pos < length:
        match = pattern.search(query, pos)
        if match is None:
            return
        piece = match.group(0)
        if piece in ('"', "'", '"""', "'''"):
            string = _STRINGS.match(query, match.start())
            if string is None:  # unterminated: the parser will say so; nothing after it is code
                return
            pos = string.end()
            continue
        if piece == "#":
            comment = _COMMENT.match(query, match.start())
            pos = comment.end() if comment else length
            continue
        pos = match.end()
        yield piece


_OPENING = frozenset("({[")
_CLOSING = frozenset(")}]")


def nesting_depth(query: str) -> int:
    """The deepest nesting of ``( ) { } [ ]`` outside strings, IRIs and comments (worst of both readings)."""
    return max(_depth(query, STRICT), _depth(query, NARROW))


def _depth(query: str, pattern: re.Pattern[str]) -> int:
    depth = deepest = 0
    for piece in _code_tokens(query, pattern):
        if piece in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif piece in _CLOSING:
            depth = max(depth - 1, 0)
    return deepest


MAX_OPERATORS = 2_000
"""The most operators and brackets a query may hold (outside strings, IRIs and comments).

pyoxigraph 0.5.13 builds and walks left-deep trees recursively, so long *flat* chains overflow its stack
and take the whole process down just as deep nesting does (measured on the main thread: 10,000
``UNION``s, 7,000 ``+``, 10,000 ``&&``, 10,000 path steps, 3,000 ``BIND``s or ``MINUS``es all crash it).
Every step of such a chain needs at least one of these marks, so a cap well below the smallest crash
(≈ 6,000 marks) keeps every chain out of the engine. Full ``<IRIs>``, numbers and strings never count.
"""
_MARKS = r""""{3}|'{3}|"|'|#|&&|\|\||[(){}\[\].;,|/+*!^=<>-]"""
_STRICT_MARKS = re.compile(r"""<[^<>"{}|^`\\\x00-\x20]*>|""" + _MARKS)
_NARROW_MARKS = re.compile(r"""<[^<>"{}|^`\\\x00-\x20()\[\]#]*>|""" + _MARKS)


def operator_count(query: str, *, stop_after: int | None = None) -> int:
    """Operators and brackets outside strings, IRIs and comments (the worse of both readings of ``<``).

    Counting stops once ``stop_after`` is exceeded (the answer is then ``stop_after + 1``).
    """
    return max(_count_marks(query, _STRICT_MARKS, stop_after), _count_marks(query, _NARROW_MARKS, stop_after))


def _count_marks(query: str, pattern: re.Pattern[str], stop_after: int | None) -> int:
    count = 0
    for piece in _code_tokens(query, pattern):
        if piece[0] != "<" or len(piece) == 1:
            count += 1
            if stop_after is not None and count > stop_after:
                break
    return count


def leading_keyword(query: str) -> str | None:
    """The first keyword after the prologue (PREFIX/BASE declarations and comments), upper-cased."""
    tokens = iter(_code_tokens(query))
    for token in tokens:
        upper = token.upper()
        if upper == "PREFIX":
            for name_or_iri in tokens:
                if name_or_iri.startswith("<"):
                    break
        elif upper == "BASE":
            next(tokens, None)
        elif token[0].isalpha():
            return upper
        else:
            return None
    return None


def service_targets(query: str) -> list[str]:
    """The endpoint IRIs (or a placeholder for a variable) after each ``SERVICE``, in either reading."""
    return _service_targets(query, STRICT) + _service_targets(query, NARROW)


def _service_targets(query: str, pattern: re.Pattern[str]) -> list[str]:
    tokens = list(_code_tokens(query, pattern))
    targets: list[str] = []
    for i, token in enumerate(tokens):
        if token.upper() == "SERVICE":
            following = [t for t in tokens[i + 1 : i + 3] if t.upper() != "SILENT"]
            nxt = following[0] if following else ""
            targets.append(nxt[1:-1] if nxt.startswith("<") else "(a variable or prefixed name)")
    return targets


def check_query(
    query: str, *, max_depth: int, allowed_services: Sequence[str] = (), max_operators: int = MAX_OPERATORS
) -> None:
    """The guard in front of the engine: depth, read-only, no outbound requests.

    :raise 400: when the query nests ``( ) { } [ ]`` deeper than ``max_depth``, or holds more than
        ``max_operators`` operators and brackets (:data:`MAX_OPERATORS`).
    :raise 403: for an update sent as a query, or a ``SERVICE`` call to an endpoint not allow-listed.
    """
    depth = nesting_depth(query)
    if depth > max_depth:
        raise BadRequest(
            f"the query nests brackets {depth} levels deep; the limit is {max_depth}.",
            hint="Flatten the query (fewer nested groups or sub-expressions).",
        )
    operators = operator_count(query, stop_after=max_operators)
    if operators > max_operators:
        raise BadRequest(
            f"the query holds more than {max_operators} operators and brackets; the engine "
            "cannot take chains that long.",
            hint="Split it into smaller queries; long lists fit in VALUES with full <IRIs>.",
        )
    keyword = leading_keyword(query)
    if keyword in UPDATE_KEYWORDS:
        raise ReadOnly(
            f"this endpoint is read-only: {keyword} is a SPARQL Update operation.",
            hint="The data is published from a validated build; it cannot be changed here.",
        )
    for target in service_targets(query):
        if target not in allowed_services:
            raise ReadOnly(
                f"SERVICE <{target}> is refused: this endpoint calls no other endpoints.",
                hint="Operators allow-list endpoints in BLACKJANUARY_ALLOWED_SERVICE_ENDPOINTS.",
            )


_PREFIX_DECLARATION = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>\s]*)>", re.IGNORECASE)
_FROM_PREFIXED_NAME = re.compile(r"\bFROM\s+(?:NAMED\s+)?([A-Za-z][\w.-]*)?:([\w.-]*)", re.IGNORECASE)


def dataset_clause_iris(query: str, base: str = "") -> list[str]:
    """The IRIs named in ``FROM`` / ``FROM NAMED`` clauses.

    Prefixed names are expanded with the query's ``PREFIX`` declarations; one whose prefix is not
    declared is returned as written, so the caller refuses it as a graph that is not ours.

    >>> dataset_clause_iris("PREFIX g: <http://x/graph/> SELECT * FROM g:data FROM NAMED <http://y> {}")
    ['http://y', 'http://x/graph/data']
    >>> dataset_clause_iris("SELECT * FROM e:g { ?s ?p ?o }")
    ['e:g']

    Relative IRIs are resolved against the query's ``BASE``, itself resolved against ``base`` (the
    service's base IRI); the W3C suite's dataset tests write ``BASE <…/dataset/> … FROM <data-g1.ttl>``:

    >>> dataset_clause_iris("BASE <http://x/d/q.rq> SELECT * FROM <g1.ttl> FROM NAMED <../g2> {}")
    ['http://x/d/g1.ttl', 'http://x/g2']
    >>> dataset_clause_iris("SELECT * FROM <graph/data> {}", base="https://w3id.org/bj/sparql")
    ['https://w3id.org/bj/graph/data']
    """
    tokens = list(_code_tokens(query))
    iris: list[str] = []
    prefixed = False
    for i, token in enumerate(tokens):
        upper = token.upper()
        if upper == "BASE" and tokens[i + 1 : i + 2] and tokens[i + 1].startswith("<"):
            base = urljoin(base, tokens[i + 1][1:-1])
        elif upper == "FROM":
            following = tokens[i + 1 : i + 3]
            if following and following[0].upper() == "NAMED":
                following = following[1:]
            if following and following[0].startswith("<"):
                iris.append(urljoin(base, following[0][1:-1]))
            elif following:
                prefixed = True
    if prefixed:
        declared = _PREFIX_DECLARATION.finditer(query)
        namespaces = {(m.group(1) or ""): urljoin(base, m.group(2)) for m in declared}
        for match in _FROM_PREFIXED_NAME.finditer(query):
            prefix, local = match.group(1) or "", match.group(2)
            namespace = namespaces.get(prefix)
            iris.append(namespace + local if namespace is not None else f"{prefix}:{local}")
    return iris
