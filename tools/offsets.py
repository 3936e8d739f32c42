"""Compute RFC 5147 character offsets of sentences and quotes in the source text (not part of the package).

Offsets are Unicode code points into the file decoded as UTF-8, the same numbers ``oa:start`` /
``oa:end`` and the ``#char=S,E`` fragments carry. Never count them by hand; run this instead:

    python tools/offsets.py sentences                 # every sentence: number, start, end, text
    python tools/offsets.py quote "840 weitere festgenommen"        # offsets + Turtle for a quote
    python tools/offsets.py quote "in Baku" --occurrence 2          # the 2nd occurrence
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "graph" / "source" / "black-january-1990.de.txt"
SOURCE_IRI = "https://w3id.org/blackjanuary/source/black-january-1990.de"

# A sentence ends at '.', '!' or '?' after a letter (so "20. Januar" and "34. Jahrestag" do not split),
# followed by whitespace and an upper-case letter, or by the end of the text.
_SENTENCE = re.compile(r"\S.*?(?<=[^\W\d_][.!?])(?=\s+[A-ZÄÖÜ]|\s*$)", re.DOTALL)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str

    @property
    def iri(self) -> str:
        return f"{SOURCE_IRI}#char={self.start},{self.end}"


def read_text(path: Path = SOURCE) -> str:
    return path.read_bytes().decode("utf-8")


def sentences(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), m.group(0)) for m in _SENTENCE.finditer(text)]


def find(text: str, exact: str, occurrence: int = 1) -> Span:
    """The ``occurrence``-th (1-based) place of ``exact`` in ``text``; ValueError if it is not there."""
    start = -1
    for _ in range(occurrence):
        start = text.find(exact, start + 1)
        if start < 0:
            raise ValueError(f"{exact!r} occurs fewer than {occurrence} times in the source text")
    return Span(start, start + len(exact), exact)


def sentence_of(text: str, span: Span) -> tuple[int, Span]:
    """The 1-based number and span of the sentence that contains ``span``."""
    for number, sentence in enumerate(sentences(text), start=1):
        if sentence.start <= span.start and span.end <= sentence.end:
            return number, sentence
    raise ValueError(f"{span.text!r} at {span.start},{span.end} crosses a sentence boundary")


def turtle_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    escaped = escaped.replace("\u00a0", "\\u00A0")
    return f'"{escaped}"'


RFC5147 = "http://tools.ietf.org/rfc/rfc5147"


def segment_turtle(span: Span, classes: str, extra: str, part_of: str) -> str:
    """A text segment in the Web Annotation shape: an ``oa:SpecificResource`` of the source text whose
    selectors (RFC 5147 fragment, position, quote) describe it; its IRI is the ``#char=`` fragment."""
    return (
        f"<{span.iri}> a {classes}, oa:SpecificResource ;\n{extra}"
        f"    oa:hasSource bjsrc:black-january-1990.de ;\n"
        f"    oa:hasSelector [ a oa:FragmentSelector ; dcterms:conformsTo <{RFC5147}> ; "
        f'rdf:value "char={span.start},{span.end}" ] ,\n'
        f"        [ a oa:TextPositionSelector ; oa:start {span.start} ; oa:end {span.end} ] ,\n"
        f"        [ a oa:TextQuoteSelector ; oa:exact {turtle_string(span.text)} ] ;\n"
        f"    dcterms:isPartOf {part_of} .\n"
    )


def quote_turtle(text: str, span: Span) -> str:
    _, sentence = sentence_of(text, span)
    return segment_turtle(span, "bj:Quote", "", f"<{sentence.iri}>")


def sentence_turtle(number: int, span: Span) -> str:
    number_line = f"    bj:sentenceNumber {number} ;\n"
    return segment_turtle(span, "bj:Sentence", number_line, "bjsrc:black-january-1990.de")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, default=SOURCE)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("sentences", help="list every sentence with its offsets")
    quote = commands.add_parser("quote", help="offsets and Turtle of a quote")
    quote.add_argument("exact")
    quote.add_argument("--occurrence", type=int, default=1)
    args = parser.parse_args(argv)
    text = read_text(args.source)
    if args.command == "sentences":
        for number, span in enumerate(sentences(text), start=1):
            sys.stdout.write(f"{number}\t{span.start}\t{span.end}\t{span.text}\n")
    else:
        sys.stdout.write(quote_turtle(text, find(text, args.exact, args.occurrence)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
