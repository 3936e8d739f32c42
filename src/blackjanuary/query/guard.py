"""The guard in front of the engine, on the token stream of :mod:`blackjanuary.query.lexer`.

``check_query`` refuses updates (403), ``SERVICE`` calls that are not allow-listed (403), and queries
nested or chained deeper than the parser can survive (400) — Oxigraph's recursive-descent parser
overflows its stack on deep nesting and takes the whole process down, so the depth is measured here,
on the token stream (the lexer refuses, 400, whatever it cannot read), and bounded once more on the
raw characters, before the engine sees it. The query service (:mod:`blackjanuary.query.service`) runs
it once for every query of the app.

>>> nesting_depth("SELECT * { { ?s ?p ?o } }")
2
>>> nesting_depth('SELECT * { ?s ?p "{{{{" } # ((((')
1
>>> leading_keyword("PREFIX x: <http://e/> # c\\n insert data { }")
'INSERT'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from blackjanuary.errors import BadRequest, ReadOnly
from blackjanuary.query.lexer import CLOSERS, OPENERS, Token, tokenize

UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)
QUERY_KEYWORDS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})


def query_tokens(query: str | Sequence[Token]) -> Sequence[Token]:
    return list(tokenize(query)) if isinstance(query, str) else query


def nesting_depth(query: str | Sequence[Token]) -> int:
    """The deepest nesting of brackets (``( ) { } [ ]``, ``{| |}``, ``<< >>``) in the query's code."""
    depth = deepest = 0
    for token in query_tokens(query):
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
    for token in query_tokens(query):
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


def keyword_of(token: Token) -> str:
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
    tokens = iter(query_tokens(query))
    for token in tokens:
        word = keyword_of(token)
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
PN_LOCAL_ESCAPE = re.compile(r"\\(.)")
GLUED_SERVICE = "(SERVICE written together with other characters)"
OTHER_SERVICE = "(a variable or prefixed name)"


def service_targets(query: str | Sequence[Token]) -> list[str]:
    """The endpoint IRIs (or a placeholder for anything else) after each ``SERVICE``.

    Oxigraph also reads ``SERVICE`` glued to what follows (``SERVICEex:x``, ``SERVICESILENTex:x``,
    ``trueSERVICE<…>``), so every name or prefix that contains ``SERVICE`` counts as a call to an
    endpoint the guard cannot name (refused).
    """
    tokens = query_tokens(query)
    targets: list[str] = []
    for i, token in enumerate(tokens):
        word = keyword_of(token)
        if "SERVICE" not in word:
            continue
        if word != "SERVICE" or token.kind != "NAME":
            targets.append(GLUED_SERVICE)
            continue
        following = [t for t in tokens[i + 1 : i + 3] if t.text.upper() != "SILENT"]
        nxt = following[0] if following else None
        targets.append(unescape_iri(nxt) if nxt is not None and nxt.kind == "IRI" else OTHER_SERVICE)
    return targets


MAX_STRING_BYTES = 64 << 20
"""How large a string a query may build by copying strings into each other through ``BIND``/``AS``.

27 × ``BIND(CONCAT(?a, ?a) AS ?b)`` doubles a string 27 times: a 903-byte GET that took one worker to
3.5 GB (issue 11). Each ``expr AS ?v`` that builds strings (CONCAT, REPLACE, ENCODE_FOR_URI, …) makes
``?v`` as large as the sum of the variables it reads (REPLACE: their product); the guard follows those
factors through the query and refuses one whose largest factor, times its longest string literal (at
least 1 kB), exceeds this. What the text does not show (a huge GROUP_CONCAT) is left to the
run-time memory budget."""
_STRING_BUILDERS = frozenset({"CONCAT", "REPLACE", "ENCODE_FOR_URI", "GROUP_CONCAT", "STRBEFORE", "STRAFTER"})


def string_growth(query: str | Sequence[Token]) -> int:
    """The largest factor by which ``expr AS ?var`` chains multiply a string (1 when nothing grows)."""
    tokens = query_tokens(query)
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
