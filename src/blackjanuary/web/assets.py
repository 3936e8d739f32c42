"""Fingerprinted, compressed, immutable static assets: ``/assets/<name>.<hash>.<ext>``.

The query UI's files (YASGUI is about 1 MB of JavaScript) are read once per process, hashed
(SHA-256, first 12 hex digits in the name) and gzipped in memory (level 9); a request gets the gzip
bytes when it accepts them, with ``Cache-Control: public, max-age=31536000, immutable`` — a changed
file gets a new name, so a browser never asks twice. A name whose hash is not the current one is a
404 (the page naming it is stale). :func:`asset_url` is a template global: ``{{ asset_url('x.js') }}``.
See ADR ``pages-pictures-00NN-compressed-fingerprinted-assets``.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, request

from blackjanuary.errors import ResourceNotFound

bp = Blueprint("assets", __name__)

STATIC = Path(__file__).resolve().parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
FINGERPRINTED = (
    "yasgui/yasgui.min.js",
    "yasgui/yasgui.min.css",
    "sparql-ui.js",
    "sparql-ui.css",
    "site/quote-highlight.js",
)
"""The files served under fingerprinted names (paths under ``static/``)."""
HASH_LENGTH = 12


@dataclass(frozen=True)
class Asset:
    path: str
    digest: str
    body: bytes
    gzipped: bytes
    content_type: str

    @property
    def name(self) -> str:
        """``yasgui.min.3f2a9c1b0d4e.js``: the digest before the last suffix."""
        stem, dot, ext = Path(self.path).name.rpartition(".")
        return f"{stem}.{self.digest}{dot}{ext}"

    @property
    def url(self) -> str:
        folder = str(Path(self.path).parent)
        return f"/assets/{'' if folder == '.' else folder + '/'}{self.name}"


_lock = threading.Lock()
_assets: dict[str, Asset] = {}


def load(path: str) -> Asset:
    """The asset for ``path`` (read, hashed and compressed on first use)."""
    with _lock:
        found = _assets.get(path)
        if found is None:
            body = (STATIC / path).read_bytes()
            digest = hashlib.sha256(body).hexdigest()[:HASH_LENGTH]
            kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
            charset = "; charset=utf-8" if kind.startswith("text/") or kind.endswith("javascript") else ""
            found = Asset(path, digest, body, gzip.compress(body, compresslevel=9, mtime=0), kind + charset)
            _assets[path] = found
            _by_url[found.url] = found
        return found


_by_url: dict[str, Asset] = {}


def asset_url(path: str) -> str:
    """The fingerprinted URL of a file under ``static/`` (listed in :data:`FINGERPRINTED`)."""
    if path not in FINGERPRINTED:
        raise ValueError(f"{path} is not a fingerprinted asset; add it to FINGERPRINTED")
    return load(path).url


@bp.app_template_global("asset_url")
def _asset_url_global(path: str) -> str:
    return asset_url(path)


@bp.get("/assets/<path:name>")
def asset(name: str) -> Response:
    for path in FINGERPRINTED:
        load(path)
    found = _by_url.get(f"/assets/{name}")
    if found is None:
        raise ResourceNotFound(
            f"no asset /assets/{name} in this version",
            hint="asset names carry a hash of their content; reload the page that named it",
        )
    wants_gzip = request.accept_encodings["gzip"] > 0
    response = Response(found.gzipped if wants_gzip else found.body, content_type=found.content_type)
    if wants_gzip:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["Vary"] = "Accept-Encoding"
    response.set_etag(found.digest + ("-gzip" if wants_gzip else ""))
    conditional = response.make_conditional(request)
    assert isinstance(conditional, Response)  # make_conditional returns the response itself
    return conditional
