"""``blackjanuary build``: load → SHACL gate → dumps, VoID, manifest, checksums → atomic swap into dist/.

Nothing is written unless the data conforms. The new build is written into a temporary directory
next to ``dist/`` (same filesystem), synced to disk, then swapped in with one rename exchange (or,
where the kernel lacks it, two renames whose gap :func:`recover` repairs), so ``dist/`` always holds
either the previous complete build or the new one. Equal inputs give byte-identical files.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCAT, OWL, RDF

from blackjanuary.config import Settings
from blackjanuary.errors import BuildError
from blackjanuary.progress import Step, progress
from blackjanuary.publish import dump_writer as dumps_stream
from blackjanuary.publish import dumps, void
from blackjanuary.publish.atomic import exchange
from blackjanuary.publish.exports import EXPORT_KINDS, render_exports, wikibase_graph, wikibase_graph_iri
from blackjanuary.publish.manifest import (
    MANIFEST_NAME,
    SUMS_NAME,
    VOID_NAME,
    DistFile,
    ExportFile,
    Manifest,
    input_sha256,
)
from blackjanuary.publish.shacl.gate import validate
from blackjanuary.publish.shacl.report import ValidationReport
from blackjanuary.publish.sources import load
from blackjanuary.rdf.formats import NQUADS, NTRIPLES, RDF_DATASET_FORMATS, RDF_GRAPH_FORMATS, Format
from blackjanuary.rdf.vocab import NAMED_GRAPHS, Ours, sorted_nodes

GENERATED_GRAPHS: tuple[str, ...] = ("wikibase",)
"""Named graphs the build derives from the validated data (not hand-edited, so not in the SHACL gate)."""

log = logging.getLogger(__name__)

DUMP_FORMATS: tuple[Format, ...] = RDF_GRAPH_FORMATS + RDF_DATASET_FORMATS
SCHEMA_TEXT = (URIRef("http://schema.org/text"), URIRef("https://schema.org/text"))
"""``schema:text`` (ADR 0001 uses http://schema.org/; the https form is accepted too)."""
DCAT_VERSION = URIRef(str(DCAT) + "version")
"""``dcat:version`` (DCAT 3; rdflib's closed DCAT namespace predates it)."""
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+-]*$")


class ValidationFailedError(BuildError):
    """The data does not conform to the shapes; ``report`` holds the violations. Nothing was written."""

    def __init__(self, report: ValidationReport) -> None:
        count = len(report.violations)
        super().__init__(
            f"the data does not conform to the shapes ({count} violation{'s' * (count != 1)}); "
            "nothing was written. Fix the listed files and build again."
        )
        self.report = report


class SourceTextMismatchError(BuildError):
    """The source text stored in the graph differs from the source text file."""


ValidationFailed = ValidationFailedError
"""The name the CLI and the other modules use."""
SourceTextMismatch = SourceTextMismatchError


@dataclass(frozen=True)
class BuildResult:
    dist: Path
    manifest: Manifest
    report: ValidationReport


def dump_name(version: str, fmt: Format, *, compressed: bool = False) -> str:
    """``blackjanuary-1.0.0.ttl`` (``.gz`` appended for the compressed copy)."""
    return f"blackjanuary-{version}.{fmt.extension}" + (".gz" if compressed else "")


