"""Pages for people speak words (issue 14): facts in the reader's language, a language that persists,
search, citations, translated error pages and honest downloads. On the embedded backend (the
page logic is the same on every backend; test_pages.py crawls all three)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from blackjanuary.config import Settings
from blackjanuary.publish.stats import compute
from blackjanuary.rdf.iris import Iris
from blackjanuary.rdf.vocab import Ours
from blackjanuary.web.current import SETTINGS_KEY
from blackjanuary.web.entity_view import Labeller
from blackjanuary.web.i18n import LANGUAGES, messages
from blackjanuary.web.public_url import public_url_of
from blackjanuary.web.terms import term_names

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def html(client: FlaskClient, path: str, lang: str | None = None, status: int = 200) -> str:
    headers = {"Accept": BROWSER, **({"Accept-Language": lang} if lang else {})}
    response = client.get(path, headers=headers)
    assert response.status_code == status, (path, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def main_of(page: str) -> str:
    return page[page.index('<main id="main">') : page.index("</main>")]


# Facts in words ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "start", "injured", "heading"),
    [
        ("de", "19. Januar 1990", "mehr als 700", "Beginn"),
        ("en", "19 January 1990", "more than 700", "start date"),
        ("az", "19 yanvar 1990", "700 nəfərdən çox", "başlama tarixi"),
        ("ru", "19 января 1990", "более 700", "дата начала"),
    ],
)
def test_facts_are_written_for_the_language(
    client: FlaskClient, lang: str, start: str, injured: str, heading: str
) -> None:
    page = main_of(html(client, f"/page/black-january-massacre?lang={lang}"))
    assert f'<data class="literal" value="1990-01-19">{start}</data>' in page
    assert f'<data class="literal" value="700">{injured}</data>' in page
    assert f'>{heading}</a> <small class="term"><code>schema:startDate</code></small>' in page
    assert "xsd:date" not in page and "^^" not in page and "xsd:integer" not in page


def test_facts_follow_meaning_not_the_alphabet(client: FlaskClient) -> None:
    page = main_of(html(client, "/page/black-january-massacre?lang=en"))
    order = [
        page.index("<code>schema:startDate</code>"),
        page.index("<code>schema:endDate</code>"),
        page.index("<code>schema:location</code>"),
        page.index("<code>sem:hasActor</code>"),
        page.index("<code>bj:killedCount</code>"),
        page.index("<code>bj:injuredMoreThan</code>"),
        page.index("<code>schema:superEvent</code>"),
    ]
    assert order == sorted(order)
    kinds = re.search(r'<p class="types">(.*?)</p>', page)
    assert kinds is not None and ">event<" in kinds.group(1)
    assert "Item" not in kinds.group(1) and "schema:Event" not in re.sub(r'title="[^"]*"', "", kinds.group(1))


def test_month_day_and_years_in_words(client: FlaskClient) -> None:
    assert "20. Januar" in main_of(html(client, "/page/day-of-national-mourning?lang=de"))
    independence = main_of(html(client, "/page/independence-of-azerbaijan-1991?lang=ru"))
    assert "через 70 лет" in independence and "1,5 года спустя" in independence


def test_every_term_of_the_facts_has_words_in_every_language(built_settings: Settings, union: Graph) -> None:
    iris = Iris(built_settings.base_iri)
    ours = Ours(built_settings.base_iri)
    facts = [(s, p, o) for s, p, o in union if str(s).startswith(str(ours.ID))]
    terms = {p for _, p, _ in facts} | {o for _, p, o in facts if p == RDF.type}
    names = term_names(built_settings.base_iri)
    for lang in LANGUAGES:
        labeller = Labeller(union, iris, lang)
        unnamed = sorted(
            str(t)
            for t in terms
            if labeller.label(t) in (names.curie(str(t)), str(t)) or ":" in labeller.label(t)
        )
        assert not unnamed, (lang, unnamed)


@pytest.fixture(scope="module")
def union(built_settings: Settings) -> Graph:
    from blackjanuary.publish.sources import load

    ours = Ours(built_settings.base_iri)
    dataset = load(built_settings)
    graph = Graph()
    for name in ("data", "ontology"):  # the facts, and the labels of our own terms
        graph += dataset.graph(URIRef(ours.graph(name)))
    return graph


def test_statement_pages_open_with_a_summary_in_words(client: FlaskClient) -> None:
    page = html(client, "/page/statement/black-january-start-date?lang=en")
    body = main_of(page)
    assert "<h1>Black January — start date — 19 January 1990</h1>" in body
    assert "<title>Black January — start date — 19 January 1990 · Black January 1990</title>" in page
    summary = re.search(r'<p class="summary">(.*?)</p>', body, re.S)
    assert summary is not None
    assert 'href="/page/black-january"' in summary.group(1)
    assert re.search(
        r'href="/source/black-january-1990\.de#char=\d+,\d+">source, sentence 2</a>', summary.group(1)
    )
    assert "bjst:" not in body
    assert not re.search(r'<a href="#', body), "no bare hash links"


def test_what_links_here_shows_each_relation_once_in_words(client: FlaskClient) -> None:
    body = main_of(html(client, "/page/black-january?lang=en"))
    incoming = body[
        body.index('<ul class="incoming">') : body.index("</ul>", body.index('<ul class="incoming">'))
    ]
    items = re.findall(r"<li>(.*?)</li>", incoming)
    assert len(items) == len(set(items))
    assert "/prop/" not in incoming and "/page/statement/" not in incoming
    assert incoming.count('href="/page/black-january-massacre"') == 1
    assert ">part of</a>" in incoming
    assert "(via relative to)" in incoming  # a qualifier folded into the fact it qualifies


# Language ----------------------------------------------------------------------------------------
def test_every_interface_text_exists_in_four_languages() -> None:
    for key, texts in messages().items():
        assert set(texts) == set(LANGUAGES), key
        assert all(texts.values()), key


def test_the_chosen_language_persists(client: FlaskClient) -> None:
    first = client.get("/page/baku?lang=ru", headers={"Accept": BROWSER, "Accept-Language": "en"})
    assert "lang=ru" in first.headers["Set-Cookie"]
    assert "Cookie" in first.headers["Vary"]
    for path in ("/entities", "/page/black-january", "/downloads", "/search?q=baku", "/nope"):
        page = client.get(path, headers={"Accept": BROWSER, "Accept-Language": "en"}).get_data(as_text=True)
        assert '<html lang="ru">' in page, path
    english = client.get("/page/baku?lang=en", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert "<h1>Baku</h1>" in english
    switch = re.findall(r'<a href="([^"]+)" hreflang="de"', html(client, "/search?q=Baku&lang=en"))
    assert switch and "q=Baku" in switch[0] and "lang=de" in switch[0]  # the switcher keeps the query


def test_russian_pages_have_no_english_interface(client: FlaskClient) -> None:
    for path in ("/", "/page/baku", "/downloads", "/entities", "/page/statement/black-january-start-date"):
        page = html(client, path, lang="ru")
        visible = re.sub(r"<(script|code|small class=\"term\")[^>]*>.*?</\1>|<[^>]+>", " ", page, flags=re.S)
        for english in ("What links here", "Facts", "Names", "Search", "Other formats", "Skip to content"):
            assert english not in visible, (path, english)


# Search ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("q", "key"), [("Bakı", "baku"), ("Баку", "baku"), ("Gorbatschow", "mikhail-gorbachev")]
)
def test_search_finds_names_in_every_spelling(client: FlaskClient, q: str, key: str) -> None:
    data = client.get("/search", query_string={"q": q}, headers={"Accept": "application/json"}).get_json()
    assert data["things"][0]["key"] == key, data["things"][:3]
    assert data["things"][0]["href"] == f"/page/{key}"
    page = html(client, f"/search?q={q}&lang=ru")
    assert f'href="/page/{key}"' in page


def test_search_over_the_quotes(client: FlaskClient) -> None:
    data = client.get("/search?q=SOWJETISCHEN truppen&format=json").get_json()
    assert len(data["sentences"]) >= 2
    assert all("sowjetischen Truppen" in s["text"] for s in data["sentences"])
    assert data["sentences"][0]["href"].startswith("/source/black-january-1990.de#char=")
    assert "<mark>sowjetischen</mark> <mark>Truppen</mark>" in html(client, "/search?q=sowjetischen+TRUPPEN")
    assert client.get("/search?q=xyzzyqq&format=json").get_json() == {
        "query": "xyzzyqq",
        "lang": "en",
        "things": [],
        "sentences": [],
    }


def test_search_is_bounded(client: FlaskClient) -> None:
    too_long = client.get("/search", query_string={"q": "a" * 401}, headers={"Accept": "application/json"})
    assert too_long.status_code == 400
    assert "400" in too_long.get_json()["error"]
    assert client.get("/search", query_string={"q": "a" * 400}).status_code == 200
    many = client.get("/search?q=a&format=json").get_json()
    assert len(many["things"]) <= 20 and len(many["sentences"]) <= 20
    empty = html(client, "/search?q=")
    assert "Enter a name" in empty


def test_opensearch_is_offered(app: Flask, client: FlaskClient) -> None:
    page = html(client, "/page/baku")
    assert '<link rel="search" type="application/opensearchdescription+xml" href="/opensearch.xml"' in page
    assert '<form class="search" role="search" action="/search"' in page
    response = client.get("/opensearch.xml")
    assert response.mimetype == "application/opensearchdescription+xml"
    root = ET.fromstring(response.data)
    templates = [u.get("template") for u in root.iter("{http://a9.com/-/spec/opensearch/1.1/}Url")]
    # the configured public URL, never the request's Host header (blackjanuary.web.public_url)
    public = public_url_of(app.config[SETTINGS_KEY])
    assert f"{public}search?q={{searchTerms}}" in templates
    assert all(t.startswith(public) for t in templates)
    assert client.get("/opensearch.xml", headers={"Host": "evil.example"}).data == response.data
    suggest = client.get("/search/suggest?q=Bak").get_json()
    assert suggest[0] == "Bak" and "Baku" in suggest[1]


# Errors ------------------------------------------------------------------------------------------
def test_error_pages_are_translated_and_suggest_in_the_page_language(client: FlaskClient) -> None:
    page = html(client, "/page/bakuu?lang=ru", status=404)
    assert '<header class="site">' in page and "<h1>404 · Не найдено</h1>" in page
    suggestions = page[page.index('<ul class="suggestions">') :]
    assert '<a href="/page/baku">Баку</a>' in suggestions
    unknown = html(client, "/no/such/page?lang=de", status=404)
    assert "Nicht gefunden" in unknown and '<form class="search"' in unknown
    client.delete_cookie("lang")  # from here on Accept-Language decides
    response = client.post("/page/baku", headers={"Accept": BROWSER, "Accept-Language": "az"})
    assert response.status_code == 405 and response.headers["Content-Language"] == "az"
    assert "Metoda icazə verilmir" in response.get_data(as_text=True)
    long = client.get("/search", query_string={"q": "x" * 500}, headers={"Accept": BROWSER})
    assert long.status_code == 400 and "<h1>400 · Bad request</h1>" in long.get_data(as_text=True)


# Citations ---------------------------------------------------------------------------------------
def test_cite_this(client: FlaskClient) -> None:
    bib = client.get("/cite/baku.bib?lang=de")
    assert bib.status_code == 200 and bib.mimetype == "application/x-bibtex"
    text = bib.get_data(as_text=True)
    assert text.startswith("@misc{blackjanuary-baku-") and "title = {{Baku}}" in text
    assert "https://w3id.org/blackjanuary/id/baku" in text
    ris = client.get("/cite/statement/black-january-start-date.ris?lang=en").get_data(as_text=True)
    assert ris.startswith("TY  - DATA\r\n") and "TI  - Black January — start date — 19 January 1990" in ris
    csl = client.get("/cite/dataset.json").get_json()
    assert csl[0]["type"] == "dataset" and csl[0]["URL"] == "https://w3id.org/blackjanuary/dataset"
    assert client.get("/cite/no-such-thing.bib").status_code == 404
    assert client.get("/cite/baku.docx").status_code == 404
    page = html(client, "/page/baku")
    formats = re.search(r'<p class="formats">(.*?)</p>', page, re.S)
    assert formats is not None and page.index('<p class="formats">') < page.index("<h2")
    for href in (
        "/data/baku.ttl",
        "/data/baku.jsonld",
        "/cite/baku.bib",
        "/cite/baku.ris",
        "/cite/baku.json",
    ):
        assert f'href="{href}"' in formats.group(1)
    assert '<link rel="cite-as" href="https://w3id.org/blackjanuary/id/baku">' in page


# Downloads and statistics ------------------------------------------------------------------------
def test_downloads_say_what_the_exports_hold(client: FlaskClient, built_settings: Settings) -> None:
    page = main_of(html(client, "/downloads"))
    for name in ("quickstatements.csv", "quickstatements.v1.txt"):
        row = re.search(rf'<tr id="{re.escape(name)}">(.*?)</tr>', page, re.S)
        assert row is not None
        lines = (built_settings.dist / name).read_text(encoding="utf-8").splitlines()
        if len([line for line in lines if line.strip()]) <= (1 if name.endswith(".csv") else 0):
            assert 'href="/downloads/needs-an-item.md"' in row.group(1)
            assert '<td class="num">0</td>' in row.group(1)
    assert "kB" in page and '<details class="hash"><summary>SHA-256</summary>' in page


def test_one_definition_of_a_wikidata_link(client: FlaskClient, built_settings: Settings) -> None:
    links = compute(built_settings).wikidata_links
    page = html(client, "/?lang=en")
    assert f'<th scope="row">things linked to Wikidata</th><td class="num">{links}</td>' in page
    data = Graph().parse(built_settings.graph_dir / "places.ttl")
    assert links >= sum(
        1 for _ in data.objects(None, URIRef("http://www.w3.org/2004/02/skos/core#exactMatch"))
    )
    ours = Ours(built_settings.base_iri)
    assert not isinstance(ours.ID, Literal)


@pytest.mark.parametrize(
    ("lang", "start"),
    [("az", "Azərbaycanın paytaxtı"), ("ru", "Столица Азербайджана"), ("de", "Hauptstadt Aserbaidschans")],
)
def test_descriptions_in_every_language_and_ours_marked(client: FlaskClient, lang: str, start: str) -> None:
    """az and ru descriptions are the project's translations of the de/en ones: shown, and marked so."""
    page = html(client, f"/page/baku?lang={lang}")
    described = re.search(r'<p class="description"[^>]*>(.*?)</p>', page, re.S)
    assert described and described.group(1).startswith(start), page[:2000]
    assert ("tag ours" in described.group(1)) == (lang in ("az", "ru"))
    assert " lang=" not in described.group(0).split(">")[0]  # in the page's language, not another's
    hits = html(client, f"/search?q=Baku&lang={lang}")
    assert start in hits and (hits.count("tag ours") > 0) == (lang in ("az", "ru"))
