"""``dist/manifest.json``: what a build produced, read back by the server and the tests.

The manifest is the contract between the build and everything that serves ``dist/``:
the dataset IRI and version, whether it conformed, the hash of the inputs (staleness), the triple
count per named graph and one entry per dump file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from blackjanuary.config import Settings
from blackjanuary.errors import BuildError
from blackjanuary.publish.sources import source_files

MANIFEST_NAME = "manifest.json"
SUMS_NAME = "SHA256SUMS"
VOID_NAME = "void.ttl"


class ManifestError(BuildError):
    """``dist/manifest.json`` is missing or unreadable: the dist directory is not a finished build."""


@dataclass(frozen=True)
class DistFile:
    name: str
    format: str
    """The short name in :mod:`blackjanuary.rdf.formats` (turtle, ntriples, jsonld, rdfxml, trig, nquads)."""
    media_type: str
    bytes: int
    sha256: str
    triples: int
    """Triples in the file (quads for the named-graph formats), counted before compression."""
    compressed: bool
    graphs: bool
    """True if the file keeps the named graphs (TriG, N-Quads), False for the union of the graphs."""


@dataclass(frozen=True)
class ExportFile:
    """A file for Wikidata-style tools (Mix'n'match, QuickStatements, Wikibase RDF) in ``dist/``."""

    name: str
    media_type: str
    bytes: int
    sha256: str
    description: str


@dataclass(frozen=True)
class Manifest:
    dataset: str
    version: str
    base_iri: str
    conforms: bool
    input_sha256: str
    graphs: dict[str, int]
    triples: int
    files: tuple[DistFile, ...] = field(default_factory=tuple)
    exports: tuple[ExportFile, ...] = field(default_factory=tuple)

    def file(self, name: str) -> DistFile | None:
        return next((f for f in self.files if f.name == name), None)

    def to_json(self) -> str:
        data = asdict(self)
        data["files"] = [asdict(f) for f in self.files]
        data["exports"] = [asdict(f) for f in self.exports]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data: dict[str, Any] = json.loads(text)
        files = tuple(DistFile(**f) for f in data.pop("files", []))
        exports = tuple(ExportFile(**f) for f in data.pop("exports", []))
        return cls(**data, files=files, exports=exports)


def read_manifest(dist: Path) -> Manifest:
    """The manifest of the build in ``dist``; :class:`ManifestError` if there is no finished build."""
    path = dist / MANIFEST_NAME
    try:
        return Manifest.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ManifestError(
            f"{path}: no manifest; {dist} holds no finished build. Run `blackjanuary build` first."
        ) from exc
    except (ValueError, TypeError) as exc:
        raise ManifestError(
            f"{path}: not a valid build manifest ({exc}). Rebuild with `blackjanuary build`."
        ) from exc


def input_files(settings: Settings) -> list[tuple[str, Path]]:
    """The build's inputs with stable names: paths relative to the root, plus the source text."""
    named: list[tuple[str, Path]] = []
    for source in source_files(settings):
        try:
            name = source.path.relative_to(settings.root).as_posix()
        except ValueError:
            name = source.path.as_posix()
        named.append((name, source.path))
    text = settings.source_text_path
    if text.is_file():
        named.append(("source-text/" + text.name, text))
    return sorted(named)


def input_sha256(settings: Settings) -> str:
    """SHA-256 over the sorted input names and contents (ontology, graph, meta, shapes, source text)."""
    digest = hashlib.sha256()
    for name, path in input_files(settings):
        content = path.read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def is_stale(settings: Settings) -> bool:
    """True if ``settings.dist`` holds no finished build, or one built from other inputs than today's."""
    try:
        manifest = read_manifest(settings.dist)
    except ManifestError:
        return True
    return manifest.input_sha256 != input_sha256(settings) or manifest.base_iri != settings.base_iri
