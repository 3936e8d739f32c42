"""The SPARQL 1.1 Protocol's query operation, as plain functions (no Flask, no engine).

``parse_protocol`` turns a request's method, content type, parameters and body into one
:class:`ProtocolRequest` or raises the right :mod:`blackjanuary.errors` class. ``check_query`` is the
guard in front of every way into the engine: it refuses updates (403), ``SERVICE`` calls that are not
allow-listed (403), and queries nested or chained deeper than the parser can survive (400) — Oxigraph's
recursive-descent parser overflows its stack on deep nesting and takes the whole process down, so the
depth is measured here, on the token stream of :mod:`blackjanuary.query.lexer` (which refuses, 400,
whatever it cannot read), and bounded once more on the raw characters, before the engine sees it.

>>> nesting_depth("SELECT * { { ?s ?p ?o } }")
2
>>> nesting_depth('SELECT * { ?s ?p "{{{{" } # ((((')
1
>>> leading_keyword("PREFIX x: <http://e/> # c\\n insert data { }")
'INSERT'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from blackjanuary.errors import BadRequest, MethodNotAllowed, PayloadTooLarge, ReadOnly, UnsupportedMediaType
from blackjanuary.query.lexer import CLOSERS, OPENERS, Token, tokenize

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


# Query text scanning: every guard reads the token stream of sparql_lexer --------------------------------


def _tokens(query: str | Sequence[Token]) -> Sequence[Token]:
    return list(tokenize(query)) if isinstance(query, str) else query


def nesting_depth(query: str | Sequence[Token]) -> int:
    """The deepest nesting of brackets (``( ) { } [ ]``, ``{| |}``, ``<< >>``) in the query's code."""
    depth = deepest = 0
    for token in _tokens(query):
        if token.kind == "PUNCT":
            if token.text in OPENERS:
                depth += 1
                deepest = max(deepest, depth)
            elif token.text in CLOSERS:
                depth = max(depth - 1, 0)
    return deepest


MAX_OPERATORS = 2_000
"""The most operators and brackets a query may hold (punctuation tokens of its code).

pyoxigraph 0.5.13 builds and walks left-deep trees recursively, so long *flat* chains overflow its stack
and take the whole process down just as deep nesting does (measured on the main thread: 10,000
``UNION``s, 7,000 ``+``, 10,000 ``&&``, 10,000 path steps, 3,000 ``BIND``s or ``MINUS``es all crash it).
Every step of such a chain needs at least one of these tokens, so a cap well below the smallest crash
(≈ 6,000 on an 8 MiB stack; engine threads have 256 MiB) keeps every chain out of the engine. IRIs,
names, numbers and strings never count.
"""


def operator_count(query: str | Sequence[Token], *, stop_after: int | None = None) -> int:
    """Punctuation tokens (operators and brackets) in the query's code.

    Counting stops once ``stop_after`` is exceeded (the answer is then ``stop_after + 1``).
    """
    count = 0
    for token in _tokens(query):
        if token.kind == "PUNCT":
            count += 1
            if stop_after is not None and count > stop_after:
                break
    return count


RAW_LIMITS: dict[str, int] = {"({[": 20_000, "!+-^": 20_000, "|&/*": 20_000}
"""A second bound on nesting and chains that reads no syntax at all: at most this many of these
characters anywhere in the text (strings and comments included). Whatever the lexer might get wrong,
no input can then nest or chain deeper than the engine threads' stack provably survives
(docs/reliability.md, *Nesting*). A real query needs a fraction of this."""


def check_raw_bounds(query: str) -> None:
    """:raise 400: when the text holds more bracket or operator characters than :data:`RAW_LIMITS`."""
    for chars, limit in RAW_LIMITS.items():
        count = sum(query.count(c) for c in chars)
        if count > limit:
            shown = " ".join(chars)
            raise BadRequest(
                f"the query holds {count} of the characters {shown} (strings and comments included); "
                f"the limit is {limit}.",
                hint="Split it into smaller queries. These characters count inside IRIs and strings too: "
                "write long lists of IRIs with PREFIX names (ex:a instead of <http://example.org/a>).",
            )


