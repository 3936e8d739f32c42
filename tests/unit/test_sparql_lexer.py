"""The SPARQL lexer under the guards: the issue-11 bypasses, and properties against pyoxigraph's parser.

The generator builds queries from parts whose SERVICE targets, nesting and operator counts are known by
construction, and mixes in everything that fooled the old regex scanner: ``PN_LOCAL_ESC`` (``ex:a\\#``,
``ex:a\\'``), strings with escapes and brackets, comments, IRIs with ``#`` and brackets, ``<`` as
less-than without spaces. pyoxigraph must accept every generated query (else the generator is wrong),
and the lexer must read exactly the known values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blackjanuary.errors import BadRequest, ReadOnly
from blackjanuary.query.guard import (
    GLUED_SERVICE,
    check_query,
    check_raw_bounds,
    leading_keyword,
    nesting_depth,
    operator_count,
    service_targets,
)
from blackjanuary.query.lexer import LexError, tokenize
from blackjanuary.query.protocol import dataset_clause_iris

EXAMPLES = int(os.environ.get("BLACKJANUARY_PROPERTY_EXAMPLES", "100"))
NOWHERE = "http://127.0.0.1:9/sparql"  # the discard port: nothing listens (the queries are never run)

ISSUE_BYPASS = (
    r"PREFIX ex: <http://e/> SELECT ?leak WHERE { BIND(ex:a\# AS ?x) "
    r"SERVICE <http://127.0.0.1:18999/internal> { ?leak ?p ?o } }"
)


def parses(query: str) -> bool:
    """pyoxigraph's parser accepts ``query`` (``query()`` parses; evaluation is lazy and never started)."""
    try:
        ox.Store().query(query)
    except SyntaxError:
        return False
    return True


# The issue's bypasses, one by one ------------------------------------------------------------------------


def test_the_issue_bypass_is_refused() -> None:
    assert parses(ISSUE_BYPASS)
    assert service_targets(ISSUE_BYPASS) == ["http://127.0.0.1:18999/internal"]
    with pytest.raises(ReadOnly, match="18999"):
        check_query(ISSUE_BYPASS, max_depth=200)


@pytest.mark.parametrize("escape", ["\\#", "\\'", '\\"'[:0] + "\\(", "\\!", "\\-", "\\~", "%23"])
def test_local_name_escapes_hide_nothing(escape: str) -> None:
    query = (
        "PREFIX ex: <http://e/> SELECT * WHERE { BIND(ex:a" + escape + " AS ?x) "
        "SERVICE <http://127.0.0.1:18999/x> { ?s ?p ?o } FILTER(" + "(" * 3 + "1" + ")" * 3 + ") }"
    )
    assert parses(query)
    assert service_targets(query) == ["http://127.0.0.1:18999/x"]
    assert nesting_depth(query) == 5


@pytest.mark.parametrize(
    "glued",
    [
        "SERVICE:x { ?s ?p ?o }",
        "SERVICEex:x { ?s ?p ?o }",
        "SERVICESILENTex:x { ?s ?p ?o }",
        "service silentex:x { ?s ?p ?o }",
        "?s ?p true SERVICE<http://127.0.0.1:9/> { ?s ?p ?o }".replace(" SERVICE", "SERVICE"),
    ],
)
def test_service_glued_to_a_name_is_refused(glued: str) -> None:
    """Oxigraph reads keywords without a word boundary: ``SERVICEex:x`` calls ``ex:x`` (seen in a probe)."""
    query = "PREFIX : <http://127.0.0.1:9/> PREFIX ex: <http://127.0.0.1:9/> SELECT * WHERE { " + glued + " }"
    assert parses(query), query
    targets = service_targets(query)
    assert (
        targets
        and all(t == GLUED_SERVICE or t.startswith("(") for t in targets)
        or targets == ["(a variable or prefixed name)"]
    )
    with pytest.raises(ReadOnly):
        check_query(query, max_depth=200, allowed_services=("http://127.0.0.1:9/",))


