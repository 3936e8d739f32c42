"""The build pipeline: determinism, the SHACL gate, atomic replacement, manifest, checksums, VoID.

Most tests build the tiny project in tests/fixtures/mini (fast); the real data is built once per
session by the ``built_settings`` fixture of conftest.py.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib.namespace as ns
from click.testing import CliRunner
from rdflib import BNode, Dataset, Graph, Literal, URIRef

from blackjanuary.cli.main import cli
from blackjanuary.config import Settings
from blackjanuary.errors import BuildError
from blackjanuary.publish.build import (
    DUMP_FORMATS,
    SourceTextMismatch,
    ValidationFailed,
    build,
    dump_name,
    recover,
)
from blackjanuary.publish.exports import EXPORT_FILES
from blackjanuary.publish.manifest import input_sha256, is_stale, read_manifest
from blackjanuary.rdf.vocab import SPDX, Ours

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"
# rdflib's own N-Quads/TriG/JSON-LD parsers still use its deprecated ConjunctiveGraph API internally
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*ConjunctiveGraph is deprecated:DeprecationWarning",
    "ignore:Dataset.default_context is deprecated:DeprecationWarning",
)
SOURCE_NAME = "black-january-1990.de.txt"


def mini_copy(tmp_path: Path) -> Settings:
    """A writable copy of the mini project, with its dist/ inside the copy."""
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    return Settings(root=root, source_text=root / SOURCE_NAME, dist_dir=tmp_path / "dist")


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def cli_args(settings: Settings) -> list[str]:
    return [
        "--root",
        str(settings.root),
        "--source-text",
        str(settings.source_text_path),
        "build",
        "--out",
        str(settings.dist),
    ]


def cli_build(settings: Settings, out: Path) -> subprocess.CompletedProcess[str]:
    """``blackjanuary build`` in a fresh interpreter with another hash seed than this one."""
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    args = [
        sys.executable,
        "-m",
        "blackjanuary",
        "--root",
        str(settings.root),
        "--source-text",
        str(settings.source_text_path),
        "build",
        "--out",
        str(out),
        "--no-progress",
    ]
    return subprocess.run(args, capture_output=True, text=True, env=env, check=False, timeout=120)  # noqa: S603


@pytest.fixture(scope="module")
def mini_built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = mini_copy(tmp_path_factory.mktemp("mini"))
    build(settings, show_progress=False)
    return settings


# Determinism -----------------------------------------------------------------------------------------


def test_two_builds_are_byte_identical(mini_built: Settings, tmp_path: Path) -> None:
    other = tmp_path / "other-dist"
    result = cli_build(mini_built, other)
    assert result.returncode == 0, result.stderr
    assert "version 1.0.0" in result.stdout
    first, second = snapshot(mini_built.dist), snapshot(other)
    assert sorted(first) == sorted(second)
    for name in first:
        assert first[name] == second[name], f"{name} differs between two builds of the same input"


def test_dist_layout(mini_built: Settings) -> None:
    names = {p.name for p in mini_built.dist.iterdir()}
    expected = {dump_name("1.0.0", fmt, compressed=c) for fmt in DUMP_FORMATS for c in (False, True)}
    assert names == expected | {"manifest.json", "void.ttl", "SHA256SUMS"} | set(EXPORT_FILES)


# Manifest, checksums, compression --------------------------------------------------------------------


def test_manifest_is_consistent(mini_built: Settings) -> None:
    m = read_manifest(mini_built.dist)
    ours = Ours(mini_built.base_iri)
    assert (m.dataset, m.version, m.conforms) == (ours.dataset, "1.0.0", True)
    assert m.base_iri == mini_built.base_iri
    assert m.input_sha256 == input_sha256(mini_built)
    assert sum(m.graphs.values()) == m.triples
    assert set(m.graphs) == {ours.graph(n) for n in ("data", "ontology", "shapes", "meta", "wikibase")}
    assert [e.name for e in m.exports] == sorted(EXPORT_FILES)
    for e in m.exports:
        data = (mini_built.dist / e.name).read_bytes()
        assert (e.bytes, e.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    nq = Dataset()
    nq.parse(mini_built.dist / dump_name(m.version, DUMP_FORMATS[-1]), format="nquads")
    for graph_iri, count in m.graphs.items():
        assert len(nq.graph(URIRef(graph_iri))) == count
    union = Graph().parse(mini_built.dist / f"blackjanuary-{m.version}.nt", format="nt")
    assert len(m.files) == 2 * len(DUMP_FORMATS)
    for f in m.files:
        data = (mini_built.dist / f.name).read_bytes()
        assert f.bytes == len(data)
        assert f.sha256 == hashlib.sha256(data).hexdigest()
        assert f.compressed == f.name.endswith(".gz")
        assert f.triples == (m.triples if f.graphs else len(union))
        assert f.graphs == (f.format in ("trig", "nquads"))


def test_sha256sums_cover_every_file(mini_built: Settings) -> None:
    lines = (mini_built.dist / "SHA256SUMS").read_text(encoding="ascii").splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert list(listed) == sorted(listed)
    files = {p.name for p in mini_built.dist.iterdir()} - {"SHA256SUMS"}
    assert set(listed) == files
    for name, digest in listed.items():
        assert hashlib.sha256((mini_built.dist / name).read_bytes()).hexdigest() == digest
    if shutil.which("sha256sum"):
        check = subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"],
            cwd=mini_built.dist,  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr


def test_gzip_files_decompress_to_the_plain_files(mini_built: Settings) -> None:
    for gz in sorted(mini_built.dist.glob("*.gz")):
        raw = gz.read_bytes()
        assert raw[4:8] == b"\0\0\0\0", f"{gz.name}: gzip mtime must be 0"
        assert not raw[3] & 0x08, f"{gz.name}: gzip header must not carry a file name"
        assert gzip.decompress(raw) == (mini_built.dist / gz.name[:-3]).read_bytes()


def test_staleness_follows_the_inputs(tmp_path: Path) -> None:
    settings = mini_copy(tmp_path)
    assert is_stale(settings)  # nothing built yet
    build(settings, show_progress=False)
    assert not is_stale(settings)
    data = settings.graph_dir / "data.ttl"
    data.write_text(data.read_text(encoding="utf-8") + "\n# a comment changes the hash\n", encoding="utf-8")
    assert is_stale(settings)


# The gate and atomic replacement ---------------------------------------------------------------------


def test_invalid_data_leaves_the_previous_build_untouched(tmp_path: Path) -> None:
    settings = mini_copy(tmp_path)
    build(settings, show_progress=False)
    before = snapshot(settings.dist)
    data = settings.graph_dir / "data.ttl"
    data.write_text(data.read_text(encoding="utf-8").replace('"Bakı"@az', '"Bakou"@fr'), encoding="utf-8")

    with pytest.raises(ValidationFailed) as caught:
        build(settings, show_progress=False)
    assert not caught.value.report.conforms
    assert any("baku" in v.focus_node for v in caught.value.report.violations)

    result = CliRunner().invoke(cli, cli_args(settings))
    assert result.exit_code == 1, result.output
    assert "id/baku" in result.output or "bjid:baku" in result.output
    assert snapshot(settings.dist) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist", "project"]  # no temp dirs left


def test_syntax_error_exits_2_with_file_and_line(tmp_path: Path) -> None:
    settings = mini_copy(tmp_path)
    build(settings, show_progress=False)
    before = snapshot(settings.dist)
    broken = settings.graph_dir / "data.ttl"
    lines = broken.read_text(encoding="utf-8").splitlines()
    lines[14] = lines[14].replace(" .", " ] .")  # an unbalanced bracket
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, cli_args(settings))
    assert result.exit_code == 2, result.output
    assert "data.ttl" in result.output
    assert "line" in result.output
    assert snapshot(settings.dist) == before


def test_source_text_must_match_the_file(tmp_path: Path) -> None:
    settings = mini_copy(tmp_path)
    text = settings.source_text_path
    text.write_text(text.read_text(encoding="utf-8").replace("150", "151"), encoding="utf-8")
    with pytest.raises(SourceTextMismatch, match="character 71"):
        build(settings, show_progress=False)
    assert not settings.dist.exists()


def test_interrupted_swap_is_repaired(tmp_path: Path) -> None:
    """The states a crash can leave (a half-written temp dir; the old build moved aside before the new
    one was moved in) are repaired by the next build or by recover()."""
    settings = mini_copy(tmp_path)
    build(settings, show_progress=False)
    before = snapshot(settings.dist)
    dist = settings.dist
    aside = dist.with_name(f".{dist.name}.old-crashed")
    half = dist.with_name(f".{dist.name}.build-crashed")
    os.rename(dist, aside)
    half.mkdir()
    (half / "blackjanuary-1.0.0.ttl").write_bytes(b"half written")
    recover(dist)
    assert snapshot(dist) == before
    assert not aside.exists() and not half.exists()

    half.mkdir()
    build(settings, show_progress=False)
    assert not half.exists()
    assert snapshot(dist) == before


def test_a_directory_that_is_not_a_build_is_never_replaced(tmp_path: Path) -> None:
    settings = mini_copy(tmp_path)
    settings.dist.mkdir()
    (settings.dist / "thesis.txt").write_text("years of work", encoding="utf-8")
    with pytest.raises(BuildError, match="not a build"):
        build(settings, show_progress=False)
    assert (settings.dist / "thesis.txt").read_text(encoding="utf-8") == "years of work"
    assert not (settings.dist / "manifest.json").exists()


def test_an_empty_directory_takes_a_build(tmp_path: Path) -> None:
    settings = mini_copy(tmp_path)
    settings.dist.mkdir()
    build(settings, show_progress=False)
    assert (settings.dist / "manifest.json").is_file()


# VoID / DCAT -----------------------------------------------------------------------------------------


def test_void_describes_every_file(mini_built: Settings) -> None:
    void = Graph().parse(mini_built.dist / "void.ttl", format="turtle")
    m = read_manifest(mini_built.dist)
    ours = Ours(mini_built.base_iri)
    ds = URIRef(ours.dataset)
    assert not any(isinstance(t, BNode) for triple in void for t in triple)
    distributions = set(void.objects(ds, ns.DCAT.distribution))
    assert len(distributions) == len(m.files)
    for f in m.files:
        dist = URIRef(f"{ours.base}dataset/dist/{f.name}")
        assert dist in distributions
        assert void.value(dist, ns.DCAT.downloadURL) == URIRef(f"{ours.base}downloads/{f.name}")
        assert void.value(dist, ns.DCAT.byteSize) == Literal(f.bytes, datatype=ns.XSD.nonNegativeInteger)
        assert void.value(dist, ns.DCAT.mediaType) == URIRef(
            f"https://www.iana.org/assignments/media-types/{f.media_type}"
        )
        assert ((dist, ns.DCAT.compressFormat, None) in void) == f.compressed
        checksum = void.value(dist, SPDX.checksum)
        assert checksum == URIRef(f"{dist}#sha256")
        assert void.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        value = void.value(checksum, SPDX.checksumValue)
        assert value.datatype == ns.XSD.hexBinary and str(value) == f.sha256
    union = Graph().parse(mini_built.dist / f"blackjanuary-{m.version}.nt", format="nt")
    assert int(void.value(ds, ns.VOID.triples)) == len(union)
    assert int(void.value(ds, ns.VOID.distinctSubjects)) == len(set(union.subjects()))
    assert int(void.value(ds, ns.VOID.properties)) == len(set(union.predicates()))
    assert void.value(ds, ns.VOID.sparqlEndpoint) == URIRef(ours.base + "sparql")
    assert (URIRef(ours.base + "sparql"), ns.RDF.type, ns.DCAT.DataService) in void
    linkset = URIRef(ours.base + "dataset/links/wikidata")
    assert (ds, ns.VOID.subset, linkset) in void
    assert void.value(linkset, ns.VOID.linkPredicate) == ns.SKOS.exactMatch
    assert void.value(linkset, ns.VOID.objectsTarget) == URIRef("https://www.wikidata.org/")
    links = union.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s <http://www.w3.org/2004/02/skos/core#exactMatch> "
        "?o FILTER STRSTARTS(STR(?o), 'http://www.wikidata.org/entity/') }"
    )
    assert int(void.value(linkset, ns.VOID.triples)) == int(next(iter(links))[0]) >= 1
    # the hand-written description from the meta graph is carried over
    assert void.value(ds, URIRef(str(ns.DCAT) + "version")) == Literal("1.0.0")


# The real data (built once per session by conftest.built_settings) -----------------------------------


def test_real_build(built_settings: Settings) -> None:
    m = read_manifest(built_settings.dist)
    assert m.conforms
    meta = Graph().parse(built_settings.root / "graph" / "meta" / "dataset.ttl")
    assert m.version == str(meta.value(URIRef(Ours().dataset), ns.OWL.versionInfo))
    assert m.version.count(".") == 2  # semantic versioning, raised with every data change
    assert m.input_sha256 == input_sha256(built_settings)
    assert not is_stale(built_settings)
    assert m.graphs[Ours(built_settings.base_iri).graph("data")] > 0
    for f in m.files:
        assert hashlib.sha256((built_settings.dist / f.name).read_bytes()).hexdigest() == f.sha256