def build(settings: Settings, *, show_progress: bool | None = None) -> BuildResult:
    """Build ``settings.dist``; raises DataLoadError, ValidationFailed or another BuildError."""
    ours = Ours(settings.base_iri)
    dist = settings.dist.absolute()
    total = 5 + 2 * len(DUMP_FORMATS)
    with progress("build", total, enabled=show_progress) as step:
        step.advance("loading")
        dataset = load(settings)
        step.advance("validating")
        report = validate(settings, dataset)
        if not report.conforms:
            raise ValidationFailed(report)
        check_source_text(settings, dataset)
        version = dataset_version(dataset, ours)
        exports = render_exports(settings, dataset).files
        add_generated_graphs(dataset, settings)
        graph_names = [ours.graph(name) for name in (*NAMED_GRAPHS, *GENERATED_GRAPHS)]
        inputs_hash = input_sha256(settings)
        step.advance("writing")

        dist.parent.mkdir(parents=True, exist_ok=True)
        with _locked(dist.parent):
            recover(dist)
            tmp = Path(tempfile.mkdtemp(prefix=f".{dist.name}.build-", dir=dist.parent))
            tmp.chmod(0o755)  # mkdtemp makes it private; dist/ is published
            try:
                lines = dumps_stream.quad_lines(dumps.iter_quads(dataset, settings.base_iri, graph_names))
                files, stats = _write_dumps(tmp, version, lines, ours, step)
                export_files = _write_exports(tmp, exports)
                nt_name = dump_name(version, NTRIPLES)
                triples = list(ox.parse(path=str(tmp / nt_name), format=ox.RdfFormat.N_TRIPLES))
                meta_graph = ox.NamedNode(ours.graph("meta"))
                nq_path = tmp / dump_name(version, NQUADS)
                meta = [
                    q.triple
                    for q in ox.parse(path=str(nq_path), format=ox.RdfFormat.N_QUADS)
                    if q.graph_name == meta_graph
                ]
                description = void.describe(meta, triples, files, ours)
                _write(tmp / VOID_NAME, void.turtle(description, ours))
                graphs = {name: stats.graphs.get(name, 0) for name in graph_names}
                manifest = Manifest(
                    dataset=ours.dataset,
                    version=version,
                    base_iri=settings.base_iri,
                    conforms=True,
                    input_sha256=inputs_hash,
                    graphs=graphs,
                    triples=stats.quads,
                    files=tuple(files),
                    exports=export_files,
                )
                _write(tmp / MANIFEST_NAME, manifest.to_json().encode("utf-8"))
                _write(tmp / SUMS_NAME, checksums(tmp).encode("ascii"))
                step.advance("publishing")
                _fsync_dir(tmp)
                _swap(tmp, dist)
            except OSError as exc:  # a full disk, a file-size limit, a read-only directory …
                raise BuildError(
                    f"cannot write the build in {dist.parent}: {exc.strerror or exc}"
                    f"{f' ({exc.filename})' if exc.filename else ''}; the published {dist} is "
                    "unchanged. Free some space (or build with --out elsewhere) and run the "
                    "build again."
                ) from exc
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
        step.advance("done")
    log.info("built %s: version %s, %d quads, %d files", dist, version, manifest.triples, len(files))
    return BuildResult(dist=dist, manifest=manifest, report=report)


def add_generated_graphs(dataset: Dataset, settings: Settings) -> None:
    """Add the :data:`GENERATED_GRAPHS`: the statements again in Wikibase's RDF shape (``wikibase``)."""
    target = dataset.graph(URIRef(wikibase_graph_iri(settings)))
    for triple in wikibase_graph(dataset, settings):
        target.add(triple)


def _write_exports(tmp: Path, exports: dict[str, str]) -> tuple[ExportFile, ...]:
    written = []
    for name in sorted(exports):
        body = exports[name].encode("utf-8")
        _write(tmp / name, body)
        media_type, description = EXPORT_KINDS[name]
        written.append(
            ExportFile(
                name=name,
                media_type=media_type,
                bytes=len(body),
                sha256=dumps.sha256_bytes(body),
                description=description,
            )
        )
    return tuple(written)


def _write_dumps(
    tmp: Path, version: str, lines: Iterator[bytes], ours: Ours, step: Step
) -> tuple[list[DistFile], dumps_stream.DumpStats]:
    """Every dump format and its gzip copy, in bounded memory (:mod:`blackjanuary.publish.dump_writer`)."""
    names = {fmt.name: tmp / dump_name(version, fmt) for fmt in DUMP_FORMATS}
    stats = dumps_stream.write_dumps(lines, names, ours.prefixes(), work=tmp)
    files: list[DistFile] = []
    for fmt in DUMP_FORMATS:
        named = fmt in RDF_DATASET_FORMATS
        count = stats.quads if named else stats.triples
        plain = names[fmt.name]
        for compressed in (False, True):
            path = plain.with_name(plain.name + ".gz") if compressed else plain
            if compressed:
                dumps_stream.gzip_file(plain, path)
            _fsync_file(path)
            files.append(
                DistFile(
                    name=path.name,
                    format=fmt.name,
                    media_type=fmt.media_type,
                    bytes=path.stat().st_size,
                    sha256=dumps.sha256_file(path),
                    triples=count,
                    compressed=compressed,
                    graphs=named,
                )
            )
            step.advance(path.name)
    return files, stats


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def checksums(directory: Path) -> str:
    """``sha256sum`` lines for every file in ``directory`` except SHA256SUMS itself, sorted by name."""
    names = sorted(p.name for p in directory.iterdir() if p.is_file() and p.name != SUMS_NAME)
    return "".join(f"{dumps.sha256_file(directory / name)}  {name}\n" for name in names)