def _word(token: Token) -> str:
    """The keyword-like part of a token: a NAME, or the prefix of a prefixed name (upper-cased)."""
    if token.kind == "NAME":
        return token.text.upper()
    if token.kind == "PNAME":
        return token.text.split(":", 1)[0].upper()
    return ""


_LEADING = sorted(QUERY_KEYWORDS | UPDATE_KEYWORDS, key=len, reverse=True)


def leading_keyword(query: str | Sequence[Token]) -> str | None:
    """The first keyword after the prologue (PREFIX/BASE declarations and comments), upper-cased.

    Oxigraph reads keywords without a word boundary (``INSERTDATA``, ``SELECTDISTINCT``), so a word that
    begins with a query or update keyword counts as that keyword.
    """
    tokens = iter(_tokens(query))
    for token in tokens:
        word = _word(token)
        if word == "PREFIX":
            for name_or_iri in tokens:
                if name_or_iri.kind == "IRI":
                    break
        elif word == "BASE":
            next(tokens, None)
        elif word:
            return next((k for k in _LEADING if word.startswith(k)), word if token.kind == "NAME" else None)
        else:
            return None
    return None


def unescape_iri(token: Token) -> str:
    """The IRI an ``IRIREF`` token denotes (its ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes decoded)."""
    return _UCHAR.sub(lambda m: chr(int(m.group(0)[2:], 16)), token.text[1:-1])


_UCHAR = re.compile(r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}")
_PN_LOCAL_ESCAPE = re.compile(r"\\(.)")
GLUED_SERVICE = "(SERVICE written together with other characters)"
OTHER_SERVICE = "(a variable or prefixed name)"


def service_targets(query: str | Sequence[Token]) -> list[str]:
    """The endpoint IRIs (or a placeholder for anything else) after each ``SERVICE``.

    Oxigraph also reads ``SERVICE`` glued to what follows (``SERVICEex:x``, ``SERVICESILENTex:x``,
    ``trueSERVICE<…>``), so every name or prefix that contains ``SERVICE`` counts as a call to an
    endpoint the guard cannot name (refused).
    """
    tokens = _tokens(query)
    targets: list[str] = []
    for i, token in enumerate(tokens):
        word = _word(token)
        if "SERVICE" not in word:
            continue
        if word != "SERVICE" or token.kind != "NAME":
            targets.append(GLUED_SERVICE)
            continue
        following = [t for t in tokens[i + 1 : i + 3] if t.text.upper() != "SILENT"]
        nxt = following[0] if following else None
        targets.append(unescape_iri(nxt) if nxt is not None and nxt.kind == "IRI" else OTHER_SERVICE)
    return targets


MAX_STRING_GROWTH = 1 << 16
"""How many times over a query may copy one string into another through ``BIND``/``AS`` chains.

27 × ``BIND(CONCAT(?a, ?a) AS ?b)`` doubles a string 27 times: a 903-byte GET that took one worker to
3.5 GB (issue 11). Each ``expr AS ?v`` that builds strings (CONCAT, REPLACE, ENCODE_FOR_URI, …) makes
``?v`` as large as the sum of the variables it reads (REPLACE: their product); the guard follows those
factors through the query and refuses one whose largest factor, times its longest string literal (at
least 1 kB), exceeds :data:`MAX_STRING_BYTES`. What the text does not show (a huge GROUP_CONCAT) is
left to the run-time memory budget."""
MAX_STRING_BYTES = 64 << 20
_STRING_BUILDERS = frozenset({"CONCAT", "REPLACE", "ENCODE_FOR_URI", "GROUP_CONCAT", "STRBEFORE", "STRAFTER"})


