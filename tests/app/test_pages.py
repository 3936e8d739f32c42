"""Pages for people: structure, language, provenance links, a crawl of the whole site, and XSS."""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.namespace import PROV, RDF

from blackjanuary.config import Settings
from blackjanuary.publish.manifest import read_manifest
from blackjanuary.rdf import segments
from blackjanuary.rdf.iris import Iris
from blackjanuary.web.app import create_app

pytestmark = pytest.mark.every_backend  # app and client once per backend (tests/conftest.py)

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HTML_HEADERS = {"Accept": BROWSER}
LINK = re.compile(r'(?:href|src)="([^"]+)"')
IDS = re.compile(r'\bid="([^"]+)"')


@pytest.fixture(scope="module")
def union(built_settings: Settings) -> Graph:
    manifest = read_manifest(built_settings.dist)
    graph = Graph()
    graph.parse(
        built_settings.dist / next(f.name for f in manifest.files if f.name.endswith(".nt")), format="nt"
    )
    return graph


def get_html(client: FlaskClient, path: str) -> str:
    response = client.get(path, headers=HTML_HEADERS)
    assert response.status_code == 200, (path, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def links(page: str) -> list[str]:
    return [html.unescape(m) for m in LINK.findall(page)]


VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class NestingChecker(HTMLParser):
    """Every element closed, in order (stricter than HTML5 needs: we close every <p> and <li>)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(
                f"</{tag}> closes <{self.stack[-1] if self.stack else '-'}> at {self.getpos()}"
            )
            return
        self.stack.pop()


def check_structure(page: str) -> None:
    """Valid-HTML5 basics: doctype, lang, one h1, a main landmark, unique ids, no inline script/style,
    every element closed in order."""
    assert page.startswith("<!DOCTYPE html>")
    checker = NestingChecker()
    checker.feed(page)
    checker.close()
    assert not checker.errors, checker.errors[:5]
    assert not checker.stack, checker.stack
    assert re.search(r'<html lang="(de|en|az|ru)">', page)
    assert page.count("<h1") == 1
    assert page.count('<main id="main">') == 1
    ids = IDS.findall(page)
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert "style=" not in page
    assert not re.search(r"\son[a-z]+=", page)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    # no inline script: JSON-LD islands, or same-origin files from /static/ with nothing inside
    assert all(
        'type="application/ld+json"' in attrs
        or (re.search(r'\ssrc="/(?:static|assets)/[^"]+"', attrs) and not body.strip())
        for attrs, body in scripts
    ), scripts
    for island in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S):
        json.loads(island)
        assert "<" not in island


def test_landing(client: FlaskClient, union: Graph) -> None:
    page = get_html(client, "/")
    check_structure(page)
    for needle in (
        "CC BY 4.0",
        "MIT",
        "CITATION.cff",
        'class="timeline"',
        "/downloads",
        "/examples/",
        "/source/black-january-1990.de",
        'id="statistics"',
    ):
        assert needle in page, needle
    events = {str(s) for s in union.subjects(URIRef("http://schema.org/startDate"), None)}
    ours = Iris("https://w3id.org/blackjanuary/")
    timeline = page[page.index('class="timeline"') : page.index("</svg>")]
    for event in events:
        ref = ours.ref_of(event)
        if ref is not None:
            assert f'href="/page/{ref.suffix}"' in timeline, event


def test_examples_run(client: FlaskClient, built_settings: Settings) -> None:
    page = get_html(client, "/")
    example_links = sorted({link for link in links(page) if link.startswith("/examples/")})
    assert len(example_links) == len(list((built_settings.graph_dir / "queries").glob("*.rq")))
    rows = 0
    for link in example_links:
        body = get_html(client, link)
        check_structure(body)
        rows += body.count("<tr>") - 1 if "<table" in body else 0
    assert rows > 0


@pytest.mark.whole_site
def test_two_clicks_from_landing_to_every_quoted_fact(
    client: FlaskClient, union: Graph, built_settings: Settings
) -> None:
    """Landing → the thing's page (click 1) → exactly the quote on the source page (click 2)."""
    ours = Iris(built_settings.base_iri)
    landing_links = set(links(get_html(client, "/")))
    entity_list = set(links(get_html(client, "/entities")))
    source_ids = set(IDS.findall(get_html(client, "/source/black-january-1990.de")))
    checked = 0
    for statement in sorted(set(union.subjects(PROV.wasDerivedFrom, None))):
        subject = union.value(statement, RDF.subject)
        ref = ours.ref_of(str(subject)) if subject is not None else None
        if ref is None:
            continue
        page_link = f"/page/{ref.suffix}"
        assert page_link in landing_links or ("/entities" in landing_links and page_link in entity_list)
        page = get_html(client, page_link)
        for quote in union.objects(statement, PROV.wasDerivedFrom):
            exact = segments.exact(union, quote)
            if exact is None:  # a Wikibase-shaped reference node of the generated graph, not a quote
                continue
            assert html.escape(str(exact), quote=False) in page, (statement, exact)
            fragment = str(quote).partition("#")[2]
            assert f'href="/source/black-january-1990.de#{fragment}"' in page, (statement, fragment)
            assert fragment in source_ids
            checked += 1
    assert checked > 0


def test_source_page(client: FlaskClient, union: Graph) -> None:
    page = get_html(client, "/source/black-january-1990.de")
    check_structure(page)
    sentence_class = URIRef("https://w3id.org/blackjanuary/ontology#Sentence")
    number = URIRef("https://w3id.org/blackjanuary/ontology#sentenceNumber")
    ids = set(IDS.findall(page))
    sentences = list(union.subjects(RDF.type, sentence_class))
    assert sentences
    for sentence in sentences:
        assert str(sentence).partition("#")[2] in ids
        assert f"s{union.value(sentence, number)}" in ids
    quotes = {o for o in union.objects(None, PROV.wasDerivedFrom) if "#char=" in str(o)}
    for quote in quotes:
        assert str(quote).partition("#")[2] in ids, quote
    assert "/page/statement/" in page  # each sentence lists its facts
    turtle = client.get("/source/black-january-1990.de", headers={"Accept": "text/turtle"})
    assert turtle.mimetype == "text/turtle"
    assert "Accept" in turtle.headers["Vary"]
    graph = Graph().parse(data=turtle.data, format="turtle")
    assert (URIRef("https://w3id.org/blackjanuary/source/black-january-1990.de"), None, None) in graph
    text = client.get("/source/black-january-1990.de.txt")
    assert text.mimetype == "text/plain"


def test_entity_page(client: FlaskClient) -> None:
    page = get_html(client, "/page/baku")
    check_structure(page)
    assert 'class="map"' in page  # Baku has coordinates
    assert 'class="graph"' in page
    assert 'href="http://www.wikidata.org/entity/Q9248"' in page
    assert '<link rel="alternate" type="text/turtle" href="/data/baku.ttl"' in page
    assert "<h1>Baku</h1>" in page
    assert "<h1>Bakı</h1>" in get_html(client, "/page/baku?lang=az")
    # the choice is remembered (a cookie) and outranks Accept-Language on the next page
    assert "<h1>Bakı</h1>" in get_html(client, "/page/baku")
    client.delete_cookie("lang")
    response = client.get("/page/baku", headers={"Accept-Language": "ru, en;q=0.5"})
    assert "<h1>Баку</h1>" in response.get_data(as_text=True)
    assert 'lang="ru"' in response.get_data(as_text=True)


def test_the_page_s_json_ld_is_its_data_document(client: FlaskClient) -> None:
    """The JSON-LD island of a page says what the page's data document says (only the document that
    carries it differs), so a crawler reading it gets the resource's whole description."""
    page = get_html(client, "/page/baku")
    (island,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    embedded = Graph().parse(data=island, format="json-ld")
    document = Graph().parse(data=client.get("/data/baku.ttl").data, format="turtle")
    documents = {
        URIRef("https://w3id.org/blackjanuary/page/baku"),
        URIRef("https://w3id.org/blackjanuary/data/baku.ttl"),
    }
    assert len(embedded) > 50
    assert {t for t in embedded if t[0] not in documents} == {t for t in document if t[0] not in documents}


def test_incoming_links_are_paged(client: FlaskClient, app: Flask) -> None:
    from blackjanuary.query.describe import incoming_labelled

    store = app.extensions["blackjanuary.queries"]  # the store behind its query service
    rows = incoming_labelled(store, "https://w3id.org/blackjanuary/id/baku", limit=1)
    assert len(rows) == 2  # limit + 1 tells that there is a next page
    page = get_html(client, "/page/baku")
    assert "What links here" in page


def test_incoming_paging_reaches_every_link_when_graphs_repeat_one(built_settings: Settings) -> None:
    """The default graph is the union of the named graphs: a link stated in two of them must still
    count once, or a page comes up short and hides the next one."""
    import pyoxigraph as ox

    from blackjanuary.query.describe import description
    from blackjanuary.query.service import QueryService
    from blackjanuary.store.embedded import EmbeddedStore

    hub, link = ox.NamedNode("https://example.org/hub"), ox.NamedNode("https://example.org/p")
    graphs = [ox.NamedNode("https://example.org/g1"), ox.NamedNode("https://example.org/g2")]
    store = ox.Store()
    for n in range(130):
        triple = (ox.NamedNode(f"https://example.org/s{n:03d}"), link, hub)
        for graph in graphs[: 2 if n % 3 == 0 else 1]:
            store.add(ox.Quad(*triple, graph))
    embedded = QueryService(EmbeddedStore(store, version="test", settings=built_settings), built_settings)
    seen: list[URIRef] = []
    offset, more = 0, True
    while more:
        page = description(
            embedded,
            hub.value,
            doc_iri="https://example.org/doc",
            dataset_iri="x",
            incoming_offset=offset,
            objects_too=True,
        )
        assert len(page.incoming) == (50 if page.more else 130 - offset), (offset, len(page.incoming))
        seen += [row.subject for row in page.incoming]
        offset, more = offset + 50, page.more
    assert len(seen) == len(set(seen)) == 130


def test_ontology_and_shapes(client: FlaskClient) -> None:
    page = get_html(client, "/ontology")
    check_structure(page)
    assert 'id="Statement"' in page and "Used " in page
    assert client.get("/ontology", headers={"Accept": "text/turtle"}).mimetype == "text/turtle"
    Graph().parse(data=client.get("/ontology.jsonld").data, format="json-ld")
    shapes = get_html(client, "/shapes")
    check_structure(shapes)
    assert "sh:" in shapes or "targetClass" in shapes
    assert client.get("/shapes.nt").mimetype == "application/n-triples"


@pytest.mark.whole_site
def test_crawl_the_whole_site(client: FlaskClient) -> None:
    """Every internal link of every page resolves (redirects followed), checked as a browser would."""
    seen: set[str] = set()
    queue = ["/", "/?lang=de", "/?lang=az", "/?lang=ru"]
    failures: list[tuple[str, int, str]] = []
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, headers=HTML_HEADERS)
        while response.status_code in (301, 302, 303):
            response = client.get(response.headers["Location"], headers=HTML_HEADERS)
        if response.status_code != 200:
            failures.append((path, response.status_code, ""))
            continue
        if response.mimetype != "text/html" or path.startswith("/downloads/"):
            continue
        page = response.get_data(as_text=True)
        if not path.startswith("/sparql"):  # the query UI has its own tests
            check_structure(page)
        ids = set(IDS.findall(page))
        for link in links(page):
            full = urlsplit(urljoin("http://localhost" + path, link))
            if full.netloc != "localhost":
                continue
            if full.fragment and full.path == urlsplit(path).path and full.fragment not in ids:
                failures.append((path, 0, "#" + full.fragment))
            query = "&".join(p for p in full.query.split("&") if p and not p.startswith("lang="))
            target = full.path + ("?" + query if query else "")
            if target not in seen:
                queue.append(target)
    assert not failures, failures[:10]
    assert len(seen) > 50


# XSS ---------------------------------------------------------------------------------------------
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;'


@pytest.fixture(scope="module")
def evil_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    """The mini fixture project with markup in labels, built and served."""
    from blackjanuary.publish.build import build

    root = tmp_path_factory.mktemp("evil")
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "mini", root, dirs_exist_ok=True)
    data = root / "graph" / "data.ttl"
    escaped = EVIL.replace("\\", "\\\\").replace('"', '\\"')
    text = data.read_text(encoding="utf-8").replace('"Baku"@en', f'"{escaped}"@en')
    text = text.replace('"Massacre"@en', f'"{escaped} massacre"@en')
    assert escaped in text
    text += "\nbjid:old-baku <http://purl.org/dc/terms/isReplacedBy> bjid:baku .\n"
    data.write_text(text, encoding="utf-8")
    settings = Settings(root=root, source_text=root / "black-january-1990.de.txt", dist_dir=root / "dist")
    build(settings)
    application = create_app(settings)
    yield application.test_client()
    application.extensions["blackjanuary.store"].close()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/entities",
        "/page/baku",
        "/page/black-january-massacre",
        "/page/statement/black-january-massacre-location",
        "/ontology",
        "/source/black-january-1990.de",
    ],
)
def test_markup_in_labels_is_text(evil_client: FlaskClient, path: str) -> None:
    response = evil_client.get(path + "?lang=en", headers=HTML_HEADERS)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "onerror=alert" not in page or "&lt;img src=x onerror=alert(1)&gt;" in page
    islands = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    for island in islands:
        assert "<" not in island and ">" not in island
        json.loads(island)
    if path in ("/page/baku", "/page/black-january-massacre"):
        assert "&lt;script&gt;alert(" in page
        assert any("\\u003cscript\\u003e" in island for island in islands)


