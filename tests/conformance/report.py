"""Run every suite and write ``docs/conformance.md`` (``make conformance``).

    cd tests && python -m conformance.report [--out ../docs/conformance.md]

Everything in the report is measured by this run, except the explanations of failures, which are
kept below by test id (a failure without one is reported as unexplained and fails the run).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

from blackjanuary.rdf.formats import RDF_FORMATS, RESULT_FORMATS

from .protocol import ProtocolOutcome, live_server, run_protocol, write_protocol_dist
from .query_eval import Outcome, run_http, run_pyoxigraph
from .query_syntax import SyntaxCheck, run_syntax_entry, syntax_entries
from .suites import QUERY_SUITES, SYNTAX_SUITES, query_tests, syntax_tests
from .syntax import KNOWN_FAILURES, LEXICAL, WRITERS, SyntaxOutcome, run_entry

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "docs" / "conformance.md"

CANON = (
    "Oxigraph stores typed literals by value, so their lexical forms come back canonical "
    '(`"01"^^xsd:integer` as `"1"`, `"1.0e0"^^xsd:double` as `"1"`): graph matching, `str()`, '
    "`sameTerm` and `DISTINCT` then treat equal values as one term, where this RDF 1.0-era test "
    "counts distinct lexical forms"
)
RDF11 = (
    "RDF 1.1 made a simple literal an `xsd:string`; this test predates it and tells "
    '`"abc"` from `"abc"^^xsd:string`'
)
CATEGORIES = {
    "canonical literals": "canonical literals",
    "RDF 1.1 strings": "RDF 1.1 strings",
}
"""Explanations shared by several tests: the table names them, a legend below it gives the text."""

EXPLANATIONS: dict[str, str] = {
    "basic/manifest#term-6": "SPARQL 1.0 grammar: `456.` is a decimal in 1.0, 456 and a dot in 1.1",
    "basic/manifest#term-7": "SPARQL 1.0 grammar: `456. .` parses in 1.0 only (see term-6)",
    "open-world/manifest#open-eq-01": "canonical literals",
    "open-world/manifest#date-2": (
        "needs mf:XsdDateOperations (an optional extension): comparing xsd:date values across time "
        "zones; Oxigraph compares them by value"
    ),
    "optional-filter/manifest#dawg-optional-filter-005-simplified": (
        "the suite holds two contradictory variants; SPARQL 1.1 scopes the filter as "
        "dawg-optional-filter-005-not-simplified does, which passes"
    ),
    "expr-builtin/manifest#dawg-str-1": "canonical literals",
    "expr-builtin/manifest#dawg-str-2": "canonical literals",
    "expr-builtin/manifest#dawg-datatype-2": "RDF 1.1 strings",
    "expr-builtin/manifest#sameTerm-simple": "canonical literals",
    "expr-builtin/manifest#sameTerm-eq": "canonical literals",
    "expr-builtin/manifest#sameTerm-not-eq": "canonical literals",
    "expr-equals/manifest#eq-graph-1": "canonical literals",
    "expr-equals/manifest#eq-graph-2": "canonical literals",
    "distinct/manifest#distinct-1": "canonical literals",
    "distinct/manifest#distinct-2": "canonical literals",
    "distinct/manifest#distinct-9": "canonical literals",
    "aggregates/manifest#agg-empty-group": (
        "GROUP BY over no solutions: Oxigraph gives no group, the 2012 snapshot expects one row of "
        "unbound values"
    ),
    "csv-tsv-res/manifest#tsv03": (
        'Oxigraph stores `"-3"^^xsd:negativeInteger` as an xsd:integer value and returns it so'
    ),
    "functions/manifest#strdt03": "RDF 1.1 strings",
    "functions/manifest#strlang03": "RDF 1.1 strings",
    "functions/manifest#plus-1": (
        "ORDER BY over values of different types and errors, whose relative order SPARQL leaves to "
        "the implementation"
    ),
    "functions/manifest#plus-2": "as plus-1",
    "functions/manifest#bnode01": (
        'Oxigraph\'s `BNODE("x")` is one blank node for the string `x` across all solutions; the test '
        "wants a new one per solution"
    ),
}
"""Why pyoxigraph fails these tests in process (the endpoint gives the engine's answer unchanged)."""


def _cell(counts: Counter[str], total: int) -> str:
    if total == 0:
        return "–"
    parts = [f"{counts['pass']}/{total}"]
    for status in ("fail", "skip"):
        if counts[status]:
            parts.append(f"{counts[status]} {status}")
    return " · ".join(parts)


# Query evaluation -------------------------------------------------------------------------------------


def run_queries() -> list[tuple[str, Outcome, list[Outcome]]]:
    return [(e.suite, run_pyoxigraph(e), list(run_http(e))) for e in query_tests()]


def query_section(results: list[tuple[str, Outcome, list[Outcome]]]) -> tuple[list[str], list[str]]:
    """The markdown lines, and the problems that must fail the run."""
    engines = ["http:" + f.name for f in (*RESULT_FORMATS, *RDF_FORMATS)]
    problems: list[str] = []
    lines = [
        "## Query evaluation over HTTP",
        "",
        "Each test's query goes to `POST /sparql` on an app on the embedded backend (its dataset given by",
        "`default-graph-uri` / `named-graph-uri`, or by the query's FROM), once per format the endpoint",
        "serves for the query form, and the answer is parsed back and compared by the suite's rules.",
        "pyoxigraph runs the same test in process. Cells: passed/run · failed · skipped; – where the",
        "format does not apply (result formats for SELECT/ASK, RDF formats for CONSTRUCT/DESCRIBE).",
        "",
        "| suite | tests | pyoxigraph | " + " | ".join(e.split(":")[1] for e in engines) + " |",
        "|---|---|---|" + "---|" * len(engines),
    ]
    for suite in QUERY_SUITES:
        rows = [r for r in results if r[0] == suite.name]
        engine = Counter(o.status for _, o, _ in rows)
        per: dict[str, Counter[str]] = defaultdict(Counter)
        for _, _, outs in rows:
            for o in outs:
                per[o.engine][o.status] += 1
        cells = [_cell(per[e], sum(per[e].values())) for e in engines]
        lines.append(
            f"| {suite.title} | {len(rows)} | {_cell(engine, len(rows))} | " + " | ".join(cells) + " |"
        )
    lost = [
        (o.test, h.engine, h.reason)
        for _, o, outs in results
        for h in outs
        if o.status == "pass" and h.status != "pass"
    ]
    lines += [""]
    if lost:
        problems += [f"HTTP loses {t} in {e}: {r}" for t, e, r in lost]
        lines += ["**The HTTP layer loses tests the engine passes:**", ""]
        lines += [f"- `{t}` in {e.split(':')[1]}: {r}" for t, e, r in lost]
    else:
        lines.append(
            "**The HTTP layer loses nothing:** every test pyoxigraph passes in process passes through the "
            "endpoint in every format (CSV compared in its lossy form)."
        )
    gained = sorted(
        {
            (o.test, h.engine)
            for _, o, outs in results
            for h in outs
            if o.status == "fail" and h.status == "pass"
        }
    )
    if gained:
        lines += [
            "",
            "Where CSV passes a test pyoxigraph fails, CSV's lossy form hides the difference (it carries no "
            "datatype): " + ", ".join(f"`{t}`" for t, _ in gained) + ".",
        ]
    failing = [(o, outs) for _, o, outs in results if o.status == "fail"]
    lines += [
        "",
        "### Tests pyoxigraph fails (and the endpoint with it)",
        "",
        "| test | pyoxigraph (measured) | why |",
        "|---|---|---|",
    ]
    for o, outs in failing:
        why = EXPLANATIONS.get(o.test)
        if why is None:
            problems.append(f"{o.test}: fails in pyoxigraph without an explanation")
            why = "**unexplained**"
        if why in CATEGORIES:
            why = f"*{why}* (below)"
        formats = [h.engine.split(":")[1] for h in outs if h.status != "pass"]
        reason = o.reason.replace("|", "\\|")[:160]
        lines.append(
            f"| `{o.test}` | {reason} (over HTTP fails in: {', '.join(formats) or 'none'}) | {why} |"
        )
    lines += [""] + [f"- *{name}*: {text}." for name, text in CATEGORIES.items()]
    stale = sorted(set(EXPLANATIONS) - {o.test for o, _ in failing})
    problems += [f"{t}: explained as failing but passes; remove it from EXPLANATIONS" for t in stale]
    skipped = [o for _, o, _ in results if o.status == "skip"]
    lines += ["", "### Skipped", ""]
    lines += [f"- `{o.test}`: {o.reason}" for o in skipped] or ["None."]
    return lines, problems


# Query syntax -----------------------------------------------------------------------------------------


def run_query_syntax() -> list[SyntaxCheck]:
    return [c for e in syntax_entries() for c in run_syntax_entry(e)]


def query_syntax_section(checks: list[SyntaxCheck]) -> tuple[list[str], list[str]]:
    engine = Counter(c.status for c in checks if c.engine == "pyoxigraph")
    http = Counter(c.status for c in checks if c.engine == "http")
    total = sum(engine.values())
    lines = [
        "### Query syntax (`sparql11/syntax-query`)",
        "",
        "Each positive test's query sent to the endpoint must be accepted, each negative one refused",
        "with a 400 and a message (never a 5xx): the endpoint's own guard reads the text before the",
        "engine does.",
        "",
        "| tests | pyoxigraph parses as expected | endpoint |",
        "|---|---|---|",
        f"| {total} | {engine['pass']}/{total} | {http['pass']}/{http['pass'] + http['fail']}"
        + (f" · {http['fail']} fail" if http["fail"] else "")
        + (f" · {http['n/a']} n/a" if http["n/a"] else "")
        + " |",
        "",
    ]
    lines += [f"- `{c.test}` ({c.engine}, {c.status}): {c.reason}" for c in checks if c.status != "pass"]
    problems = [f"query syntax {c.test} {c.engine}: {c.reason}" for c in checks if c.status == "fail"]
    return lines, problems


# Protocol ---------------------------------------------------------------------------------------------


def run_protocol_suite() -> list[ProtocolOutcome]:
    with tempfile.TemporaryDirectory() as tmp:
        dist = Path(tmp) / "dist"
        write_protocol_dist(dist)
        with live_server(dist) as url:
            return run_protocol(url)


def protocol_section(outcomes: list[ProtocolOutcome]) -> tuple[list[str], list[str]]:
    counts = Counter(o.status for o in outcomes)
    applicable = counts["pass"] + counts["fail"]
    lines = [
        "## SPARQL 1.1 Protocol",
        "",
        "Each test of `sparql11/protocol/manifest.ttl` as the HTTP exchange its W3C description gives,",
        "sent with `requests` to a real `blackjanuary serve` (gunicorn) on a free loopback port, holding",
        "stand-ins for the graphs the tests name (`http://kasei.us/2009/09/sparql/data/data0.rdf` …).",
        "",
        f"**{counts['pass']} of {applicable} applicable tests pass**; {counts['n/a']} do not apply:",
        "they test an update service, and this endpoint is read-only. Each of them is still sent as",
        "described, and must be refused with a 4xx (it is: 403) and leave the data unchanged.",
        "",
        "| test | result | note |",
        "|---|---|---|",
    ]
    for o in outcomes:
        note = (
            "update test: refused (4xx), data unchanged" if o.status == "n/a" else o.reason.replace("|", "/")
        )
        lines.append(f"| `{o.test}` | {o.status} | {note} |")
    problems = [f"protocol {o.test}: {o.reason}" for o in outcomes if o.status == "fail"]
    return lines, problems


# Syntax -----------------------------------------------------------------------------------------------


def run_syntax() -> dict[str, list[SyntaxOutcome]]:
    logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)
    return {s.name: [o for e in syntax_tests(s) for o in run_entry(s, e)] for s in SYNTAX_SUITES}