def test_less_than_without_spaces_is_an_operator_and_iris_keep_their_hash() -> None:
    query = (
        "SELECT * WHERE { ?s <http://e/p#x> ?o . BIND(1 AS ?a) BIND(2 AS ?b) BIND(3 AS ?c) "
        "FILTER(?a<?b&&?c>?a) FILTER(?a<(((2)))) }"
    )
    assert parses(query)
    texts = [t.text for t in tokenize(query)]
    assert "<http://e/p#x>" in texts and "<?b&&?c>" not in texts and texts.count("<") == 2
    assert nesting_depth(query) == 5


def test_what_cannot_be_read_is_a_400_naming_the_position() -> None:
    for bad, column in [
        ("SELECT * { ?s ?p 'open }", 18),
        ("SELECT * { ?s ?p ?o } \\ SERVICE", 23),
        ("SELECT * { ?s <http://a b> ?o }", 15),
        ("SELECT * { ?s ?p ?o }\x00", 22),
        ("SELECT * { ?s ?p ?o @ }", 21),
    ]:
        with pytest.raises(LexError, match=f"line 1, column {column}") as caught:
            check_query(bad, max_depth=200)
        assert isinstance(caught.value, BadRequest) and caught.value.hint


def test_unicode_escapes_in_iris_are_decoded_for_the_allow_list() -> None:
    query = r"SELECT * { SERVICE <http://127.0.0.1:9/\u0073parql> { ?s ?p ?o } }"
    assert parses(query)
    assert service_targets(query) == [NOWHERE]
    check_query(query, max_depth=20, allowed_services=(NOWHERE,))


def test_leading_keyword_reads_glued_keywords() -> None:
    assert leading_keyword("PREFIX x: <http://e/> # c\n insert data { }") == "INSERT"
    assert leading_keyword("INSERTDATA{}") == "INSERT"
    assert leading_keyword("SELECTDISTINCT * {}") == "SELECT"
    assert leading_keyword("BASE <http://e/> describe<http://e/x>") == "DESCRIBE"


def test_dataset_clauses_expand_escaped_local_names() -> None:
    query = r"PREFIX g: <http://x/g/> SELECT * FROM g:a\-b FROM NAMED <http://x/\u0067> {}"
    assert parses(query)
    assert dataset_clause_iris(query) == ["http://x/g/a-b", "http://x/g"]


def test_raw_bounds_hold_whatever_the_lexer_reads() -> None:
    for attack in ("!" * 450_000, "{" * 400_000, "(" * 450_000, "+" * 450_000):
        query = ISSUE_BYPASS.replace("?leak ?p ?o", "?leak ?p ?o FILTER(" + attack + "true)")
        with pytest.raises(BadRequest, match="characters"):
            check_raw_bounds(query)
        with pytest.raises(BadRequest):
            check_query(query, max_depth=200)
    check_raw_bounds("SELECT * { ?s ?p '" + "(" * 5_000 + "' }")


# Properties against pyoxigraph ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """A piece of query text and what a correct reading finds in it."""

    text: str
    services: tuple[str, ...] = ()
    depth: int = 0
    operators: int = 0


def _join(parts: list[Part], sep: str = " . ") -> Part:
    return Part(
        sep.join(p.text for p in parts),
        tuple(s for p in parts for s in p.services),
        max((p.depth for p in parts), default=0),
        sum(p.operators for p in parts) + sep.count(".") * (len(parts) - 1),
    )


def _wrap(open_: str, inner: Part, close: str) -> Part:
    return Part(f"{open_}{inner.text}{close}", inner.services, inner.depth + 1, inner.operators + 2)


