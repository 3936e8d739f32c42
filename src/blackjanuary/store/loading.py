"""Put a finished build into a store: a persistent Oxigraph directory, or a remote SPARQL server.

``load_store`` bulk-loads the build's N-Quads dump into ``DIR.tmp-xxxx`` next to ``DIR``, checks the
triple count of every named graph against the manifest, records the build (version, base IRI, counts)
in a sidecar file inside the directory, and only then swaps it into place. A load that fails at any
step leaves the previous store untouched and serving.

``push_endpoint`` sends every named graph with the SPARQL 1.1 Graph Store HTTP Protocol (``PUT`` with
``?graph=``), then reads the per-graph triple counts back through the query endpoint; the remote
backend reads the version from the meta graph, as the build does. It recognises Virtuoso by its
``Server:`` header: Virtuoso takes writes at ``/sparql-graph-crud-auth`` with HTTP digest
authentication (``--user dba`` and the password in ``BLACKJANUARY_ENDPOINT_PASSWORD``), and stores
``geo:wktLiteral`` coordinates as 32-bit floats, so the load checks that every WKT value reads back
as it was written.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox
import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from blackjanuary.errors import BuildError
from blackjanuary.progress import progress
from blackjanuary.publish.atomic import exchange
from blackjanuary.publish.manifest import Manifest, read_manifest
from blackjanuary.rdf.formats import NTRIPLES
from blackjanuary.store import virtuoso
from blackjanuary.store.embedded import nquads_file

log = logging.getLogger(__name__)

STORE_RECORD = "blackjanuary-store.json"
"""The sidecar file inside a persistent store directory: which build it holds."""


class LoadError(BuildError):
    """A build could not be loaded into a store; the previous store (if any) is unchanged."""


@dataclass(frozen=True)
class StoreRecord:
    version: str
    base_iri: str
    dataset: str
    input_sha256: str
    graphs: dict[str, int]
    loaded_at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"


def read_store_record(path: Path) -> StoreRecord:
    """The record of the build held by the store directory ``path``."""
    record = path / STORE_RECORD
    try:
        return StoreRecord(**json.loads(record.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise LoadError(
            f"{path}: not a blackjanuary store (no {STORE_RECORD}). Create it with "
            f"`blackjanuary load --store {path}`."
        ) from exc
    except (ValueError, TypeError) as exc:
        raise LoadError(
            f"{record}: unreadable store record ({exc}). Reload with `blackjanuary load --store {path}`."
        ) from exc


@dataclass(frozen=True)
class LoadReport:
    target: str
    version: str
    graphs: dict[str, int]
    seconds: float


# Persistent store -------------------------------------------------------------------------------------
def load_store(dist: Path, target: Path) -> LoadReport:
    """Bulk-load the build in ``dist`` into the Oxigraph directory ``target``, atomically."""
    started = time.perf_counter()
    manifest = read_manifest(dist)
    path = nquads_file(dist, manifest)
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    staging.chmod(0o755)
    try:
        with progress(f"loading {path.name}", 3) as step:
            store = ox.Store(str(staging))
            try:
                store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
            except (SyntaxError, ValueError, OSError) as exc:
                raise LoadError(
                    f"{path}: cannot load the N-Quads dump ({exc}); nothing was changed at "
                    f"{target}. Rebuild with `blackjanuary build`."
                ) from exc
            step.advance("counting")
            counts = count_graphs(store)
            _check_counts(counts, manifest, path)
            store.flush()
            del store
            step.advance("recording")
            record = StoreRecord(
                version=manifest.version,
                base_iri=manifest.base_iri,
                dataset=manifest.dataset,
                input_sha256=manifest.input_sha256,
                graphs=counts,
                loaded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            )
            (staging / STORE_RECORD).write_text(record.to_json(), encoding="utf-8")
            _swap(staging, target)
            step.advance("done")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    seconds = time.perf_counter() - started
    log.info("loaded %s (%s) into %s in %.1f s", path.name, manifest.version, target, seconds)
    return LoadReport(str(target), manifest.version, counts, seconds)


def count_graphs(store: ox.Store) -> dict[str, int]:
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    return {row["g"].value: int(row["n"].value) for row in store.query(query)}  # type: ignore[union-attr]


def _check_counts(counts: dict[str, int], manifest: Manifest, path: Path) -> None:
    if counts != manifest.graphs:
        raise LoadError(
            f"{path}: the loaded graphs {counts} differ from the manifest's {manifest.graphs}; "
            "the dump is incomplete or not from this build. Rebuild with `blackjanuary build`."
        )


def _swap(staging: Path, target: Path) -> None:
    """Put ``staging`` at ``target``. The old store is kept as ``.DIR.previous`` (a server still running
    on it keeps working until restarted); the generation before that is removed."""
    if target.exists() and not (target / STORE_RECORD).is_file() and any(target.iterdir()):
        raise LoadError(
            f"{target} exists and is not a blackjanuary store; refusing to replace it. "
            "Choose another --store directory or remove it."
        )
    previous = target.with_name(f".{target.name}.previous")
    if target.exists():
        shutil.rmtree(previous, ignore_errors=True)
        if exchange(staging, target):  # atomic: a crash never leaves the target missing
            os.replace(staging, previous)  # staging now holds the old store
            return
        os.replace(target, previous)
    os.replace(staging, target)


# Remote store ------------------------------------------------------------------------------------------
def default_gsp_url(endpoint_url: str, *, engine: str | None = None) -> str:
    """The Graph Store Protocol URL beside a query endpoint (Oxigraph: ``/query`` → ``/store``).

    >>> default_gsp_url("http://127.0.0.1:7878/query")
    'http://127.0.0.1:7878/store'
    >>> default_gsp_url("http://localhost:3030/ds/sparql")
    'http://localhost:3030/ds/data'
    >>> default_gsp_url("http://localhost:8890/sparql", engine="virtuoso")
    'http://localhost:8890/sparql-graph-crud-auth'
    """
    parts = urlsplit(endpoint_url)
    path = parts.path.rstrip("/")
    if engine == "virtuoso":
        path = path.rsplit("/", 1)[0] + "/sparql-graph-crud-auth"
    elif path.endswith("/query"):
        path = path[: -len("/query")] + "/store"
    elif path.endswith("/sparql"):
        path = path[: -len("/sparql")] + "/data"
    else:
        raise LoadError(
            f"cannot derive a Graph Store Protocol URL from {endpoint_url}; pass --gsp-url "
            "(Oxigraph: http://host:port/store, Fuseki: http://host:port/dataset/data)"
        )
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def probe_engine(endpoint_url: str) -> str | None:
    """``"virtuoso"`` if the endpoint's ``Server:`` header says so; ``None`` for any other server or
    none reachable (the upload then says what is wrong)."""
    try:
        response = requests.get(endpoint_url, params={"query": "ASK {}"}, timeout=(5.0, 30.0))
    except requests.RequestException:
        return None
    return "virtuoso" if virtuoso.is_virtuoso(response.headers.get("Server")) else None


def push_endpoint(
    dist: Path,
    endpoint_url: str,
    *,
    gsp_url: str | None = None,
    timeout: float = 600.0,
    user: str | None = None,
    password: str | None = None,
) -> LoadReport:
    """PUT every named graph of the build in ``dist`` to the remote's Graph Store (``?graph=<iri>``),
    then check what the query endpoint reads back. ``user``/``password``: for a Graph Store that asks
    for HTTP authentication (digest or basic, as its challenge says)."""
    started = time.perf_counter()
    manifest = read_manifest(dist)
    path = nquads_file(dist, manifest)
    engine = probe_engine(endpoint_url)
    gsp = gsp_url or default_gsp_url(endpoint_url, engine=engine)
    if engine == "virtuoso" and (user is None or password is None):
        raise LoadError(
            f"{endpoint_url} is Virtuoso, whose Graph Store ({gsp}) takes writes only with HTTP digest "
            "authentication: pass --user (e.g. dba) and put the password in BLACKJANUARY_ENDPOINT_PASSWORD"
        )
    with tempfile.TemporaryDirectory(prefix="blackjanuary-push-") as tmp:
        parts = split_graphs(path, Path(tmp))
        _check_counts({g: n for g, (_, n) in parts.items()}, manifest, path)
        auth = _auth(gsp, sorted(parts)[0], user, password) if user is not None else None
        with progress(f"pushing to {gsp}", len(parts) + 1) as step:
            for graph, (file, _) in sorted(parts.items()):
                with file.open("rb") as lines:
                    # Virtuoso gets a large graph in batches (see virtuoso.batches): the first
                    # replaces the graph (PUT), the others add to it (POST)
                    batches: Iterable[IO[bytes] | bytes] = (
                        virtuoso.batches(lines, virtuoso.BATCH_LINES) if engine == "virtuoso" else [lines]
                    )
                    for number, body in enumerate(batches):
                        _send("PUT" if number == 0 else "POST", gsp, graph, body, timeout, auth)
                step.advance(graph)
            _check_remote(endpoint_url, manifest, path, timeout)
            if engine == "virtuoso":
                _check_wkt(endpoint_url, path, timeout)
            step.advance("checked")
    seconds = time.perf_counter() - started
    log.info("pushed %s (%s) to %s in %.1f s", path.name, manifest.version, gsp, seconds)
    return LoadReport(gsp, manifest.version, dict(manifest.graphs), seconds)


def split_graphs(path: Path, into: Path) -> dict[str, tuple[Path, int]]:
    """Stream the N-Quads dump into one N-Triples file per named graph; returns graph → (file, triples)."""
    files: dict[str, tuple[IO[str], Path]] = {}
    counts: dict[str, int] = {}
    try:
        with path.open("rb") as stream:
            for quad in _parse(stream, path):
                if not isinstance(quad.graph_name, ox.NamedNode):
                    raise LoadError(
                        f"{path}: a quad outside the named graphs ({quad}); the build puts every "
                        "triple in a named graph. Rebuild with `blackjanuary build`."
                    )
                graph = quad.graph_name.value
                if graph not in files:
                    out = into / f"graph-{len(files)}.nt"
                    files[graph] = (out.open("w", encoding="utf-8"), out)
                    counts[graph] = 0
                files[graph][0].write(f"{quad.subject} {quad.predicate} {quad.object} .\n")
                counts[graph] += 1
    finally:
        for handle, _ in files.values():
            handle.close()
    return {g: (files[g][1], counts[g]) for g in files}


def _parse(stream: IO[bytes], path: Path) -> Iterator[ox.Quad]:
    try:
        yield from ox.parse(stream, format=ox.RdfFormat.N_QUADS)
    except SyntaxError as exc:
        raise LoadError(
            f"{path}: cannot parse the N-Quads dump ({exc}); nothing was sent. Rebuild with "
            "`blackjanuary build`."
        ) from exc


def _auth(gsp: str, graph: str, user: str, password: str | None) -> AuthBase:
    """Digest or basic authentication, whichever the Graph Store's challenge asks for."""
    try:
        challenge = requests.get(gsp, params={"graph": graph}, timeout=(10.0, 60.0))
    except requests.RequestException as exc:
        raise LoadError(
            f"cannot reach the Graph Store at {gsp} ({type(exc).__name__}: {exc}); check that "
            "the server runs and accepts writes, or pass --gsp-url"
        ) from exc
    if "digest" not in challenge.headers.get("WWW-Authenticate", "").lower():
        return HTTPBasicAuth(user, password or "")
    digest = HTTPDigestAuth(user, password or "")
    # answer the challenge once with a small GET: the uploads then carry their credentials up front
    # instead of sending each graph twice (once to be refused)
    requests.get(gsp, params={"graph": graph}, auth=digest, timeout=(10.0, 60.0))
    return digest