def string_growth(query: str | Sequence[Token]) -> int:
    """The largest factor by which ``expr AS ?var`` chains multiply a string (1 when nothing grows)."""
    tokens = _tokens(query)
    factors: dict[str, int] = {}
    opens: list[int] = []
    for i, token in enumerate(tokens):
        if token.kind != "PUNCT" and not (token.kind == "NAME" and token.text.upper() == "AS"):
            continue
        if token.text == "(":
            opens.append(i)
        elif token.text == ")" and opens:
            opens.pop()
        elif token.kind == "NAME" and opens and i + 1 < len(tokens) and tokens[i + 1].kind == "VAR":
            expression = tokens[opens[-1] + 1 : i]
            names = {t.text.upper() for t in expression if t.kind == "NAME"}
            if not names & _STRING_BUILDERS:
                continue
            reads = [factors.get(t.text[1:], 1) for t in expression if t.kind == "VAR"]
            if "REPLACE" in names:
                factor = 1
                for read in reads:
                    factor = min(factor * (read + 1), 1 << 62)
            else:
                factor = min(sum(reads) or 1, 1 << 62)
            target = tokens[i + 1].text[1:]
            factors[target] = max(factors.get(target, 1), factor)
    return max(factors.values(), default=1)


def check_string_growth(tokens: Sequence[Token]) -> None:
    """:raise 400: when ``BIND``/``AS`` chains could build a string beyond :data:`MAX_STRING_BYTES`."""
    growth = string_growth(tokens)
    if growth <= 1:
        return
    longest = max((len(t.text) for t in tokens if t.kind == "STRING"), default=0)
    estimate = growth * max(longest, 1024)
    if estimate > MAX_STRING_BYTES:
        raise BadRequest(
            f"the query copies strings into each other {growth:,} times over (through BIND / AS); "
            f"that could build strings of about {estimate:,} bytes, and the limit is {MAX_STRING_BYTES:,}.",
            hint="Build long strings in the client, or compute fewer steps from the same variable.",
        )


def check_query(
    query: str, *, max_depth: int, allowed_services: Sequence[str] = (), max_operators: int = MAX_OPERATORS
) -> list[Token]:
    """The guard in front of the engine: size of nesting and chains, read-only, no outbound requests.

    Returns the query's tokens, for callers that read more of it (dataset clauses, the query form).

    :raise 400: when the text holds more bracket/operator characters than :data:`RAW_LIMITS`, cannot be
        lexed (the position is named), nests brackets deeper than ``max_depth``, or holds more than
        ``max_operators`` operators and brackets (:data:`MAX_OPERATORS`), or visibly builds strings
        beyond :data:`MAX_STRING_BYTES` (:func:`string_growth`).
    :raise 403: for an update sent as a query, or a ``SERVICE`` call to an endpoint not allow-listed.
    """
    check_raw_bounds(query)
    tokens: list[Token] = []
    depth = operators = 0
    for token in tokenize(
        query
    ):  # one pass, stopping at the first limit: a hostile text is never lexed whole
        tokens.append(token)
        if token.kind != "PUNCT":
            continue
        operators += 1
        if operators > max_operators:
            raise BadRequest(
                f"the query holds more than {max_operators} operators and brackets; the engine "
                "cannot take chains that long.",
                hint="Split it into smaller queries; long lists fit in VALUES with full <IRIs>.",
            )
        if token.text in OPENERS:
            depth += 1
            if depth > max_depth:
                raise BadRequest(
                    f"the query nests brackets more than {max_depth} levels deep; the limit is {max_depth}.",
                    hint="Flatten the query (fewer nested groups or sub-expressions).",
                )
        elif token.text in CLOSERS:
            depth = max(depth - 1, 0)
    check_string_growth(tokens)
    keyword = leading_keyword(tokens)
    if keyword in UPDATE_KEYWORDS:
        raise ReadOnly(
            f"this endpoint is read-only: {keyword} is a SPARQL Update operation.",
            hint="The data is published from a validated build; it cannot be changed here.",
        )
    for target in service_targets(tokens):
        if target not in allowed_services:
            raise ReadOnly(
                f"SERVICE <{target}> is refused: this endpoint calls no other endpoints.",
                hint="Operators allow-list endpoints in BLACKJANUARY_ALLOWED_SERVICE_ENDPOINTS.",
            )
    return tokens


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
    tokens = _tokens(query)
    namespaces: dict[str, str] = {}
    iris: list[str] = []
    for i, token in enumerate(tokens):
        word = _word(token) if token.kind == "NAME" else ""
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
                local = _PN_LOCAL_ESCAPE.sub(r"\1", local)
                iris.append(namespace + local if namespace is not None else target.text)
    return iris
