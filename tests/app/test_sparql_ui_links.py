"""A browser following a query link (/sparql?query=…) gets the query UI with that query, run once first."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blackjanuary.config import Settings
from blackjanuary.web.app import create_app

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SELECT = "SELECT ?s WHERE { ?s a <http://schema.org/Thing> } LIMIT 3"


@pytest.fixture(scope="module")
def app(sparql_settings: Settings) -> Iterator[Flask]:
    yield create_app(sparql_settings)


def test_a_query_link_opens_the_ui_with_the_query(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f'data-initial-query="{html.escape(SELECT, quote=True)}"' in page
    assert 'id="yasgui"' in page


def test_the_same_link_still_gives_results_to_a_client(client: FlaskClient) -> None:
    response = client.get(
        "/sparql", query_string={"query": SELECT}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200 and response.mimetype == "application/sparql-results+json"
    assert len(response.get_json()["results"]["bindings"]) == 3


def test_a_bad_query_link_is_an_error_page_not_the_ui(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT WHERE {"}, headers={"Accept": BROWSER})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert 'id="yasgui"' not in response.get_data(as_text=True)


def test_markup_in_a_query_link_stays_inert(client: FlaskClient) -> None:
    query = 'SELECT ("\\"><script>alert(1)</script>" AS ?x) WHERE {}'
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": BROWSER})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_every_example_query_has_a_title_in_every_language(sparql_settings: Settings) -> None:
    from blackjanuary.web.endpoint import example_titles
    from blackjanuary.web.i18n import LANGUAGES

    for path in sorted((sparql_settings.graph_dir / "queries").glob("*.rq")):
        titles, body = example_titles(path.read_text(encoding="utf-8"), path.stem)
        assert set(titles) == set(LANGUAGES), path.name
        assert len(set(titles.values())) == len(LANGUAGES), path.name  # translated, not copied
        assert not body.lstrip().startswith("#"), path.name


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("ru", "Когда советские войска вошли в Баку?"),
        ("de", "Wann marschierten die sowjetischen Truppen in Baku ein?"),
        ("az", "Sovet qoşunları Bakıya nə vaxt daxil oldu?"),
        ("en", "When did the Soviet troops enter Baku?"),
    ],
)
def test_the_examples_are_titled_in_the_page_language(client: FlaskClient, lang: str, title: str) -> None:
    page = client.get(f"/sparql?lang={lang}", headers={"Accept": BROWSER}).get_data(as_text=True)
    option = f'data-example="01-entry-into-baku">{html.escape(title, quote=False)}</option>'
    assert option in page
    # the query opens with the question in the reader's language, the other languages' titles left out
    assert html.escape(f"# {title}\n", quote=True) in page
    others = {"ru", "de", "az"} - {lang}
    assert not any(f"# @{other}:" in page for other in others)
    landing = client.get(f"/?lang={lang}", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert f'<a href="/examples/01-entry-into-baku">{html.escape(title, quote=False)}</a>' in landing
    example = client.get(f"/examples/01-entry-into-baku?lang={lang}", headers={"Accept": BROWSER})
    assert f"<h1>{html.escape(title, quote=False)}</h1>" in example.get_data(as_text=True)


def test_the_triple_count_is_written_for_the_page_language(client: FlaskClient) -> None:
    german = client.get("/sparql?lang=de", headers={"Accept": BROWSER}).get_data(as_text=True)
    english = client.get("/sparql?lang=en", headers={"Accept": BROWSER}).get_data(as_text=True)
    de_count = re.search(r"·\s+([\d.]+) Tripel", german)
    en_count = re.search(r"·\s+([\d,]+) triples", english)
    assert de_count and en_count, (german[:1500], english[:1500])
    assert de_count.group(1).replace(".", "") == en_count.group(1).replace(",", "")
    assert '"query_tab": "Abfrage"' in html.unescape(german)  # YASGUI's tab is named in the page's language
