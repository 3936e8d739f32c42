"""Hostile HTTP against live servers: headers, paths, methods, sizes, and markup in the data.

Everything here goes over real sockets to ``blackjanuary serve`` (gunicorn), some of it through
``http.client`` or raw sockets so that nothing normalises the request on the way. The bar: a 4xx with
a message for the client's mistake, never a 5xx; no file outside the build ever served; markup in the
data rendered inert on every HTML page (all of them, crawled), in the JSON-LD islands, the error pages,
the query UI and the reconciliation previews; and the security headers on every HTML page.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
from collections import deque
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest
import requests

from blackjanuary.config import Settings
from support.variants import SITE_PATHS

ABSURD_ACCEPT = [
    "",
    " ",
    ",,,,",
    ";;;;",
    "*/*;q=",
    "*/*;q=abc",
    "*/*;q=-1",
    "*/*;q=1e309",
    "*/*;q=NaN",
    "text/html;q=2",
    "text/*;q=0, */*;q=0",
    "/",
    "*/",
    "/*",
    "a/b/c",
    "text/html;" + "a=b;" * 500,
    ", ".join(["text/html"] * 2_000),
    "*/*;q=0.5, " * 1_000,
    "ä/ö",
    "\u202e/\u202e",
    "text/html\x00",
    'application/ld+json;profile="' + "x" * 6000,
    "text/turtle;q=0.000000000000000000000000001",
    "*/*;q=0.1,text/html;q=0.1,application/json;q=0.1",
]
ABSURD_LANGUAGE = [
    "",
    "*",
    "xx",
    "en;q=",
    "en;q=2",
    "ru-RU-u-ca-gregory-x-" + "a" * 3000,
    ", ".join(["az"] * 2000),
    "\u202e",
    "de;q=0,en;q=0,*;q=0",
    "en\x00",
    "zh-Hant-TW;q=0.9, 🏳️‍🌈",
    "../../etc/passwd",
]
TRAVERSALS = [
    "/downloads/../../etc/passwd",
    "/downloads/..%2f..%2fetc%2fpasswd",
    "/downloads/%2e%2e/%2e%2e/etc/passwd",
    "/downloads/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/downloads/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "/downloads/..%5c..%5cetc%5cpasswd",
    "/downloads/....//....//etc/passwd",
    "/downloads//etc/passwd",
    "/downloads/%2fetc%2fpasswd",
    "/downloads/..%00/etc/passwd",
    "/downloads/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "/downloads/latest.ttl/../../../../etc/passwd",
    "/downloads/manifest.json",
    "/downloads/.lock",
    "/downloads/latest.%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/downloads/../../pyproject.toml",
    "/downloads/%2e%2e%2fmanifest.json",
    "/static/../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/__init__.py",
    "/static/..%2f..%2f__init__.py",
    "/source/../../../etc/passwd",
    "/data/..%2f..%2fetc%2fpasswd",
    "/id/..%2f..%2f..%2fetc%2fpasswd",
    "/.well-known/genid/../../../etc/passwd",
    "/void.ttl/../../etc/passwd",
]
KEYS = [
    "бaku",
    "baku%00",
    "baku%0d%0aSet-Cookie:%20x=1",
    "%ff%fe",
    "%c3%28",
    "BAKU",
    "baku.",
    ".ttl",
    "baku..ttl",
    "baku.ttl.ttl",
    "baku.exe",
    "😀",
    "%F0%9F%98%80",
    "a" * 5000,
    "baku%2Fstatement",
    "%25",
    "%",
    "baku;x=1",
    "baku?lang=<script>",
    "baku#frag",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "\u0000",
    "con",
    "nul",
]
METHODS = [
    "PUT",
    "DELETE",
    "PATCH",
    "TRACE",
    "CONNECT",
    "PROPFIND",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "FOO",
    "get",
    "BREW",
    "SEARCH",
    "QUERY",
]
SECRETS = (b"root:x:0:0", b"[project]", b"from __future__", b"import ")
EVIL_SCRIPT = "<script>alert(1)</script>"
EVIL_BREAKOUT = "</script><img src=x onerror=alert(1)>"


def raw_request(
    url: str, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request through http.client, with the path exactly as given (no normalisation)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def socket_request(url: str, data: bytes) -> bytes:
    """Bytes in, bytes out: for requests no HTTP library will send."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def status_of(raw: bytes) -> int:
    match = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    assert match, raw[:200]
    return int(match.group(1))


