"""Synthetic graphs shaped like ours, at 10 k … 10 M triples, written as N-Quads into ``bench/data/``.

Each *block* is one event with the statement-node pattern of ADR 0001: the direct triple, a
``bj:Statement`` with ``rdf:subject/predicate/object`` and ``prov:wasDerivedFrom`` a quote node, the
quote inside a sentence node, labels in de/en/az/ru and descriptions in de/en. Agents and places are
shared between events; locations follow a skewed distribution, so ``bjid:bench-place-0`` collects a
large share of all incoming links (the "entity with 100 000 incoming links" case).

The output depends only on the size and the seed (``random.Random(seed)``), never on the clock.

    python -m bench.generate --sizes 10k,100k,1M
"""

from __future__ import annotations

import argparse
import logging
import random
from collections.abc import Iterator
from pathlib import Path

from blackjanuary.config import CANONICAL_BASE_IRI
from blackjanuary.progress import progress

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
SEED = 19900120

B = CANONICAL_BASE_IRI
BJ, ID, ST, SRC = B + "ontology#", B + "id/", B + "id/statement/", B + "source/"
DATA_GRAPH, META_GRAPH = f"<{B}graph/data>", f"<{B}graph/meta>"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SDO, SEM = "http://schema.org/", "http://semanticweb.cs.vu.nl/2009/11/sem/"
PROV, OA, DCT = "http://www.w3.org/ns/prov#", "http://www.w3.org/ns/oa#", "http://purl.org/dc/terms/"
WGS, VOID, XSD = (
    "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "http://rdfs.org/ns/void#",
    "http://www.w3.org/2001/XMLSchema#",
)
LANGS = ("de", "en", "az", "ru")
WORDS = {"de": "Ereignis", "en": "event", "az": "hadisə", "ru": "событие"}
AGENT_WORDS = {"de": "Person", "en": "person", "az": "şəxs", "ru": "лицо"}
PLACE_WORDS = {"de": "Ort", "en": "place", "az": "yer", "ru": "место"}
SOURCE = f"<{SRC}bench-source.de>"


def parse_size(label: str) -> int:
    if label in SIZES:
        return SIZES[label]
    return int(label.lower().replace("k", "000").replace("m", "000000"))


def data_path(label: str) -> Path:
    return DATA_DIR / f"synthetic-{label}.nq"


def iri(value: str) -> str:
    return f"<{value}>"


def lit(value: str, lang: str | None = None, datatype: str | None = None) -> str:
    text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if lang:
        return f"{text}@{lang}"
    if datatype:
        return f"{text}^^<{datatype}>"
    return text


def integer(n: int) -> str:
    return lit(str(n), datatype=XSD + "integer")


def segment(node: str, label: str, exact: str, start: int, end: int) -> Iterator[tuple[str, str, str]]:
    """A text segment in the Web Annotation shape (ADR 0001): the source and three blank-node selectors."""
    fragment, position, quote = f"_:{label}f", f"_:{label}p", f"_:{label}q"
    yield node, iri(RDF + "type"), iri(OA + "SpecificResource")
    yield node, iri(OA + "hasSource"), SOURCE
    for selector in (fragment, position, quote):
        yield node, iri(OA + "hasSelector"), selector
    yield fragment, iri(RDF + "type"), iri(OA + "FragmentSelector")
    yield fragment, iri(DCT + "conformsTo"), iri("http://tools.ietf.org/rfc/rfc5147")
    yield fragment, iri(RDF + "value"), lit(f"char={start},{end}")
    yield position, iri(RDF + "type"), iri(OA + "TextPositionSelector")
    yield position, iri(OA + "start"), integer(start)
    yield position, iri(OA + "end"), integer(end)
    yield quote, iri(RDF + "type"), iri(OA + "TextQuoteSelector")
    yield quote, iri(OA + "exact"), lit(exact)


