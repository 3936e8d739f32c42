"""Put a finished build into a store: a persistent Oxigraph directory, or a remote SPARQL server.

``load_store`` bulk-loads the build's N-Quads dump into ``DIR.tmp-xxxx`` next to ``DIR``, checks the
triple count of every named graph against the manifest, records the build (version, base IRI, counts)
in a sidecar file inside the directory, and only then swaps it into place. A load that fails at any
step leaves the previous store untouched and serving.

``push_endpoint`` sends every named graph with the SPARQL 1.1 Graph Store HTTP Protocol (``PUT`` with
``?graph=``); the remote backend reads the version from the meta graph, as the build does.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox
import requests

from blackjanuary.errors import BuildError
from blackjanuary.formats import NTRIPLES
from blackjanuary.manifest import Manifest, read_manifest
from blackjanuary.progress import progress
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
    return {row["g"].value: int(row["n"].value) for row in store.query(query)}  # type: ignore[union-attr,index]


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
        from blackjanuary.build import _exchange

        if _exchange(staging, target):  # atomic: a crash never leaves the target missing
            os.replace(staging, previous)  # staging now holds the old store
            return
        os.replace(target, previous)
    os.replace(staging, target)


# Remote store ------------------------------------------------------------------------------------------
def default_gsp_url(endpoint_url: str) -> str:
    """The Graph Store Protocol URL beside a query endpoint (Oxigraph: ``/query`` → ``/store``).

    >>> default_gsp_url("http://127.0.0.1:7878/query")
    'http://127.0.0.1:7878/store'
    >>> default_gsp_url("http://localhost:3030/ds/sparql")
    'http://localhost:3030/ds/data'
    """
    parts = urlsplit(endpoint_url)
    path = parts.path.rstrip("/")
    if path.endswith("/query"):
        path = path[: -len("/query")] + "/store"
    elif path.endswith("/sparql"):
        path = path[: -len("/sparql")] + "/data"
    else:
        raise LoadError(
            f"cannot derive a Graph Store Protocol URL from {endpoint_url}; pass --gsp-url "
            "(Oxigraph: http://host:port/store, Fuseki: http://host:port/dataset/data)"
        )
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def push_endpoint(
    dist: Path, endpoint_url: str, *, gsp_url: str | None = None, timeout: float = 600.0
) -> LoadReport:
    """PUT every named graph of the build in ``dist`` to the remote's Graph Store (``?graph=<iri>``)."""
    started = time.perf_counter()
    manifest = read_manifest(dist)
    path = nquads_file(dist, manifest)
    gsp = gsp_url or default_gsp_url(endpoint_url)
    with tempfile.TemporaryDirectory(prefix="blackjanuary-push-") as tmp:
        parts = split_graphs(path, Path(tmp))
        _check_counts({g: n for g, (_, n) in parts.items()}, manifest, path)
        with progress(f"pushing to {gsp}", len(parts)) as step:
            for graph, (file, _) in sorted(parts.items()):
                with file.open("rb") as body:
                    _put(gsp, graph, body, timeout)
                step.advance(graph)
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


def _put(gsp: str, graph: str, body: IO[bytes] | bytes, timeout: float) -> None:
    try:
        response = requests.put(
            gsp,
            params={"graph": graph},
            data=body,
            timeout=(10.0, timeout),
            headers={"Content-Type": NTRIPLES.media_type},
        )
    except requests.RequestException as exc:
        raise LoadError(
            f"cannot reach the Graph Store at {gsp} ({type(exc).__name__}: {exc}); check that "
            "the server runs and accepts writes, or pass --gsp-url"
        ) from exc
    if response.status_code not in (200, 201, 204):
        raise LoadError(
            f"the Graph Store at {gsp} refused graph <{graph}>: HTTP {response.status_code} "
            f"{response.text[:300]!r}; check --gsp-url and that the server is not read-only"
        )