def assert_client_error(status: int, body: bytes, what: object) -> None:
    assert 400 <= status < 500, (what, status, body[:300])
    assert body.strip(), f"{what}: {status} without a message"


# Headers ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", SITE_PATHS)
def test_absurd_accept_and_language_never_5xx(live_server: str, path: str) -> None:
    for accept in ABSURD_ACCEPT:
        for language in ABSURD_LANGUAGE if accept == ABSURD_ACCEPT[0] else ["en"]:
            status, _, body = raw_request(
                live_server,
                "GET",
                path,
                headers={
                    "Accept": accept.encode("utf-8").decode("latin-1"),
                    "Accept-Language": language.encode("utf-8").decode("latin-1"),
                },
            )
            assert status < 500, (path, accept[:80], language[:80], status, body[:300])
            if status >= 400:
                assert body.strip()


# Paths -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_never_leaves_the_build(live_server: str, path: str) -> None:
    status, headers, body = raw_request(live_server, "GET", path)
    assert status < 500, (path, status, body[:300])
    assert not any(secret in body for secret in SECRETS), (path, body[:300])
    if status in (301, 302, 303, 307, 308):
        target = urljoin(live_server + "/", headers["location"])
        followed = requests.get(target, timeout=10)
        assert followed.status_code < 500
        assert not any(secret in followed.content for secret in SECRETS), (path, target)
    elif status == 200:  # a normalising hop may land on a real page of ours; never on a file outside dist/
        assert headers.get("content-type", "").startswith(("text/html", "application/json")), (path, headers)
    else:
        assert_client_error(status, body, path)


@pytest.mark.parametrize(
    "prefix",
    [
        "/id/",
        "/page/",
        "/data/",
        "/id/statement/",
        "/data/statement/",
        "/downloads/",
        "/reconcile/preview?id=",
        "/reconcile/v1/preview?id=",
        "/reconcile/flyout/entity?id=",
    ],
)
def test_unicode_and_percent_encoded_keys(live_server: str, prefix: str) -> None:
    for key in KEYS:
        encoded = "".join(
            ch
            if ch.isascii() and ch.isprintable() and ch not in " #?" or prefix.endswith("=") and ch == "?"
            else quote(ch, safe="")
            for ch in key
        )
        if prefix.endswith("="):
            encoded = quote(key, safe="%")
        status, headers, body = raw_request(
            live_server, "GET", prefix + encoded, headers={"Accept": "text/html"}
        )
        assert status < 500, (prefix, key, status, body[:300])
        if status >= 400:
            assert body.strip()
        assert b"<script>alert(1)" not in body and "set-cookie" not in headers, (prefix, key)


def test_over_long_urls_and_headers_are_4xx(live_server: str) -> None:
    cases = {
        "30 kB path": f"GET /page/{'a' * 30_000} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "8 kB path": f"GET /page/{'a' * 8_100} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "30 kB query string": f"GET /sparql?query={'x' * 30_000} HTTP/1.1\r\nHost: x\r\n"
        "Connection: close\r\n\r\n",
        "20 kB header": f"GET / HTTP/1.1\r\nHost: x\r\nX-Big: {'y' * 20_000}\r\nConnection: close\r\n\r\n",
        "500 headers": "GET / HTTP/1.1\r\nHost: x\r\n"
        + "".join(f"X-H{i}: v\r\n" for i in range(500))
        + "Connection: close\r\n\r\n",
        "garbage request line": "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS hello\r\n\r\n",
        "HTTP/0.9": "GET /\r\n\r\n",
        "HTTP/3.0": "GET / HTTP/3.0\r\nHost: x\r\n\r\n",
        "bad header line": "GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\nConnection: close\r\n\r\n",
        "negative length": "POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n"
        "Connection: close\r\n\r\n",
        "two lengths": "POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n"
        "Content-Type: application/sparql-query\r\nConnection: close\r\n\r\nASK{}xx",
        "smuggling": "POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n",
    }
    for name, request in cases.items():
        raw = socket_request(live_server, request.encode("latin-1"))
        if not raw:  # gunicorn may close a connection it cannot read at all; that is not a 5xx
            continue
        status = status_of(raw)
        assert 400 <= status < 500 or (name == "HTTP/3.0" and status == 505), (name, raw[:300])
    assert requests.get(live_server + "/sparql", params={"query": "ASK {}"}, timeout=10).status_code == 200


@pytest.mark.parametrize(
    "path", ["/sparql", "/reconcile", "/reconcile/v1/match", "/reconcile/v1/extend", "/"]
)
def test_over_long_bodies_are_413(live_server: str, path: str) -> None:
    big = b"x" * 3_000_000
    for content_type in ("application/x-www-form-urlencoded", "application/sparql-query", "application/json"):
        status, _, body = raw_request(
            live_server, "POST", path, headers={"Content-Type": content_type}, body=big
        )
        # 413, or first a 405/415 when the method or the type is wrong anyway; never read whole, never 5xx
        assert status in (405, 413, 415), (path, content_type, status, body[:200])
        assert body.strip()
        if path.startswith("/reconcile/v1/") and content_type == "application/json" or path == "/sparql":
            assert status == 413, (path, content_type, status)
    # chunked, without a declared length: capped while reading
    chunks = b"".join(b"%x\r\n%s\r\n" % (65536, b"q" * 65536) for _ in range(40)) + b"0\r\n\r\n"
    content_type = "application/json" if path.startswith("/reconcile/v1/") else "application/sparql-query"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        f"Content-Type: {content_type}\r\nConnection: close\r\n\r\n"
    ).encode()
    raw = socket_request(live_server, head + chunks)
    # the worker's poller answers 413 once the body outgrows the app's cap, before any view runs
    assert raw and status_of(raw) == 413, raw[:300]


# Methods ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_method_tampering_is_4xx_with_a_message(live_server: str, method: str) -> None:
    for path in (
        "/",
        "/sparql",
        "/page/baku",
        "/downloads/latest.ttl",
        "/reconcile/v1/match",
        "/openapi.json",
    ):
        status, headers, body = raw_request(live_server, method, path, body=b"" if method != "get" else None)
        assert_client_error(status, body, (method, path))
        if status == 405:
            assert "allow" in headers, (method, path)
            assert method.upper() not in headers["allow"] or method == "get"
    status, _, _ = raw_request(
        live_server,
        "POST",
        "/sparql",
        headers={
            "X-HTTP-Method-Override": "DELETE",
            "X-HTTP-Method": "PUT",
            "Content-Type": "application/sparql-query",
        },
        body=b"ASK {}",
    )
    assert status == 200  # override headers are ignored: still a read-only query


def test_head_and_options_are_answered(live_server: str) -> None:
    for path in ("/", "/sparql", "/page/baku", "/downloads/latest.ttl", "/openapi.json"):
        assert raw_request(live_server, "HEAD", path)[0] in (200, 302, 303)
        status, headers, _ = raw_request(
            live_server,
            "OPTIONS",
            path,
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "DELETE"},
        )
        assert status in (200, 204) and "DELETE" not in headers.get("access-control-allow-methods", "")


