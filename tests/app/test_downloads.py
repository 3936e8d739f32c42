"""Downloads: the listing, the files with their true types, ranges, ETags, aliases, and no traversal."""

from __future__ import annotations

import gzip
import hashlib

import pytest
from flask.testing import FlaskClient

from blackjanuary.config import Settings
from blackjanuary.publish.manifest import Manifest, read_manifest
from blackjanuary.rdf.formats import by_name
from blackjanuary.web.downloads import latest_name

pytestmark = pytest.mark.every_backend  # app and client once per backend (tests/conftest.py)


@pytest.fixture(scope="module")
def manifest(built_settings: Settings) -> Manifest:
    return read_manifest(built_settings.dist)


def test_listing_shows_every_file(client: FlaskClient, manifest: Manifest) -> None:
    response = client.get("/downloads", headers={"Accept": "text/html"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert len(manifest.files) >= 12
    for f in manifest.files:
        assert f'href="/downloads/{f.name}"' in page
        assert f.sha256 in page
        assert f'<data value="{f.bytes}"' in page  # exact bytes behind the human-readable size
        assert f"{f.triples:,}" in page
    as_json = client.get("/downloads", headers={"Accept": "application/json"})
    assert as_json.get_json()["version"] == manifest.version


def test_files_have_true_types_and_checksums(client: FlaskClient, manifest: Manifest) -> None:
    for f in manifest.files:
        response = client.get(f"/downloads/{f.name}", headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, f.name
        assert "Content-Encoding" not in response.headers, f.name
        assert hashlib.sha256(response.data).hexdigest() == f.sha256
        assert len(response.data) == f.bytes
        if f.name.endswith(".gz"):
            assert response.mimetype == "application/gzip"
            gzip.decompress(response.data)
        else:
            fmt = by_name(f.format)
            assert fmt is not None and response.mimetype == fmt.media_type
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_ranges_and_etags(client: FlaskClient, manifest: Manifest) -> None:
    big = max(manifest.files, key=lambda f: f.bytes)
    whole = client.get(f"/downloads/{big.name}").data
    part = client.get(f"/downloads/{big.name}", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.data == whole[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{big.bytes}"
    etag = client.get(f"/downloads/{big.name}").headers["ETag"]
    assert client.get(f"/downloads/{big.name}", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/downloads/SHA256SUMS").mimetype == "text/plain"


def test_latest_aliases(client: FlaskClient, manifest: Manifest) -> None:
    for ext in ("ttl", "nt", "jsonld", "rdf", "trig", "nq", "ttl.gz", "nq.gz"):
        response = client.get(f"/downloads/latest.{ext}")
        assert response.status_code == 302, ext
        target = response.headers["Location"].rsplit("/", 1)[1]
        assert manifest.file(target) is not None
        assert target.endswith("." + ext)
    assert client.get("/downloads/latest.exe").status_code == 404
    assert latest_name(manifest.files, "zip") is None


@pytest.mark.parametrize(
    "path",
    [
        "/downloads/manifest.json",
        "/downloads/..%2Fmanifest.json",
        "/downloads/../../etc/passwd",
        "/downloads/%2e%2e/pyproject.toml",
        "/downloads/void.ttl.bak",
        "/downloads/.hidden",
    ],
)
def test_only_listed_files_are_served(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_the_wikidata_exports_are_listed_and_downloadable(client: FlaskClient, manifest: Manifest) -> None:
    import hashlib

    page = client.get("/downloads", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert manifest.exports
    for export in manifest.exports:
        assert f'href="/downloads/{export.name}"' in page
        response = client.get(f"/downloads/{export.name}")
        assert response.status_code == 200, export.name
        assert response.mimetype == export.media_type
        assert "Content-Encoding" not in response.headers
        assert hashlib.sha256(response.data).hexdigest() == export.sha256


def test_every_download_names_its_charset_once(client: FlaskClient, manifest: Manifest) -> None:
    """``text/turtle; charset=utf-8``, never ``…; charset=utf-8; charset=utf-8`` (seen on .ttl, .tsv,
    .csv, .md and SHA256SUMS)."""
    names = [f.name for f in manifest.files] + [e.name for e in manifest.exports] + ["SHA256SUMS"]
    for name in names:
        content_type = client.get(f"/downloads/{name}").headers["Content-Type"]
        assert content_type.lower().count("charset") <= 1, (name, content_type)
        if content_type.startswith("text/"):
            assert content_type.endswith("; charset=utf-8"), (name, content_type)