def syntax_section(results: dict[str, list[SyntaxOutcome]]) -> tuple[list[str], list[str]]:
    checks = [*WRITERS, "loader"]
    lines = [
        "## RDF syntax suites",
        "",
        "Positive tests (and the inputs of evaluation tests) read by pyoxigraph, written by each of our",
        "code paths, read back and compared under blank-node isomorphism: `dump:*` is the build's dump",
        "writer (`blackjanuary.publish.dumps`), `doc:*` the `/data/` document writer",
        "(`blackjanuary.web.context`). Negative tests go to the Turtle loader of `validate` and `build`",
        "(`blackjanuary.publish.sources.parse_file`), which must refuse them with an error naming the file",
        "and the line. Cells: passed/run · failed · not applicable (n/a).",
        "",
        "| suite | " + " | ".join(checks) + " |",
        "|---|" + "---|" * len(checks),
    ]
    problems: list[str] = []
    notes: dict[str, set[str]] = defaultdict(set)
    lexical: set[str] = set()
    for suite in SYNTAX_SUITES:
        outs = results[suite.name]
        cells = []
        for check in checks:
            counts = Counter(o.status for o in outs if o.check == check)
            run = counts["pass"] + counts["fail"]
            cell = f"{counts['pass']}/{run}" if run else "–"
            if counts["fail"]:
                cell += f" · {counts['fail']} fail"
            if counts["n/a"]:
                cell += f" · {counts['n/a']} n/a"
            if counts["skip"]:
                cell += f" · {counts['skip']} skip"
            cells.append(cell)
        lines.append(f"| {suite.title} | " + " | ".join(cells) + " |")
        for o in outs:
            if o.status in ("n/a", "skip"):
                notes[o.reason].add(f"{suite.name}/{o.check}")
            if o.reason == LEXICAL:
                lexical.add(f"{suite.name}/{o.test}")
            if o.status == "fail" and o.test not in KNOWN_FAILURES:
                problems.append(f"{suite.name} {o.test} {o.check}: {o.reason}")
    failures = sorted({(s, o.test) for s, outs in results.items() for o in outs if o.status == "fail"})
    lines += ["", "### Failures", ""]
    for suite_name, test in failures:
        checks_failed = sorted(
            {o.check for o in results[suite_name] if o.test == test and o.status == "fail"}
        )
        why = KNOWN_FAILURES.get(test, "**unexplained**")
        lines.append(f"- `{suite_name}/{test}` ({', '.join(checks_failed)}): {why}")
    if not failures:
        lines.append("None.")
    lines += ["", "### Not applicable", ""]
    for reason, where in sorted(notes.items()):
        lines.append(f"- {reason} ({', '.join(sorted(where))})")
    lines += [
        "",
        f"{len(lexical)} inputs pass only with {LEXICAL}: the writers receive rdflib terms (as from the "
        "build's loader), and rdflib rewrites a typed literal's lexical form to its canonical one on "
        'reading (`"01"^^xsd:integer` becomes `"1"`, XML literals are normalised). The values are kept; '
        "the source files' exact spellings are not.",
    ]
    return lines, problems