def test_retired_keys_move_permanently(evil_client: FlaskClient) -> None:
    for old, new in (
        ("/id/old-baku", "/id/baku"),
        ("/page/old-baku", "/page/baku"),
        ("/data/old-baku.ttl", "/data/baku.ttl"),
        ("/data/old-baku", "/data/baku"),
    ):
        response = evil_client.get(old, headers=HTML_HEADERS)
        assert response.status_code == 301, old
        assert response.headers["Location"] == new


def test_pure_helpers_doctests() -> None:
    import doctest

    from blackjanuary.web import citation, downloads, formatting, i18n, search, svg, terms

    for module in (i18n, svg, downloads, formatting, terms, citation, search):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_svg_pictures_escape_and_bound() -> None:
    from blackjanuary.web.svg import Neighbour, TimelineEvent, locator_map, neighbourhood, timeline

    picture = timeline(
        [
            TimelineEvent("<b>x</b>", '/page/a"b', "1990-01-20"),
            TimelineEvent("late", "/page/c", "2024"),
            TimelineEvent("no date", "/page/d", "undated"),
        ]
    )
    assert "<b>" not in picture and "&lt;b&gt;" in picture
    assert 'href="/page/a&quot;b"' in picture
    assert picture.count("<circle") == 2  # the undated event is left out
    point = locator_map(40.39528, 49.88222, "Baku")
    assert "Baku" in point and "40° N" in point and "50° E" in point and 'class="land' in point
    many = [Neighbour(f"n{i}", f"/page/n{i}", "p", i % 2 == 0) for i in range(30)]
    assert neighbourhood("centre", many, limit=12).count('class="node"') == 12


def test_iri_term_refuses_what_could_break_a_query() -> None:
    from blackjanuary.query.describe import iri_term

    assert iri_term("https://w3id.org/blackjanuary/id/baku") == "<https://w3id.org/blackjanuary/id/baku>"
    for bad in (
        "https://e.org/a> . ?s ?p ?o . <x",
        "https://e.org/a b",
        "https://e.org/%zz",
        "relative/iri",
        "https://e.org/\x00",
    ):
        with pytest.raises(ValueError):
            iri_term(bad)


@pytest.mark.parametrize("accept", [None, "*/*", "text/html"])
def test_a_client_without_a_preference_gets_the_landing_page(client: FlaskClient, accept: str | None) -> None:
    """curl sends ``Accept: */*``: it states no preference, so it gets the page, not a 303 to VoID."""
    headers = {"Accept": accept} if accept is not None else {}
    response = client.get("/", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/html"


def test_a_client_that_asks_for_rdf_gets_the_void_description(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept": "text/turtle, */*;q=0.1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/void.ttl")