TRICKY = "#{}()[]'\"\\<>!|&^*+-.;,"
ws = st.sampled_from([" ", "\n", "\t", " # a comment with { ( [ ' \" SERVICE <http://x/>\n", "\r\n"])
iri_text = st.builds(
    lambda path, frag: f"<http://e/{path}{frag}>",
    st.text(alphabet="abc/()'!*+-.;,=&$", max_size=8),
    st.sampled_from(["", "#", "#x", "#(", "#'", r"#\u0041", "#)"]),
)
local = st.builds(
    lambda a, esc, b: a + esc + b,
    st.sampled_from(["a", "b1", "_x", "c-d"]),
    st.sampled_from(["", "\\#", "\\'", "\\(", "\\)", "\\!", "\\.", "\\,", "\\;", "%2F", "\\&", "\\?"]),
    st.sampled_from(["", "z", "9"]),
)
pname = local.map(lambda loc: "ex:" + loc)
string = st.one_of(
    st.text(alphabet="ab{}()[]#'<>!? SERVICE", max_size=10).map(lambda s: '"' + s + '"'),
    st.text(alphabet='ab{}()[]#"<> SERVICE', max_size=10).map(lambda s: "'" + s + "'"),
    st.text(alphabet="ab{}()#'\n SERVICE", max_size=12).map(lambda s: '"""' + s + 'x"""'),
    st.text(alphabet='ab{}()#"\n', max_size=12).map(lambda s: "'''" + s + "x'''"),
    st.sampled_from([r'"a\"b"', r"'a\'b'", r'"\\"', r'"\u0022#"', r"'''a''b'''", r'"""a""b"""', '"x"@en-GB']),
)
obj = st.one_of(iri_text, pname, string, st.sampled_from(["?o", "$o", "1", "2.5"]))
predicate = st.one_of(iri_text, pname, st.just("?p"))


def expression(depth: int) -> st.SearchStrategy[Part]:
    leaf = st.one_of(st.sampled_from(["?a", "?b", "1", "true"]), string, pname, iri_text).map(Part)
    if depth == 0:
        return leaf
    inner = expression(depth - 1)
    return st.one_of(
        leaf,
        inner.map(lambda e: _wrap("(", e, ")")),
        st.tuples(inner, st.sampled_from(["<", "<=", "&&", "||", "+", "*", "!=", ">"]), inner).map(
            lambda t: Part(
                f"({t[0].text}{t[1]}{t[2].text})",
                (),
                max(t[0].depth, t[2].depth) + 1,
                t[0].operators + 3 + t[2].operators,
            )
        ),
        inner.map(lambda e: Part("STR(" + e.text + ")", (), e.depth + 1, e.operators + 2)),
        inner.map(lambda e: Part("!" + e.text, (), e.depth, e.operators + 1)),
    )


def pattern(depth: int) -> st.SearchStrategy[Part]:
    triple = st.tuples(ws, predicate, obj).map(lambda t: Part(f"?s{t[0]}{t[1]}{t[0]}{t[2]}"))
    filter_ = expression(2).map(lambda e: _wrap("FILTER(", e, ")"))
    # a collection and a property path: after an operand, "<" opens an IRI (with "#" or "'" in it)
    collection = st.tuples(predicate, iri_text, obj).map(
        lambda t: Part(f"?s {t[0]} (?o{t[1]} {t[2]})", (), 1, 2)
    )
    path = st.tuples(iri_text, iri_text, pname).map(
        lambda t: Part(f"?s ({t[0]}|^{t[1]})/{t[2]}* ?o", (), 1, 6)
    )
    # a sub-select: its projection is an expression, where "<" after an operand is less-than
    subselect = expression(1).map(
        lambda e: Part(
            f"{{ SELECT ?a ({e.text} AS ?c) WHERE {{ ?s ?p ?a }} }}", (), 2 + e.depth, 6 + e.operators
        )
    )
    leaves = st.one_of(triple, filter_, collection, path, subselect)
    if depth == 0:
        return leaves
    inner = st.lists(pattern(depth - 1), min_size=1, max_size=2).map(_join)
    silent = st.sampled_from(["", "SILENT ", "silent\n"])
    service = st.tuples(silent, st.sampled_from(["", "#(", "#x'y", "#)!"]), inner)
    return st.one_of(
        leaves,
        inner.map(lambda p: _wrap("{ ", p, " }")),
        inner.map(lambda p: _wrap("OPTIONAL { ", p, " }")),
        service.map(
            lambda t: Part(
                f"SERVICE {t[0]}<{NOWHERE}{t[1]}> {{ {t[2].text} }}",
                (NOWHERE + t[1], *t[2].services),
                t[2].depth + 1,
                t[2].operators + 2,
            )
        ),
    )