def _query_json(endpoint_url: str, query: str, timeout: float) -> ox.QuerySolutions:
    try:
        response = requests.post(
            endpoint_url,
            data={"query": query},
            headers={"Accept": "application/sparql-results+json"},
            timeout=(10.0, timeout),
        )
        response.raise_for_status()
        result = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
    except (requests.RequestException, SyntaxError, ValueError) as exc:
        raise LoadError(
            f"the data went to the Graph Store, but the query endpoint {endpoint_url} cannot be read "
            f"back ({type(exc).__name__}: {exc}); check the endpoint URL"
        ) from exc
    if not isinstance(result, ox.QuerySolutions):
        raise LoadError(f"{endpoint_url} answered a SELECT query with a boolean; is it a SPARQL endpoint?")
    return result


def _check_remote(endpoint_url: str, manifest: Manifest, path: Path, timeout: float) -> None:
    """Every graph holds what the manifest says, read back through the query endpoint."""
    graphs = sorted(manifest.graphs)
    values = " ".join(f"<{g}>" for g in graphs)
    query = (
        f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g"
    )
    counts = {row["g"].value: int(row["n"].value) for row in _query_json(endpoint_url, query, timeout)}
    if counts != manifest.graphs:
        raise LoadError(
            f"{endpoint_url} holds {counts} after the load, not the manifest's {manifest.graphs}; "
            "another writer may have changed it, or the server dropped triples. Load again."
        )


