"""Blueprint ``downloads``: the dumps of the build and the dataset's VoID/DCAT description.

Only the files the build manifest lists are served (no path from the request ever reaches the file
system), with their true ``Content-Type``: a ``.gz`` file is ``application/gzip`` and never gets a
``Content-Encoding``. ``send_file(conditional=True)`` answers range requests and ``If-None-Match``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, Response, redirect, render_template, send_file
from rdflib import Graph
from werkzeug.wrappers import Response as BaseResponse

from blackjanuary.errors import ResourceNotFound, ServiceUnavailable
from blackjanuary.publish.manifest import (
    SUMS_NAME,
    VOID_NAME,
    DistFile,
    Manifest,
    ManifestError,
    read_manifest,
)
from blackjanuary.rdf.formats import HTML, JSON, RDF_GRAPH_FORMATS, TURTLE, Format, by_extension, by_name
from blackjanuary.rdf.iris import Iris, document_path, download_path
from blackjanuary.rdf.vocab import Ours
from blackjanuary.web.context import (
    alternates_header,
    cache,
    html_or,
    language,
    negotiated,
    page_context,
    serialize,
    settings,
)
from blackjanuary.web.entity_view import safe_json
from blackjanuary.web.formatting import format_number, human_size
from blackjanuary.web.http import finish
from blackjanuary.web.i18n import message

log = logging.getLogger(__name__)

bp = Blueprint("downloads", __name__)

GZIP = "application/gzip"


def manifest() -> Manifest:
    try:
        return read_manifest(settings().dist)
    except ManifestError as exc:
        raise ServiceUnavailable(f"no build to download: {exc}", hint="run `blackjanuary build`") from exc


def latest_name(files: tuple[DistFile, ...], extension: str) -> str | None:
    """The file a ``latest.{extension}`` alias stands for (``ttl``, ``nt.gz`` …).

    >>> f = DistFile("bj-1.0.0.ttl.gz", "turtle", "text/turtle", 1, "0", 1, True, False)
    >>> latest_name((f,), "ttl.gz")
    'bj-1.0.0.ttl.gz'
    >>> latest_name((f,), "ttl") is None
    True
    """
    for f in files:
        base, gz = (f.name[:-3], True) if f.name.endswith(".gz") else (f.name, False)
        ext = base.rsplit(".", 1)[-1]
        if f"{ext}.gz" == extension and gz or ext == extension and not gz:
            return f.name
    return None


def content_type(f: DistFile) -> str:
    if f.compressed or f.name.endswith(".gz"):
        return GZIP
    fmt = by_name(f.format)
    return fmt.content_type if fmt is not None else f.media_type


def send_dist_file(name: str) -> Response:
    m = manifest()
    if name == SUMS_NAME:
        response = send_file(Path(settings().dist) / SUMS_NAME, conditional=True, max_age=300)
        response.headers.pop("Content-Encoding", None)
        response.content_type = "text/plain; charset=utf-8"
        return response
    entry = m.file(name)
    export = next((e for e in m.exports if e.name == name), None)
    if entry is None and export is None:
        raise ResourceNotFound(
            f"no download named {name!r} in build {m.version}", hint="the list is at /downloads"
        )
    if entry is not None:
        file_name, mimetype, sha256 = entry.name, content_type(entry), entry.sha256
    else:
        assert export is not None
        file_name, sha256 = export.name, export.sha256
        mimetype = export.media_type + ("; charset=utf-8" if export.media_type.startswith("text/") else "")
    response = send_file(
        Path(settings().dist) / file_name,
        conditional=True,
        etag=sha256,
        download_name=file_name,
        max_age=300,
    )
    response.headers.pop("Content-Encoding", None)
    # Set whole, after send_file: given a text/* mimetype, werkzeug appends its own charset parameter.
    response.content_type = mimetype
    response.headers["Link"] = alternates_header(
        [(document_path("void", TURTLE.extension), "describedby", TURTLE.media_type)]
    )
    return response


@bp.get("/downloads/<name>")
def download(name: str) -> BaseResponse:
    if name.startswith("latest."):
        m = manifest()
        target = latest_name(m.files, name[len("latest.") :])
        if target is None:
            raise ResourceNotFound(
                f"no file for {name}", hint="try latest.ttl, latest.nt.gz, … (see /downloads)"
            )
        response = redirect(download_path(target), code=302)
        response.headers["Cache-Control"] = "no-cache"
        return response
    return send_dist_file(name)


@bp.get("/downloads")
def downloads() -> Response:
    m = manifest()
    fmt = negotiated(html_or((JSON,)))
    if fmt is JSON:
        response = Response(m.to_json(), content_type=JSON.content_type)
    else:
        ctx = page_context(title="")
        lang = str(ctx["lang"])
        conforms = message("validated", lang) if m.conforms else ""
        ctx.update(
            title=message("downloads", lang),
            intro=message("downloads_intro", lang, name=m.version, n=format_number(m.triples, lang)).replace(
                "{conforms}", conforms
            ),
            manifest=m,
            files=m.files,
            exports=[(e, export_entries(e.name)) for e in m.exports],
            latest=_latest_aliases(m),
            jsonld=safe_json(catalog_jsonld(m)),
            number=lambda n: format_number(n, lang),
            size=lambda n: human_size(n, lang),
        )
        response = Response(render_template("ld/downloads.html", **ctx), content_type=HTML.content_type)
    response.headers["Cache-Control"] = cache()
    return finish(
        response,
        etag=f"{m.version}-{fmt.extension}-{language()}",
        vary=("Accept", "Accept-Language", "Cookie"),
    )


HEADER_LINES = {"quickstatements.csv": 1, "mixnmatch.tsv": 1, "quickstatements.v1.txt": 0}
"""The exports whose entries are lines, and how many header lines each has."""
MAX_COUNTED_BYTES = 50_000_000


def export_entries(name: str) -> int | None:
    """How many entries (QuickStatements commands, catalogue rows) an export holds; None when its
    entries are not lines (Turtle, Markdown). Read from the build's file: small, and fixed per build."""
    if name not in HEADER_LINES:
        return None
    path = Path(settings().dist) / name
    try:
        if path.stat().st_size > MAX_COUNTED_BYTES:
            return None
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError:
        return None
    return max(0, len(lines) - HEADER_LINES[name])