class Generator:
    """Yields triples (s, p, o as N-Triples terms) until at least ``target`` have been produced."""

    def __init__(self, target: int, seed: int = SEED) -> None:
        self.target = target
        self.rng = random.Random(seed)
        self.places: list[str] = []
        self.agents: list[str] = []
        self.offset = 0

    def labelled(self, node: str, words: dict[str, str], n: int) -> Iterator[tuple[str, str, str]]:
        for lang in LANGS:
            yield node, iri(RDFS + "label"), lit(f"{words[lang]} {n}", lang)
        yield node, iri(SDO + "description"), lit(f"Synthetisches {words['de']} Nummer {n}.", "de")
        yield node, iri(SDO + "description"), lit(f"Synthetic {words['en']} number {n}.", "en")

    def place(self) -> Iterator[tuple[str, str, str]]:
        n = len(self.places)
        node = iri(f"{ID}bench-place-{n}")
        self.places.append(node)
        yield node, iri(RDF + "type"), iri(SDO + "Place")
        yield node, iri(RDF + "type"), iri(SEM + "Place")
        yield from self.labelled(node, PLACE_WORDS, n)
        yield node, iri(WGS + "lat"), lit(f"{40 + self.rng.random():.6f}", datatype=XSD + "decimal")
        yield node, iri(WGS + "long"), lit(f"{49 + self.rng.random():.6f}", datatype=XSD + "decimal")

    def agent(self) -> Iterator[tuple[str, str, str]]:
        n = len(self.agents)
        node = iri(f"{ID}bench-agent-{n}")
        self.agents.append(node)
        yield node, iri(RDF + "type"), iri(SDO + "Person")
        yield node, iri(RDF + "type"), iri(SEM + "Actor")
        yield from self.labelled(node, AGENT_WORDS, n)

    def pick_place(self) -> str:
        """Skewed: about a fifth of all events happen at place 0 (the hub with many incoming links)."""
        if self.rng.random() < 0.2:
            return self.places[0]
        return self.places[int(len(self.places) * self.rng.random() ** 2)]

    def event(self, n: int) -> Iterator[tuple[str, str, str]]:
        rng = self.rng
        node = iri(f"{ID}bench-event-{n}")
        yield node, iri(RDF + "type"), iri(SDO + "Event")
        yield node, iri(RDF + "type"), iri(SEM + "Event")
        yield from self.labelled(node, WORDS, n)
        day = 1 + n % 28
        yield node, iri(SDO + "startDate"), lit(f"1990-01-{day:02d}", datatype=XSD + "date")
        yield node, iri(SDO + "location"), self.pick_place()
        for agent in rng.sample(self.agents, k=min(2, len(self.agents))):
            yield node, iri(SEM + "hasActor"), agent
        if n:
            yield node, iri(SDO + "superEvent"), iri(f"{ID}bench-event-{rng.randrange(n)}")
        killed = rng.randrange(1, 500)
        yield node, iri(BJ + "killedCount"), integer(killed)
        # the statement node, its quote and its sentence (ADR 0001)
        sentence_start = self.offset
        quote_start, quote_end = sentence_start + 10, sentence_start + 40
        self.offset += 120
        sentence = iri(f"{SRC}bench-source.de#char={sentence_start},{sentence_start + 100}")
        quote = iri(f"{SRC}bench-source.de#char={quote_start},{quote_end}")
        statement = iri(f"{ST}bench-event-{n}-killed-count")
        yield statement, iri(RDF + "type"), iri(BJ + "Statement")
        yield statement, iri(RDF + "subject"), node
        yield statement, iri(RDF + "predicate"), iri(BJ + "killedCount")
        yield statement, iri(RDF + "object"), integer(killed)
        yield statement, iri(PROV + "wasDerivedFrom"), quote
        yield quote, iri(RDF + "type"), iri(BJ + "Quote")
        yield from segment(quote, f"q{n}", f"{killed} Menschen kamen ums Leben", quote_start, quote_end)
        yield quote, iri(DCT + "isPartOf"), sentence
        yield sentence, iri(RDF + "type"), iri(BJ + "Sentence")
        text = f"Satz {n}: Bei dem Ereignis kamen {killed} Menschen ums Leben."
        yield from segment(sentence, f"s{n}", text, sentence_start, sentence_start + 100)
        yield sentence, iri(BJ + "sentenceNumber"), integer(n + 1)
        yield sentence, iri(DCT + "isPartOf"), SOURCE

    def triples(self) -> Iterator[tuple[str, str, str]]:
        produced = 0
        n = 0
        while produced < self.target:
            parts: list[Iterator[tuple[str, str, str]]] = []
            if n % 50 == 0:
                parts.append(self.place())
            if n % 5 == 0:
                parts.append(self.agent())
            parts.append(self.event(n))
            for part in parts:
                for triple in part:
                    yield triple
                    produced += 1
            n += 1


def meta_quads(data_triples: int) -> list[str]:
    dataset = iri(B + "dataset")
    return [
        f"{dataset} {iri(RDF + 'type')} {iri(VOID + 'Dataset')} {META_GRAPH} .\n",
        f"{dataset} {iri(VOID + 'triples')} {integer(data_triples)} {META_GRAPH} .\n",
        f"{dataset} {iri(RDFS + 'label')} {lit('Synthetic benchmark graph', 'en')} {META_GRAPH} .\n",
    ]


def generate(label: str, *, seed: int = SEED, out: Path | None = None, force: bool = False) -> Path:
    """Write ``synthetic-{label}.nq`` (skipped when it exists, unless ``force``) and return its path."""
    path = out or data_path(label)
    if path.exists() and not force:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    target = parse_size(label)
    tmp = path.with_suffix(".nq.part")
    count = 0
    with tmp.open("w", encoding="utf-8") as fh, progress(f"generating {label}", target) as step:
        every = max(1, target // 100)
        for s, p, o in Generator(target, seed).triples():
            fh.write(f"{s} {p} {o} {DATA_GRAPH} .\n")
            count += 1
            if count % every == 0:
                step.advance()
        fh.writelines(meta_quads(count))
    tmp.replace(path)
    log.info("wrote %s: %d data triples", path, count)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M", help="comma-separated: 10k,100k,1M,10M")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--force", action="store_true", help="regenerate existing files")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for label in args.sizes.split(","):
        generate(label.strip(), seed=args.seed, force=args.force)


if __name__ == "__main__":
    main()