def _check_wkt(endpoint_url: str, path: Path, timeout: float) -> None:
    """Virtuoso keeps WKT coordinates as 32-bit floats: every geo:wktLiteral must read back (through
    the remote backend's repair) exactly as written, or the load says which one does not."""
    written: set[tuple[str, str, str]] = set()
    with path.open("rb") as stream:
        for quad in _parse(stream, path):
            obj = quad.object
            if isinstance(obj, ox.Literal) and obj.datatype.value == virtuoso.WKT_LITERAL:
                written.add((quad.subject.value, quad.predicate.value, obj.value))  # type: ignore[union-attr]
    if not written:
        return
    query = (
        f"SELECT ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o FILTER(datatype(?o) = <{virtuoso.GEOMETRY}>) }} }}"
    )
    read = {
        (row["s"].value, row["p"].value, virtuoso.wkt_literal(row["o"].value).value)
        for row in _query_json(endpoint_url, query, timeout)
    }
    lost = sorted(written - read)
    if lost:
        s, p, o = lost[0]
        raise LoadError(
            f"Virtuoso at {endpoint_url} does not keep {len(lost)} geo:wktLiteral value(s) as written, "
            f'e.g. <{s}> <{p}> "{o}": it stores coordinates as 32-bit floats. Write each coordinate '
            "with at most 7 significant digits, or use another engine."
        )


def _send(
    method: str, gsp: str, graph: str, body: IO[bytes] | bytes, timeout: float, auth: AuthBase | None = None
) -> None:
    """``method`` (PUT: replace the graph, POST: add to it) ``body`` to ``graph`` at the Graph Store."""
    try:
        response = requests.request(
            method,
            gsp,
            params={"graph": graph},
            data=body,
            timeout=(10.0, timeout),
            headers={"Content-Type": NTRIPLES.media_type},
            auth=auth,
        )
    except requests.RequestException as exc:
        raise LoadError(
            f"cannot reach the Graph Store at {gsp} ({type(exc).__name__}: {exc}); check that "
            "the server runs and accepts writes, or pass --gsp-url"
        ) from exc
    if response.status_code == 401:
        raise LoadError(
            f"the Graph Store at {gsp} refused graph <{graph}>: HTTP 401 (authentication required or "
            "wrong); pass --user and set BLACKJANUARY_ENDPOINT_PASSWORD"
        )
    if response.status_code not in (200, 201, 204):
        raise LoadError(
            f"the Graph Store at {gsp} refused graph <{graph}>: HTTP {response.status_code} "
            f"{response.text[:300]!r}; check --gsp-url and that the server is not read-only"
        )
