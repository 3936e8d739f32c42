"""One catalogue of interface words (``web/data/messages.json``): every key in de/en/az/ru, and no
view, picture or script of the web layer keeps a word table of its own (issue 14)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import blackjanuary.web
from blackjanuary.web.i18n import LANGUAGES, message, messages, words

WEB = Path(blackjanuary.web.__file__).resolve().parent
ALLOWED = {
    ("i18n.py", "LANGUAGE_NAMES"): "each language's name in itself (an endonym is no translation)",
    ("formatting.py", "LOCALES"): "Babel's locale per language",
}
"""Dicts keyed by language that hold no interface words."""


def test_every_key_is_in_all_four_languages() -> None:
    for key, texts in messages().items():
        assert set(texts) == set(LANGUAGES), key
        assert all(isinstance(t, str) and t.strip() for t in texts.values()), key


def test_placeholders_are_the_same_in_every_language() -> None:
    for key, texts in messages().items():
        placeholders = {lang: sorted(re.findall(r"\{(\w+)\}", text)) for lang, text in texts.items()}
        assert len({tuple(v) for v in placeholders.values()}) == 1, (key, placeholders)


def _language_tables(path: Path) -> list[tuple[str, int]]:
    """(name, line) of every dict literal keyed by two or more of our language codes."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            if len(keys & set(LANGUAGES)) >= 2:
                found.append(("", node.lineno))
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    for inner in ast.walk(node.value) if node.value else ():
                        names[getattr(inner, "lineno", -1)] = target.id
    return [(names.get(line, ""), line) for _, line in found]


@pytest.mark.parametrize("path", sorted(WEB.rglob("*.py")), ids=lambda p: str(p.relative_to(WEB)))
def test_no_module_of_the_web_layer_keeps_its_own_word_table(path: Path) -> None:
    tables = [(name, line) for name, line in _language_tables(path) if (path.name, name) not in ALLOWED]
    assert not tables, f"{path.name}: words keyed by language at {tables}; put them in data/messages.json"


def test_no_script_keeps_its_own_word_table() -> None:
    for script in (WEB / "static").rglob("*.js"):
        if "yasgui" in script.parts:
            continue  # the vendored YASGUI build; its few words are replaced through data-words
        text = script.read_text(encoding="utf-8")
        assert not re.search(r"\b(de|ru|az)\s*:\s*['\"]", text), script.name


def test_the_catalogue_serves_every_former_table() -> None:
    """The words that once lived beside the views come from the catalogue, in the page's language."""
    assert words("sparql_script_", "ru")["syntax"].startswith("Запрос не разобран")
    assert message("picture_open_in_osm", "de") == "Diesen Ort in OpenStreetMap öffnen"
    assert message("translation_ours", "az").startswith("Bu layihənin tərcüməsi")
    assert message("country_031", "ru") == "Азербайджан"
    assert message("date_by", "de", date="1989") == "spätestens 1989"
