"""One frozen ``Settings`` object: where the files are, the base IRI, the backend and the limits.

Values come from keyword arguments (tests, the CLI) layered over ``BLACKJANUARY_*`` environment
variables layered over the defaults below.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

CANONICAL_BASE_IRI = "https://w3id.org/blackjanuary/"
"""The base the files in ``graph/``, ``ontology/`` and ``shapes/`` are written with."""

Backend = Literal["embedded", "persistent", "remote"]
BACKENDS: tuple[Backend, ...] = ("embedded", "persistent", "remote")
ENV_PREFIX = "BLACKJANUARY_"


BUNDLE_DIR = Path(__file__).resolve().parent / "bundled"
"""Where an installed wheel keeps its copy of ``ontology/``, ``graph/`` and ``shapes/`` (see setup.py)."""

SOURCE_TREE = Path(__file__).resolve().parents[2]
"""The checkout this module runs from, in a source tree or an editable install."""


def is_project_root(path: Path) -> bool:
    return (path / "graph").is_dir() and (path / "ontology").is_dir()


def find_project_root(start: Path | None = None) -> Path:
    """Where the graph files are: the nearest checkout at or above ``start`` (default: cwd), else the
    checkout this code runs from, else the copy bundled in the installed package.

    So ``blackjanuary serve`` in a checkout publishes that checkout (``--root`` points elsewhere), and
    an installed package publishes its own data from any directory.
    """
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents, SOURCE_TREE, BUNDLE_DIR):
        if is_project_root(candidate):
            return candidate
    return here


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/blackjanuary`` (default ``~/.cache/blackjanuary``): builds of bundled data."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "blackjanuary"


@dataclass(frozen=True)
class Settings:
    root: Path = field(default_factory=find_project_root)
    base_iri: str = CANONICAL_BASE_IRI
    dist_dir: Path | None = None
    source_text: Path | None = None
    backend: Backend = "embedded"
    store_path: Path | None = None
    endpoint_url: str | None = None
    query_timeout: float = 10.0
    max_results: int = 100_000
    max_request_bytes: int = 1_000_000
    max_query_depth: int = 200
    allowed_service_endpoints: tuple[str, ...] = ()
    remote_timeout: float = 10.0
    cache_size: int = 1024
    cache_bytes: int = 32_000_000
    page_cache_bytes: int = 16 * 1024 * 1024
    """Bytes of rendered pages kept per worker process (0 turns the page cache off; ADR 0009)."""
    version_cache_bytes: int = 8 * 1024 * 1024
    """Bytes of per-version values (property names, map places, landing counts) per worker process."""
    public_url: str | None = None
    reconcile_timeout: float = 10.0
    reconcile_max_query_chars: int = 2_000
    reconcile_max_batch_chars: int = 50_000
    sparql_concurrency: int = 4
    sparql_client_concurrency: int = 3
    reconcile_concurrency: int = 2
    trusted_proxies: tuple[str, ...] = ()
    query_memory_budget: int = 512 << 20
    """Bytes a worker's resident memory may grow while engine queries run (counted from the start of
    the earliest one running); past it they are stopped (503) and, if the engine does not let go, the
    worker is replaced."""
    worker_memory_limit: int = 0
    """RLIMIT_AS of each ``serve`` worker, in bytes (the OS's last line); 0 (default): its address
    space at start-up (engine stacks included) + 4 GiB + twice the query memory budget; -1: none."""

    def __post_init__(self) -> None:
        if not self.base_iri.endswith("/"):
            raise ValueError(f"base IRI must end with '/': {self.base_iri!r}")
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}; choose one of {', '.join(BACKENDS)}")
        url = self.public_url
        if url is not None and (not url.startswith(("http://", "https://")) or not url.endswith("/")):
            raise ValueError(f"public URL must be http(s) and end with '/': {self.public_url!r}")

    # Derived locations ---------------------------------------------------------------------------
    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def graph_dir(self) -> Path:
        return self.root / "graph"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def dist(self) -> Path:
        if self.dist_dir is not None:
            return self.dist_dir
        if self.root == BUNDLE_DIR:  # an installed package's data: build beside the user's files
            return user_cache_dir() / "dist"
        return self.root / "dist"

    @property
    def source_text_path(self) -> Path:
        if self.source_text is not None:
            return self.source_text
        return self.root / "graph" / "source" / "black-january-1990.de.txt"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``BLACKJANUARY_<FIELD>`` variables, then ``overrides`` (None values ignored)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


_PATH_FIELDS = {"root", "dist_dir", "source_text", "store_path"}
_FLOAT_FIELDS = {"query_timeout", "remote_timeout", "reconcile_timeout"}
_INT_FIELDS = {
    "max_results",
    "max_request_bytes",
    "max_query_depth",
    "cache_size",
    "cache_bytes",
    "page_cache_bytes",
    "version_cache_bytes",
    "reconcile_max_query_chars",
    "reconcile_max_batch_chars",
    "sparql_concurrency",
    "sparql_client_concurrency",
    "reconcile_concurrency",
    "query_memory_budget",
    "worker_memory_limit",
}
_LIST_FIELDS = {"allowed_service_endpoints", "trusted_proxies"}


def _coerce(name: str, raw: str) -> Any:
    if name in _PATH_FIELDS:
        return Path(raw)
    if name in _FLOAT_FIELDS:
        return float(raw)
    if name in _INT_FIELDS:
        return int(raw)
    if name in _LIST_FIELDS:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw
