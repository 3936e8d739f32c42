"""The pages for people in a real browser (Debian's chromium via Playwright) on a live server.

Every page type of the site frame is checked with axe-core (0 critical, 0 serious violations), for
horizontal overflow on a 390 px phone, and photographed at 1280 and 390 px into ``test-artifacts/``.
A language chosen on one page must still hold three clicks later. axe-core comes from npm
(``tests/js``, installed by ``make js-deps``); the test is skipped, with the reason, when chromium or
axe-core is missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import ARGS, ARTIFACTS, CHROMIUM, serving

from blackjanuary.config import Settings

AXE = Path(__file__).resolve().parents[1] / "js" / "node_modules" / "axe-core" / "axe.min.js"
PHONE, DESKTOP = 390, 1280

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (make system-deps)"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (make js-deps)"),
]

PAGES = {
    "landing": "/",
    "entities": "/entities",
    "place": "/page/baku",
    "event": "/page/black-january-massacre",
    "statement": "/page/statement/black-january-massacre-injured-more-than",
    "search": "/search?q=Gorbatschow",
    "downloads": "/downloads",
    "ontology": "/ontology",
    "example": "/examples/02-casualty-figures",
    "source": "/source/black-january-1990.de",
    "fragments": "/fragments?predicate=http%3A%2F%2Fschema.org%2Flocation",
    "not-found": "/page/bakuu",
}
"""One page of every type the site frame holds (the query UI has its own test)."""


@pytest.fixture(scope="module")
def server(built_settings: Settings) -> Iterator[str]:
    with serving(built_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


def open_tab(browser, width: int, locale: str = "en-GB"):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.errors = errors  # type: ignore[attr-defined]
    return context, tab


PICTURES = ["svg.graph", "svg.timeline", "svg.map"]
"""The drawn pictures (``web/svg.py``) have their own checks; axe judges the frame and the text here."""


def axe_violations(tab) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """axe-core's violations on the open page (injected through DevTools: the page's CSP stays on)."""
    tab.evaluate(AXE.read_text(encoding="utf-8"))
    context = json.dumps({"include": [["html"]], "exclude": [[selector] for selector in PICTURES]})
    result = tab.evaluate(f"async () => await axe.run({context}, {{ resultTypes: ['violations'] }})")
    return list(result["violations"])


def horizontal_overflow(tab) -> int:  # type: ignore[no-untyped-def]
    return int(
        tab.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


@pytest.fixture(scope="module")
def tab(browser):  # type: ignore[no-untyped-def]
    context, opened = open_tab(browser, DESKTOP)
    yield opened
    context.close()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_is_accessible_fits_a_phone_and_is_photographed(tab, server: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """axe once per page (the DOM is the same at every width), in German; then the phone, in Russian."""
    path = PAGES[name]
    expected = ["the server responded with a status of 404"] if name == "not-found" else []
    separator = "&" if "?" in path else "?"
    for width, lang in ((DESKTOP, "de"), (PHONE, "ru")):
        tab.errors.clear()
        tab.set_viewport_size({"width": width, "height": 900})
        response = tab.goto(f"{server}{path}{separator}lang={lang}")
        assert response is not None and response.status == (404 if name == "not-found" else 200)
        assert tab.evaluate("() => document.documentElement.lang") == lang
        tab.screenshot(path=str(ARTIFACTS / f"page-{name}-{width}-{lang}.png"), full_page=True)
        if width == DESKTOP:
            bad = [v for v in axe_violations(tab) if v["impact"] in ("critical", "serious")]
            assert not bad, json.dumps(
                [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in bad], indent=1
            )
        else:
            assert horizontal_overflow(tab) <= 0, f"{path} overflows a {PHONE} px screen"
        assert [e for e in tab.errors if not any(x in e for x in expected)] == [], tab.errors


def test_the_chosen_language_holds_three_clicks_later(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    context, tab = open_tab(browser, DESKTOP, locale="en-GB")
    try:
        tab.goto(server + "/page/baku")
        assert tab.locator("h1").inner_text() == "Baku"
        tab.locator("nav.langs a[hreflang=ru]").click()
        tab.wait_for_url("**lang=ru")
        assert tab.locator("h1").inner_text() == "Баку"
        tab.locator("header nav.sections a[href='/entities']").click()  # click 1
        tab.wait_for_url("**/entities")
        tab.locator("ul.things a[href='/page/black-january']").click()  # click 2
        tab.wait_for_url("**/page/black-january")
        assert tab.locator("h1").inner_text() == "Чёрный январь"
        tab.locator("dl.facts a[href='/page/baku']").first.click()  # click 3
        tab.wait_for_url("**/page/baku")
        assert tab.evaluate("() => document.documentElement.lang") == "ru"
        assert tab.locator("h1").inner_text() == "Баку"
        assert "Факты" in tab.locator("main").inner_text()
        tab.locator("form.search input[name=q]").fill("Горбачёв")
        tab.locator("form.search button").click()
        tab.wait_for_url("**/search?q=*")
        assert tab.evaluate("() => document.documentElement.lang") == "ru"
        assert tab.locator("ol.search-results a[href='/page/mikhail-gorbachev']").count() == 1
    finally:
        context.close()