def _latest_aliases(m: Manifest) -> list[tuple[str, str]]:
    aliases = []
    for f in m.files:
        gz = f.name.endswith(".gz")
        ext = (f.name[:-3] if gz else f.name).rsplit(".", 1)[-1] + (".gz" if gz else "")
        aliases.append((f"latest.{ext}", f.name))
    return aliases


def catalog_jsonld(m: Manifest) -> dict[str, object]:
    """The build as a schema.org Dataset with one DataDownload per dump (for JSON-LD islands)."""
    ours = Iris(settings().base_iri)
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": ours.dataset,
        "version": m.version,
        "distribution": [
            {
                "@type": "DataDownload",
                "name": f.name,
                "contentUrl": ours.download(f.name),
                "encodingFormat": content_type(f).split(";")[0],
                "contentSize": str(f.bytes),
            }
            for f in m.files
        ],
    }


# VoID -------------------------------------------------------------------------------------------
def void_graph() -> Graph:
    path = Path(settings().dist) / VOID_NAME
    if not path.is_file():
        raise ServiceUnavailable(
            f"{path} is missing: the build has no VoID description", hint="run `blackjanuary build`"
        )
    graph = Graph()
    graph.parse(path, format="turtle")
    for prefix, namespace in Ours(settings().base_iri).prefixes().items():
        graph.bind(prefix, namespace)
    return graph


def void_links() -> list[tuple[str, str, str | None]]:
    return [(document_path("void", f.extension), "alternate", f.media_type) for f in RDF_GRAPH_FORMATS]


@bp.get("/.well-known/void")
def well_known_void() -> BaseResponse:
    response = redirect(document_path("void", TURTLE.extension), code=302)
    response.headers["Cache-Control"] = cache()
    return response


@bp.get("/void.ttl")
def void_turtle() -> Response:
    path = Path(settings().dist) / VOID_NAME
    if not path.is_file():
        void_graph()  # raises the helpful 503
    response = send_file(path, mimetype=TURTLE.media_type, conditional=True, max_age=300)
    response.headers["Link"] = alternates_header(void_links())
    return response


@bp.get("/void.<ext>")
def void_other(ext: str) -> Response:
    fmt = by_extension(ext)
    if fmt is None or fmt not in RDF_GRAPH_FORMATS:
        raise ResourceNotFound(f"no /void.{ext}", hint="use /void.ttl, /void.nt, /void.jsonld or /void.rdf")
    return _void_response(fmt, negotiated=False)


@bp.get("/void")
def void_negotiated() -> Response:
    fmt = negotiated(RDF_GRAPH_FORMATS, lambda f: document_path("void", f.extension))
    return _void_response(fmt, negotiated=True)


def _void_response(fmt: Format, *, negotiated: bool) -> Response:
    response = Response(
        serialize(void_graph(), fmt, Ours(settings().base_iri).prefixes()), content_type=fmt.content_type
    )
    response.headers["Link"] = alternates_header(void_links())
    response.headers["Cache-Control"] = cache()
    if negotiated:
        response.headers["Content-Location"] = document_path("void", fmt.extension)
    return finish(
        response, etag=f"{manifest().version}-void-{fmt.extension}", vary=("Accept",) if negotiated else ()
    )