# The report -------------------------------------------------------------------------------------------

FIXED = [
    "`FROM <relative>` after a `BASE` was refused as an unknown graph: FROM / FROM NAMED IRIs are now "
    "resolved against the query's BASE (`sparql.dataset_clause_iris`; the SPARQL 1.0 dataset tests).",
    "Relative IRIs in a query without BASE made a 400: queries now take the endpoint's canonical IRI "
    "(`{base}sparql`) as base IRI (`store/embedded.py`; protocol `query_content_type_construct`).",
    'A CONSTRUCT answer in RDF/XML with a blank node such as `BNODE("0b")` wrote '
    '`rdf:nodeID="0b"`, which no parser reads: such nodes are renamed (`store/serialize.py`; found '
    "from `functions/bnode01`).",
    "A `/data/` document in RDF/XML with a remote store's blank node labelled like `0b` did not parse: "
    "remote labels are rewritten to valid ones (`web/context.py`; `turtle-syntax-blank-label`).",
    "A query calling an extension function the engine lacks (`<http://example/function>(…)`) made a "
    "500: it is now a 400 that says so (`store/embedded.py`; `syntax-query` test_4).",
    "The Turtle loader (rdflib) accepted 30 of the Turtle suite's invalid documents (bad IRIs and "
    "escapes, N3 extras, missing dots …): it now reads each file with Oxigraph's strict parser first "
    "and names the file, line and column (`dataset.py`).",
]