def dataset_version(dataset: Dataset, ours: Ours) -> str:
    """The version the meta graph gives the dataset (``owl:versionInfo``, else ``dcat:version``)."""
    meta = dataset.graph(URIRef(ours.graph("meta")))
    subject = URIRef(ours.dataset)
    for predicate in (OWL.versionInfo, DCAT_VERSION):
        for value in sorted_nodes(meta.objects(subject, predicate)):
            text = str(value)
            if not _VERSION.match(text):
                raise BuildError(
                    f"graph/meta: the version {text!r} of <{subject}> is not usable in a file "
                    "name; use letters, digits, '.', '+' and '-' (e.g. 1.0.0)."
                )
            return text
    raise BuildError(
        f"graph/meta: <{subject}> has no owl:versionInfo or dcat:version; add e.g. "
        '`owl:versionInfo "1.0.0"` to graph/meta/dataset.ttl.'
    )


def check_source_text(settings: Settings, dataset: Dataset) -> None:
    """The graph's copy of the source text (``schema:text``) must equal the file, if the file exists."""
    path = settings.source_text_path
    if not path.is_file():
        log.warning("source text %s not found; the graph's schema:text is not checked", path)
        return
    ours = Ours(settings.base_iri)
    resource = URIRef(str(ours.SOURCE) + path.stem)
    data = dataset.graph(URIRef(ours.graph("data")))
    texts = [str(t) for p in SCHEMA_TEXT for t in data.objects(resource, p) if isinstance(t, Literal)]
    expected = path.read_bytes().decode("utf-8")
    if not texts:
        raise SourceTextMismatchError(
            f"graph/: <{resource}> has no schema:text; it must hold the text of {path}."
        )
    for text in texts:
        if text != expected and text != expected.rstrip("\n"):
            at = next(
                (i for i, (a, b) in enumerate(zip(text, expected, strict=False)) if a != b),
                min(len(text), len(expected)),
            )
            raise SourceTextMismatchError(
                f"graph/: the schema:text of <{resource}> differs from {path} at character {at} "
                f"(graph {text[at : at + 30]!r}, file {expected[at : at + 30]!r}); "
                "copy the file's text exactly."
            )
    if (resource, RDF.type, None) not in data:
        log.warning("<%s> has schema:text but no rdf:type", resource)


# Files, directories and the swap -------------------------------------------------------------------------


def _write(path: Path, data: bytes) -> None:
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on ``directory``, so two builds into the same place wait for each other."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _leftovers(dist: Path, kind: str) -> list[Path]:
    return sorted(p for p in dist.parent.glob(f".{dist.name}.{kind}-*") if p.is_dir())


def recover(dist: Path) -> None:
    """Repair what a crashed build left: put the previous build back if the swap was cut in half,
    then remove the crashed build's temporary directories."""
    olds = _leftovers(dist, "old")
    if not dist.exists():
        finished = [p for p in olds if (p / MANIFEST_NAME).is_file()]
        if finished:
            log.warning("restoring %s from %s (a build was interrupted mid-swap)", dist, finished[-1])
            os.rename(finished[-1], dist)
            _fsync_dir(dist.parent)
    for leftover in (*_leftovers(dist, "build"), *_leftovers(dist, "old")):
        log.info("removing %s left by an interrupted build", leftover)
        shutil.rmtree(leftover, ignore_errors=True)


def _swap(new: Path, dist: Path) -> None:
    """Put ``new`` in place of ``dist``; ``new`` is gone afterwards."""
    if dist.exists() and not dist.is_dir():
        raise BuildError(f"{dist} exists and is not a directory; move it away or pass another --out.")
    if dist.is_dir() and not (dist / MANIFEST_NAME).is_file() and any(dist.iterdir()):
        raise BuildError(
            f"{dist} holds files but no {MANIFEST_NAME}: it is not a build, and a build "
            "replaces its directory whole. Pass another --out, or empty it first."
        )
    if not dist.exists():
        os.rename(new, dist)
    elif exchange(new, dist):
        # ``new`` now holds the previous build
        shutil.rmtree(new)
    else:
        old = new.with_name(new.name.replace(".build-", ".old-"))
        os.rename(dist, old)
        os.rename(new, dist)
        _fsync_dir(dist.parent)
        shutil.rmtree(old)
    _fsync_dir(dist.parent)