# Markup in the data, and security headers, on every HTML page -----------------------------------------
class PageParser(HTMLParser):
    """Collects links, scripts and anything executable in a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.problems: list[str] = []
        self.islands: list[str] = []
        self._island: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                ("javascript:", "data:text/html")
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and values.get("src") == "x":
            self.problems.append("<img src=x> from the data became markup")
        if tag == "script":
            if values.get("type") == "application/ld+json":
                self._island = []
            elif not values.get("src"):
                self.problems.append("an inline <script> (the CSP forbids it; the data must not create one)")
            elif urlsplit(values["src"] or "").netloc:
                self.problems.append(f"a script from elsewhere: {values['src']}")
        if tag in ("a", "link") and values.get("href"):
            self.links.append(values["href"] or "")

    def handle_data(self, data: str) -> None:
        if self._island is not None:
            self._island.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._island is not None:
            self.islands.append("".join(self._island))
            self._island = None


def check_security_headers(headers: requests.structures.CaseInsensitiveDict[str], path: str) -> list[str]:
    problems = []
    csp = headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    script_src = directives.get("script-src", directives.get("default-src", ""))
    if (
        not script_src
        or "'unsafe-inline'" in script_src
        or "'unsafe-eval'" in script_src
        or "*" in script_src
    ):
        problems.append(f"{path}: script-src allows inline/eval/any: {script_src!r}")
    if directives.get("object-src", directives.get("default-src", "")).split(" ", 1)[-1] != "'none'":
        problems.append(f"{path}: object-src is not 'none'")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{path}: no X-Content-Type-Options: nosniff")
    if not headers.get("Referrer-Policy"):
        problems.append(f"{path}: no Referrer-Policy")
    if headers.get("X-Frame-Options") not in ("DENY", "SAMEORIGIN") and "frame-ancestors" not in directives:
        problems.append(f"{path}: framing allowed")
    return problems


@pytest.fixture(scope="module")
def evil_server(tmp_path_factory: pytest.TempPathFactory, project_settings: Settings) -> Iterator[str]:
    """A copy of the real project with markup and script in labels and descriptions, built and served."""
    from blackjanuary.publish.build import build
    from support.processes import ServeProcess

    root = tmp_path_factory.mktemp("evil-project")
    for name in ("graph", "ontology", "shapes"):
        shutil.copytree(project_settings.root / name, root / name)
    places = root / "graph" / "places.ttl"
    events = root / "graph" / "events.ttl"
    text = places.read_text(encoding="utf-8")
    assert '"Baku"@en' in text and '"Баку"@ru' in text
    text = text.replace('"Baku"@en', f'"{EVIL_SCRIPT} Baku \\"quoted\\" \'single\' &amp; &lt;"@en')
    text = text.replace('"Баку"@ru', f'"{EVIL_BREAKOUT} Баку"@ru')
    places.write_text(text, encoding="utf-8")
    text = events.read_text(encoding="utf-8")
    assert '"Black January"@en' in text
    events.write_text(
        text.replace('"Black January"@en', f'"{EVIL_BREAKOUT}{EVIL_SCRIPT} Black January"@en'),
        encoding="utf-8",
    )
    settings = project_settings.replace(root=root, dist_dir=root / "dist")
    build(settings)
    server = ServeProcess(settings, args=("--no-build",), workers=1).start()
    try:
        yield server.url
    finally:
        server.stop()


SKIP_CRAWL = (
    "/downloads/",
    "/data/",
    "/sparql?",
    "/static/",
    "/void.",
    "/.well-known/",
    "/ontology.",
    "/shapes.",
    "/favicon",
)


def crawl(base: str, start: list[str], limit: int = 2_000) -> tuple[dict[str, requests.Response], list[str]]:
    seen: dict[str, requests.Response] = {}
    problems: list[str] = []
    queue = deque(start)  # breadth first: every start path is fetched before the links they lead to
    with requests.Session() as session:
        while queue and len(seen) < limit:
            path = queue.popleft()
            if path in seen:
                continue
            response = session.get(base + path, headers={"Accept": "text/html"}, timeout=30)
            seen[path] = response
            if response.status_code >= 500:
                problems.append(f"{path}: {response.status_code}")
            if not response.headers.get("Content-Type", "").startswith("text/html"):
                continue
            problems += check_security_headers(response.headers, path)
            page = response.text
            parser = PageParser()
            parser.feed(page)
            problems += [f"{path}: {p}" for p in parser.problems]
            if EVIL_SCRIPT in page or "<img src=x" in page:
                problems.append(f"{path}: the data's markup is in the page unescaped")
            for island in parser.islands:
                if "</script" in island.lower() or "<!--" in island or "<" in island:
                    problems.append(f"{path}: a JSON-LD island can break out of its <script>")
                try:
                    json.loads(island)
                except ValueError as exc:
                    problems.append(f"{path}: a JSON-LD island is not JSON: {exc}")
            for href in parser.links:
                target = urlsplit(urljoin(base + path, href))
                if target.netloc != urlsplit(base).netloc:
                    continue
                local = target.path + (
                    f"?{target.query}" if target.query and "lang=" not in target.query else ""
                )
                if not local.startswith(SKIP_CRAWL) and local not in seen:
                    queue.append(local)
    return seen, problems


def test_markup_in_data_is_inert_and_every_html_page_has_security_headers(evil_server: str) -> None:
    extra = [
        "/page/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/page/baku?lang=ru",
        "/page/baku?lang=%3Cscript%3E",
        "/examples/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
        "/sparql",
        "/reconcile/preview?id=baku",
        "/reconcile/v1/preview?id=baku",
        "/entities?offset=%3Cscript%3E",
        "/no/such/%3Cscript%3Epage",
    ]
    seen, problems = crawl(evil_server, ["/", *extra])
    html_pages = [p for p, r in seen.items() if r.headers.get("Content-Type", "").startswith("text/html")]
    assert not problems, problems[:20]
    assert len(html_pages) > 100, len(html_pages)
    note(f"crawl evil copy: {len(seen)} URLs, {len(html_pages)} HTML pages, 0 problems")
    baku = seen["/page/baku"].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Baku" in baku  # shown as text, not dropped
    ru = seen["/page/baku?lang=ru"].text
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; Баку" in ru


def test_markup_in_data_is_inert_in_json_and_the_query_ui(evil_server: str) -> None:
    query = (
        'SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(CONTAINS(?l, "alert")) }'
    )
    result = requests.get(
        evil_server + "/sparql",
        params={"query": query},
        timeout=10,
        headers={"Accept": "application/sparql-results+json"},
    )
    assert result.status_code == 200
    assert result.headers["Content-Type"].startswith("application/sparql-results+json")
    assert result.headers["X-Content-Type-Options"] == "nosniff"
    labels = {b["l"]["value"] for b in result.json()["results"]["bindings"]}
    assert any(EVIL_SCRIPT in label for label in labels) and any(EVIL_BREAKOUT in label for label in labels)
    # the query UI is an HTML page with external scripts only; its config is JSON, never HTML
    ui = requests.get(evil_server + "/sparql", headers={"Accept": "text/html"}, timeout=10)
    parser = PageParser()
    parser.feed(ui.text)
    assert not parser.problems and "yasgui" in ui.text.lower()
    config = requests.get(evil_server + "/sparql/ui-config.json", timeout=10)
    assert config.headers["Content-Type"].startswith("application/json")
    suggest = requests.get(
        evil_server + "/reconcile/suggest/entity", params={"prefix": "<script"}, timeout=10
    )
    assert suggest.headers["Content-Type"].startswith("application/json")
    flyout = requests.get(evil_server + "/reconcile/flyout/entity", params={"id": "baku"}, timeout=10).json()
    assert EVIL_SCRIPT not in flyout["html"] and "&lt;script&gt;" in flyout["html"]


def test_security_headers_on_error_pages(live_server: str) -> None:
    for path in ("/page/no-such-key", "/nothing/here", "/examples/none", "/downloads/none"):
        response = requests.get(live_server + path, headers={"Accept": "text/html"}, timeout=10)
        assert 400 <= response.status_code < 500
        assert response.headers["Content-Type"].startswith("text/html")
        assert not check_security_headers(response.headers, path)


def note(line: str) -> None:
    path = os.environ.get("BLACKJANUARY_RELIABILITY_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")


def test_the_real_site_passes_the_same_crawl(live_server: str) -> None:
    seen, problems = crawl(live_server, ["/"])
    assert not problems, problems[:20]
    note(
        f"crawl real site: {len(seen)} URLs, "
        f"{sum(1 for r in seen.values() if r.headers.get('Content-Type', '').startswith('text/html'))} HTML"
    )
    assert sum(1 for r in seen.values() if r.headers.get("Content-Type", "").startswith("text/html")) > 100


def test_nothing_outside_dist_is_reachable(built_settings: Settings, live_server: str) -> None:
    """Every name the downloads route serves is in the manifest or SHA256SUMS; nothing else in dist/ is."""
    dist = Path(built_settings.dist)
    manifest = json.loads((dist / "manifest.json").read_text())
    listed = {f["name"] for f in manifest["files"]} | {e["name"] for e in manifest["exports"]}
    for path in dist.iterdir():
        response = requests.get(
            f"{live_server}/downloads/{quote(path.name)}", timeout=10, allow_redirects=False
        )
        if path.name in listed or path.name == "SHA256SUMS":
            assert response.status_code == 200, path.name
        else:
            assert response.status_code == 404, (path.name, response.status_code)
