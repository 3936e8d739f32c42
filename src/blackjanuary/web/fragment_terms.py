"""The query string of a Triple Pattern Fragment: ``subject``, ``predicate``, ``object`` and ``page``.

Terms use the Hydra *explicit representation* (what Comunica and the other TPF clients send): an
IRI as it is (``http://…``, angle brackets allowed), a literal as its lexical form in double quotes,
optionally followed by ``@lang`` or ``^^datatype`` (``"Baku"@de``, ``"1990"^^http://www.w3.org/2001/
XMLSchema#gYear``, ``"1"^^<http://…#integer>``; the datatype may also be written ``xsd:…`` or
``rdf:…``). The lexical form is not escaped: everything between the first and the last quote is the
value. An empty or missing parameter, a variable (``?x``) or a blank node (``_:b``) means "any term",
as a blank node does in a SPARQL pattern. Anything else is a :class:`BadRequest` naming the parameter.

>>> parse_term("object", '"Baku"@DE')
<Literal value=Baku language=de>
>>> parse_term("object", '"20"^^<http://www.w3.org/2001/XMLSchema#integer>').datatype.value
'http://www.w3.org/2001/XMLSchema#integer'
>>> parse_term("object", '"a "quoted" word"').value
'a "quoted" word'
>>> parse_term("subject", "?s") is None
True
>>> parse_term("subject", "<https://w3id.org/blackjanuary/id/baku>").value
'https://w3id.org/blackjanuary/id/baku'
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from blackjanuary.errors import BadRequest
from blackjanuary.store.patterns import TriplePattern

POSITIONS = ("subject", "predicate", "object")
MAX_TERM_CHARS = 4096
MAX_PAGE = 100_000
"""The last page a client may ask for (a page costs its offset in skipped rows)."""

_LITERAL = re.compile(
    r'^"(?P<value>.*)"(?:@(?P<lang>[^"]*)|\^\^<?(?P<datatype>[^<>"]*)>?)?$',
    re.DOTALL,
)
_DATATYPE_PREFIXES = {
    "xsd:": "http://www.w3.org/2001/XMLSchema#",
    "rdf:": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
}
_HINT = (
    "Write an IRI as it is (http://…), a literal in double quotes with an optional @lang or ^^datatype "
    '("Baku"@de, "1"^^http://www.w3.org/2001/XMLSchema#integer), and leave a parameter out for "any".'
)


def parse_term(position: str, raw: str | None) -> ox.NamedNode | ox.Literal | None:
    """The term ``raw`` names in ``position`` (``None`` for any term); BadRequest when it is not one."""
    if raw is None:
        return None
    text = raw.strip()
    if not text or text.startswith(("?", "$", "_:")):
        return None
    if len(text) > MAX_TERM_CHARS:
        raise BadRequest(f"the {position} is longer than {MAX_TERM_CHARS} characters.", hint=_HINT)
    if text.startswith('"'):
        if position != "object":
            raise BadRequest(
                f"the {position} {text[:80]!r} is a literal; only an object can be one.", hint=_HINT
            )
        return _literal(text)
    iri = text[1:-1] if text.startswith("<") and text.endswith(">") else text
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise BadRequest(
            f"the {position} {text[:80]!r} is not an absolute IRI ({exc}).", hint=_HINT
        ) from None


def _literal(text: str) -> ox.Literal:
    match = _LITERAL.match(text)
    if match is None:
        raise BadRequest(
            f"the object {text[:80]!r} starts like a literal but does not end like one.", hint=_HINT
        )
    value, lang, datatype = match.group("value"), match.group("lang"), match.group("datatype")
    try:
        if lang is not None:
            return ox.Literal(value, language=lang)
        if datatype is not None:
            for prefix, namespace in _DATATYPE_PREFIXES.items():
                if datatype.startswith(prefix):
                    datatype = namespace + datatype[len(prefix) :]
            return ox.Literal(value, datatype=ox.NamedNode(datatype))
        return ox.Literal(value)
    except ValueError as exc:
        raise BadRequest(f"the object {text[:80]!r} is not a valid literal ({exc}).", hint=_HINT) from None


def parse_pattern(args: dict[str, str]) -> TriplePattern:
    """The triple pattern of a query string (``args`` maps parameter names to their first value)."""
    subject = parse_term("subject", args.get("subject"))
    predicate = parse_term("predicate", args.get("predicate"))
    obj = parse_term("object", args.get("object"))
    return TriplePattern(subject, predicate, obj)  # type: ignore[arg-type]  # literals refused above


def parse_page(raw: str | None) -> int:
    """The page number (1 when missing); BadRequest unless it is a whole number 1 … MAX_PAGE."""
    if raw is None or raw == "":
        return 1
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:
        raise BadRequest(
            f"page={raw[:40]!r} is not a page number.",
            hint=f"Pages are numbered 1 to {MAX_PAGE}; follow the fragment's hydra:next link.",
        )
    return int(raw)