@st.composite
def queries(draw: st.DrawFn) -> Part:
    body = draw(st.lists(pattern(2), min_size=1, max_size=3))
    joined = _join(body, draw(st.sampled_from([" . ", " .\n", "\n.\t"])))
    where = _wrap("{ ", joined, " }")
    prologue = "PREFIX ex: <http://e/ns(/> "
    comment = draw(st.sampled_from(["", "# SERVICE <http://x/> { ( [\n", "#" + TRICKY + "\n"]))
    text = prologue + comment + "SELECT * WHERE " + where.text
    return Part(text, where.services, where.depth, where.operators + 1)  # + the "*"


@given(queries())
@settings(max_examples=max(EXAMPLES // 3, 10), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_queries_pyoxigraph_accepts_are_read_exactly(query: Part) -> None:
    text = query.text
    if not parses(text):  # the generator must only make valid SPARQL, or the test proves nothing
        ox.Store().query(text)
    assert sorted(service_targets(text)) == sorted(query.services)
    assert nesting_depth(text) == query.depth
    assert operator_count(text) == query.operators
    assert leading_keyword(text) == "SELECT"


@given(st.text(alphabet=TRICKY + "ab?:_ SERVICE\n<>", max_size=60))
@settings(max_examples=EXAMPLES, deadline=None)
def test_arbitrary_text_lexes_or_fails_closed_with_a_400(text: str) -> None:
    """Whatever the input, the guard answers (a 400/403 or a pass), never another exception."""
    try:
        check_query(text, max_depth=200)
    except BadRequest as exc:
        assert exc.status == 400
    except ReadOnly:
        pass


XSD = "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "


@pytest.mark.parametrize(
    "query",
    [
        # a sub-select's projection and GROUP BY are expressions, also with the keyword glued
        "SELECT * WHERE { { SELECT ?a (?a<?b AS ?c) WHERE { BIND(1 AS ?a) BIND(2 AS ?b) } } }",
        "SELECT * WHERE { { SELECTDISTINCT ?a (?a<?b AS ?c) WHERE { BIND(1 AS ?a) BIND(2 AS ?b) } } }",
        "SELECT * WHERE { { SELECT ?a WHERE { BIND(1 AS ?a) BIND(2 AS ?b) } GROUP BY ?a (?a<?b) } }",
        # a function call after FILTER, with an IRI, a prefixed name, or glued
        XSD + "SELECT * WHERE { BIND(1 AS ?a) BIND(2 AS ?b) FILTER xsd:boolean(?a<?b) }",
        XSD + "SELECT * WHERE { BIND(1 AS ?a) BIND(2 AS ?b) FILTERxsd:boolean(?a<?b) }",
        "SELECT * WHERE { BIND(1 AS ?a) BIND(2 AS ?b) "
        "FILTER<http://www.w3.org/2001/XMLSchema#boolean>(?a<?b) }",
        "SELECT * WHERE { BIND(1 AS ?a) BIND(2 AS ?b) FILTERregex(STR(?a<?b), 'x') }",
        # the top level: projection, GROUP BY, HAVING, ORDER BY
        "SELECT ?a (?a<?b AS ?c) WHERE { BIND(1 AS ?a) BIND(2 AS ?b) } GROUP BY ?a ?b HAVING(?a<?b) "
        "ORDER BY (?a<?b)",
    ],
)
def test_less_than_after_an_operand_is_read_as_the_engine_reads_it(query: str) -> None:
    """Where the engine reads ``?a<?b`` as a comparison the lexer must too: read as an IRI, ``<?b …>``
    could hide a ``#`` and start a comment the engine never sees (and the lines after it)."""
    assert parses(query), query
    kinds = [(t.kind, t.text) for t in tokenize(query)]
    assert ("PUNCT", "<") in kinds
    assert not [text for kind, text in kinds if kind == "IRI" and "?" in text]


def test_a_hash_after_less_than_hides_nothing() -> None:
    """The attack the position rule prevents: the engine reads ``?a<?b`` and a comment to the end of the
    line; a lexer that read ``<?b#>`` as an IRI would take the next ``\"\"\"`` for a string and miss
    the SERVICE on the lines after it."""
    query = (
        XSD + "SELECT * WHERE { BIND(1 AS ?a) BIND(2 AS ?b) "
        'FILTERxsd:boolean(?a<?b#>"""\n) SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o }\n# """\n}'
    )
    assert parses(query)
    assert service_targets(query) == ["http://127.0.0.1:9/x"]
