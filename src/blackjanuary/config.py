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


def find_project_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` (default: cwd) holding ``graph/`` and ``ontology/``."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "graph").is_dir() and (candidate / "ontology").is_dir():
            return candidate
    return here


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
    query_memory_budget: int = 512 << 20
    """Bytes a worker's resident memory may grow while engine queries run (counted from the start of
    the earliest one running); past it they are stopped (503) and, if the engine does not let go, the
    worker is replaced."""
    worker_memory_limit: int = -1
    """RLIMIT_AS of each gunicorn worker, in bytes (the OS's last line); 0: its address space at
    start-up (engine stacks included) + 4 GiB + twice the query memory budget; -1 (default): none."""

    def __post_init__(self) -> None:
        if not self.base_iri.endswith("/"):
            raise ValueError(f"base IRI must end with '/': {self.base_iri!r}")
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}; choose one of {', '.join(BACKENDS)}")

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
        return self.dist_dir if self.dist_dir is not None else self.root / "dist"

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
_FLOAT_FIELDS = {"query_timeout", "remote_timeout"}
_INT_FIELDS = {
    "max_results",
    "max_request_bytes",
    "max_query_depth",
    "cache_size",
    "query_memory_budget",
    "worker_memory_limit",
}


def _coerce(name: str, raw: str) -> Any:
    if name in _PATH_FIELDS:
        return Path(raw)
    if name in _FLOAT_FIELDS:
        return float(raw)
    if name in _INT_FIELDS:
        return int(raw)
    if name == "allowed_service_endpoints":
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw
