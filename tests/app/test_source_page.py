"""The source page: exact quote marking (server side and by piece offsets) and the project's translations."""

from __future__ import annotations

import doctest
import html
import re

import pytest
from flask.testing import FlaskClient

from blackjanuary.config import Settings
from blackjanuary.web import source_view
from blackjanuary.web.source_view import read_translations

PAGE = "/source/black-january-1990.de"
HTML = {"Accept": "text/html"}
PIECE = re.compile(r'<span class="piece( quote-target)?" data-s="(\d+)" data-e="(\d+)">(.*?)</span>', re.S)
SENTENCE = re.compile(r'<p class="sentence" lang="de" id="char=(\d+),(\d+)">')


def test_doctests() -> None:
    assert doctest.testmod(source_view).failed == 0


def pieces(page: str) -> list[tuple[bool, int, int, str]]:
    return [(bool(lit), int(s), int(e), html.unescape(text)) for lit, s, e, text in PIECE.findall(page)]


def test_every_quote_is_exactly_a_run_of_pieces(client: FlaskClient, source_text: str) -> None:
    page = client.get(PAGE, headers=HTML).get_data(as_text=True)
    found = pieces(page)
    assert all(source_text[s:e] == text for _, s, e, text in found)
    quotes = {m for m in re.findall(r'id="char=(\d+),(\d+)"', page)}
    assert len(quotes) > 30
    for start, end in quotes:
        inside = "".join(text for _, s, e, text in found if s >= int(start) and e <= int(end))
        assert inside == source_text[int(start) : int(end)], (start, end)


def test_highlight_parameter_marks_the_quote_without_script(client: FlaskClient, source_text: str) -> None:
    page = client.get(PAGE + "?highlight=210,254", headers=HTML).get_data(as_text=True)
    lit = "".join(text for on, _, _, text in pieces(page) if on)
    assert lit == source_text[210:254] == "in der Nacht vom 19. auf den 20. Januar 1990"
    for bad in ("254,210", "x", "1,2,3", "-1,5"):
        response = client.get(PAGE + "?highlight=" + bad, headers=HTML)
        assert response.status_code == 200 and "quote-target" not in response.get_data(as_text=True)


def test_translations_file_matches_the_sentences(built_settings: Settings, source_text: str) -> None:
    path = built_settings.graph_dir / "translations" / "black-january-1990.tsv"
    header = path.read_text(encoding="utf-8")
    assert "NOT part of the source" in header and "project's own translations" in header
    rows = read_translations(path)
    ends = {(s, e) for _, s, e, _ in rows}
    numbers = {n for n, _, _, _ in rows}
    assert numbers == set(range(1, 15))
    for lang in ("en", "az", "ru"):
        assert {(s, e) for _, s, e, t in rows if t.lang == lang} == ends
    for _, start, end, translation in rows:
        assert source_text[start:end].endswith(".") and translation.text.strip()
        # figures of the source stay the same figures in every translation
        for figure in re.findall(r"\b\d{2,4}\b", source_text[start:end]):
            assert figure in translation.text, (figure, translation)


@pytest.mark.parametrize(
    ("lang", "marker", "sample"),
    [
        (
            "en",
            "Translation by this project — not part of the source",
            "Within a few hours the Soviet troops",
        ),
        ("ru", "Перевод этого проекта — не часть источника", "В течение нескольких часов"),
        ("az", "Bu layihənin tərcüməsi — mənbənin hissəsi deyil", "Bir neçə saat ərzində"),
    ],
)
def test_each_sentence_beside_its_translation(
    client: FlaskClient, lang: str, marker: str, sample: str
) -> None:
    page = client.get(f"{PAGE}?lang={lang}", headers=HTML).get_data(as_text=True)
    sentences = SENTENCE.findall(page)
    assert page.count(f'<p class="translation" lang="{lang}">') == len(sentences) == 14
    assert page.count(marker) == 14
    assert sample in page


def test_german_readers_get_the_source_alone(client: FlaskClient) -> None:
    page = client.get(f"{PAGE}?lang=de", headers=HTML).get_data(as_text=True)
    assert 'class="translation"' not in page and "translation-note" not in page


@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("de", "Schwarzer Januar 1990 (deutscher Quelltext)"),
        ("en", "Black January 1990 (German source text)"),
        ("az", "Qara Yanvar 1990 (alman dilində mənbə mətni)"),
        ("ru", "Чёрный январь 1990 (немецкий исходный текст)"),
    ],
)
def test_the_source_page_is_headed_in_the_page_language(client: FlaskClient, lang: str, heading: str) -> None:
    page = client.get(f"/source/black-january-1990.de?lang={lang}", headers=HTML).get_data(as_text=True)
    assert f"<h1>{html.escape(heading, quote=False)}</h1>" in page
