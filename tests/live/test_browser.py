"""A real browser (Debian's chromium via Playwright) on a live server process.

It opens the landing page, an entity page, the source-text page and the query UI, runs one example
query and sees its result rows. Screenshots go to ``test-artifacts/``. Skipped (with the reason)
only when /usr/bin/chromium is absent: ``apt-get install -y chromium``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from blackjanuary.config import Settings
from support.servers import free_port, stop_process, wait_until_up

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is not installed (apt-get install -y chromium; `make test` does it in CI)",
    ),
]


EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@contextmanager
def serving(settings: Settings, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """``blackjanuary serve`` on the build in ``settings.dist``, in its own process, on a free port."""
    built_settings = settings
    port = free_port()
    env = {**os.environ, "BLACKJANUARY_DIST_DIR": str(built_settings.dist), **(extra_env or {})}
    command = [
        sys.executable,
        "-m",
        "blackjanuary",
        "--root",
        str(built_settings.root),
        "--source-text",
        str(built_settings.source_text_path),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-build",
        "--dist",
        str(built_settings.dist),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url + "/", process=process, timeout=60)
        yield url
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def server(built_settings: Settings) -> Iterator[str]:
    with serving(built_settings) as url:
        yield url


@pytest.fixture(scope="module")
def evil_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The mini fixture project with markup in a label, built and served."""
    from blackjanuary.publish.build import build

    root = tmp_path_factory.mktemp("evil-browser")
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "mini", root, dirs_exist_ok=True)
    data = root / "graph" / "data.ttl"
    escaped = EVIL.replace('"', '\\"')
    data.write_text(
        data.read_text(encoding="utf-8").replace('"Baku"@en', f'"{escaped}"@en'), encoding="utf-8"
    )
    settings = Settings(root=root, source_text=root / "black-january-1990.de.txt", dist_dir=root / "dist")
    build(settings)
    with serving(settings) as url:
        yield url


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
        tab = context.new_page()
        errors: list[str] = []
        tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        tab.errors = errors  # type: ignore[attr-defined]
        yield tab
        context.close()
        browser.close()


def wait_for_query_ui(page, timeout: float = 45.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until the page script has created the YASGUI instance.

    Polled from here with ``page.evaluate`` (a DevTools call): ``page.wait_for_function`` compiles its
    predicate inside the page with ``eval``, which our CSP (no 'unsafe-eval') rightly refuses whenever
    the first check finds the UI not ready yet.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate("() => window.blackjanuaryYasgui !== undefined"):
        assert time.monotonic() < deadline, "the query UI did not start"
        time.sleep(0.1)


def test_landing_page(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.errors.clear()
    page.goto(server + "/")
    assert page.locator("h1").inner_text() == "Black January 1990"
    assert page.locator("svg.timeline a").count() > 0
    page.screenshot(path=str(ARTIFACTS / "landing.png"), full_page=True)
    assert not page.errors, page.errors


def test_entity_page_and_source(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.errors.clear()
    page.goto(server + "/page/baku")
    assert page.locator("h1").inner_text() == "Baku"
    assert page.locator("svg.map").count() == 2  # the region and the close-up
    page.screenshot(path=str(ARTIFACTS / "entity-baku.png"), full_page=True)
    page.goto(server + "/page/black-january-massacre")
    quote_link = page.locator("blockquote.quote footer a").first
    quote_link.click()
    page.wait_for_url("**/source/black-january-1990.de#char=*")
    fragment = page.evaluate("location.hash").lstrip("#")
    assert page.locator(f'[id="{fragment}"]').count() == 1  # the link names exactly the quote
    assert page.locator(f'p.sentence:has([id="{fragment}"])').is_visible()  # and lands in its sentence
    page.screenshot(path=str(ARTIFACTS / "source-text.png"), full_page=False)
    assert not page.errors, page.errors


def test_query_ui_runs_an_example(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.errors.clear()
    page.goto(server + "/sparql")
    button = page.locator("button.example").first
    button.wait_for(state="visible", timeout=45_000)
    wait_for_query_ui(page)
    button.click()
    rows = page.locator(".yasr table tbody tr")
    rows.first.wait_for(state="visible", timeout=45_000)
    assert rows.count() > 0
    page.screenshot(path=str(ARTIFACTS / "query-ui.png"), full_page=True)
    assert not page.errors, page.errors


def test_query_ui_asks_its_own_origin_whatever_the_public_url(page, built_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """ui-config.json names the public URL (another host here); the UI still queries the server that
    served it, as its CSP (connect-src 'self') requires."""
    with serving(built_settings, {"BLACKJANUARY_PUBLIC_URL": "https://kg.example.org/"}) as url:
        page.errors.clear()
        page.goto(url + "/sparql")
        button = page.locator("button.example").first
        button.wait_for(state="visible", timeout=45_000)
        wait_for_query_ui(page)
        button.click()
        rows = page.locator(".yasr table tbody tr")
        rows.first.wait_for(state="visible", timeout=45_000)
        assert rows.count() > 0
        assert not page.errors, page.errors


def test_markup_in_labels_is_inert_in_pages_and_query_results(page, evil_server: str) -> None:  # type: ignore[no-untyped-def]
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.errors.clear()
    page.goto(evil_server + "/page/baku?lang=en")
    assert page.locator("h1").inner_text() == EVIL
    page.goto(evil_server + "/sparql")
    wait_for_query_ui(page)
    page.evaluate(
        """() => { const tab = window.blackjanuaryYasgui.getTab();
        tab.setQuery('PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> '
                     + 'SELECT ?label WHERE { ?s rdfs:label ?label FILTER(LANG(?label) = "en") }');
        tab.query(); }"""
    )
    cells = page.locator(".yasr table tbody td")
    cells.first.wait_for(state="visible", timeout=45_000)
    texts = " ".join(cells.all_inner_texts())
    assert "<script>" in texts
    assert page.locator('img[src="x"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "xss-query-results.png"), full_page=True)
    assert not dialogs, dialogs