def render(
    queries: list[tuple[str, Outcome, list[Outcome]]],
    query_syntax: list[SyntaxCheck],
    protocol: list[ProtocolOutcome],
    syntax: dict[str, list[SyntaxOutcome]],
) -> tuple[str, list[str]]:
    q_lines, q_problems = query_section(queries)
    qs_lines, qs_problems = query_syntax_section(query_syntax)
    p_lines, p_problems = protocol_section(protocol)
    s_lines, s_problems = syntax_section(syntax)
    head = [
        "# Conformance: the W3C test suites",
        "",
        "<!-- Generated by `make conformance` (tests/conformance/report.py); do not edit by hand. -->",
        "",
        "The W3C's own suites, run against blackjanuary: SPARQL 1.0 and 1.1 query evaluation through the",
        "HTTP endpoint in every result format, the SPARQL 1.1 Protocol against a live server, and the RDF",
        "1.1 syntax suites through our writers and loader. The suites are vendored in",
        "`tests/conformance/suites/` (from the rdflib 7.6.0 sdist; provenance and licence in",
        "`tests/conformance/README.md`).",
        "",
        f"Measured with pyoxigraph {version('pyoxigraph')} and rdflib {version('rdflib')}.",
        "",
    ]
    fixed = ["## Defects the suites found (fixed)", "", *[f"- {item}" for item in FIXED], ""]
    limits = [
        "## Not covered",
        "",
        "- SPARQL Update, entailment regimes, federation (SERVICE) and service-description suites: the",
        "  endpoint is read-only, has no entailment regime and calls no other endpoint.",
        "- JSON-LD's own suite (json-ld.org) is not shipped by a registry package; JSON-LD output is",
        "  checked by CONSTRUCT answers and the round trips above.",
        "- The query tests run on the embedded backend; the persistent backend shares its code. The",
        "  remote backend forwards queries unchanged, so relative IRIs resolve against its server's own",
        "  base (`oxigraph serve` uses its own URL), not against `{base}sparql`.",
        "",
    ]
    text = "\n".join([*head, *fixed, *q_lines, "", *qs_lines, "", *p_lines, "", *s_lines, "", *limits])
    return text, q_problems + qs_problems + p_problems + s_problems


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(list(argv) if argv is not None else None)
    text, problems = render(run_queries(), run_query_syntax(), run_protocol_suite(), run_syntax())
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
