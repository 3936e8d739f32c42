"""``blackjanuary load`` and ``blackjanuary serve``: a build into a store, and a store on the web.

Like every command, each imports what it runs inside its own body (start-up time, see cli/main.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from blackjanuary.cli.context import CliContext, pass_ctx
from blackjanuary.config import BACKENDS, Settings


@click.command()
@click.option(
    "--dist",
    "dist_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The build to load (default: dist/ in the project).",
)
@click.option(
    "--store",
    "store_path",
    type=click.Path(file_okay=False, path_type=Path),
    help="Oxigraph store directory to (re)create atomically; serve it with --backend persistent.",
)
@click.option(
    "--endpoint",
    "endpoint_url",
    help="SPARQL query endpoint of a running server (e.g. http://127.0.0.1:7878/query).",
)
@click.option(
    "--gsp-url",
    help="Graph Store Protocol URL for --endpoint (default: derived from it; "
    "Oxigraph /query → /store, Fuseki /sparql → /data).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=600.0,
    show_default=True,
    help="Seconds allowed per graph upload with --endpoint.",
)
@click.option(
    "--user",
    envvar="BLACKJANUARY_ENDPOINT_USER",
    help="User for a Graph Store that asks for HTTP authentication (Virtuoso: dba); the password is "
    "read from BLACKJANUARY_ENDPOINT_PASSWORD, never from the command line.",
)
@pass_ctx
def load(
    obj: CliContext,
    dist_dir: Path | None,
    store_path: Path | None,
    endpoint_url: str | None,
    gsp_url: str | None,
    timeout: float,
    user: str | None,
) -> None:
    """Put a finished build into a persistent store (--store) or a remote SPARQL server (--endpoint).

    --store loads into a fresh directory beside DIR and swaps it in only when complete, so a failed
    load leaves the previous store serving. --endpoint PUTs each named graph with the SPARQL 1.1
    Graph Store Protocol and reads the triple counts back; Virtuoso (recognised by its Server
    header) takes them at /sparql-graph-crud-auth with digest authentication (--user dba).
    """
    from blackjanuary.store.loading import load_store, push_endpoint  # lazy: start-up time (docstring)

    if (store_path is None) == (endpoint_url is None):
        raise click.UsageError("give exactly one of --store DIR or --endpoint URL")
    dist = dist_dir or obj.settings.dist
    if store_path is not None:
        report = load_store(dist, store_path)
    else:
        assert endpoint_url is not None
        password = os.environ.get("BLACKJANUARY_ENDPOINT_PASSWORD")
        report = push_endpoint(
            dist, endpoint_url, gsp_url=gsp_url, timeout=timeout, user=user, password=password
        )
    triples = sum(report.graphs.values())
    click.echo(
        f"loaded version {report.version} ({triples} triples in {len(report.graphs)} graphs) "
        f"into {report.target} in {report.seconds:.1f} s"
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="TCP port.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="gunicorn worker processes (one per core is a good start).",
)
@click.option(
    "--threads", type=click.IntRange(1, 256), default=8, show_default=True, help="Threads per worker process."
)
@click.option(
    "--dist",
    "dist_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The build to serve (default: dist/ in the project).",
)
@click.option(
    "--build/--no-build",
    "build_first",
    default=True,
    show_default=True,
    help="Build dist/ first (through the SHACL gate) when it is missing or stale.",
)
@click.option("--access-log/--no-access-log", default=False, show_default=True, help="Log every request.")
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    default=None,
    help="Store: embedded (in memory, from dist/; the default), persistent (--store) or remote "
    "(--endpoint). Also BLACKJANUARY_BACKEND.",
)
@click.option(
    "--store",
    "store_path",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Oxigraph directory made by `blackjanuary load --store` (implies --backend persistent).",
)
@click.option(
    "--endpoint",
    "endpoint_url",
    default=None,
    help="SPARQL 1.1 query endpoint to front (implies --backend remote).",
)
@click.option(
    "--public-url",
    default=None,
    help="Where clients reach this server (https://kg.example.org/): the base of every absolute URL "
    "the app writes. Default: BLACKJANUARY_PUBLIC_URL, else http://HOST:PORT/, else (bound to every "
    "address) the base IRI.",
)
@pass_ctx
def serve(
    obj: CliContext,
    host: str,
    port: int,
    workers: int,
    threads: int,
    dist_dir: Path | None,
    build_first: bool,
    access_log: bool,
    backend: str | None = None,
    store_path: Path | None = None,
    endpoint_url: str | None = None,
    public_url: str | None = None,
) -> None:
    """Serve the validated build: /sparql and the other interfaces, with gunicorn.

    Refuses to start (exit 1 with the violations) on data that fails the SHACL gate, and on a build
    whose manifest does not say it conforms (exit 2).
    """
    from blackjanuary.serve.server import (  # lazy: start-up time (docstring)
        ServerOptions,
        ensure_servable,
        run,
    )
    from blackjanuary.web.public_url import serve_url

    settings = obj.settings if dist_dir is None else obj.settings.replace(dist_dir=dist_dir)
    try:
        settings = with_backend(settings, backend, store_path, endpoint_url)
        settings = settings.replace(public_url=public_url or settings.public_url or serve_url(host, port))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    ensure_servable(settings, build_if_stale=build_first, echo=lambda m: click.echo(m, err=True))
    click.echo(
        f"serving {settings.dist} on http://{host}:{port}/ (SPARQL: http://{host}:{port}/sparql)", err=True
    )
    reserved = settings.sparql_concurrency + settings.reconcile_concurrency
    if threads < reserved + 2:
        click.echo(
            f"--threads {threads} leaves fewer than 2 threads per worker for pages when {reserved} queries "
            "and reconciliation batches run; raise --threads or lower BLACKJANUARY_SPARQL_CONCURRENCY / "
            "BLACKJANUARY_RECONCILE_CONCURRENCY",
            err=True,
        )
    if settings.public_url is None:
        click.echo(
            f"bound to every address: absolute URLs (reconciliation manifest, service description) "
            f"start with the base IRI {settings.base_iri}; set --public-url to where clients reach "
            "this server",
            err=True,
        )
    options = ServerOptions(host=host, port=port, workers=workers, threads=threads, access_log=access_log)
    run(settings, options)


def with_backend(
    settings: Settings, backend: str | None, store_path: Path | None, endpoint_url: str | None
) -> Settings:
    """``settings`` with the backend flags of ``serve`` applied (``--store``/``--endpoint`` imply theirs)."""
    if backend is None:
        backend = "persistent" if store_path else "remote" if endpoint_url else None
    changes = {
        k: v
        for k, v in {"backend": backend, "store_path": store_path, "endpoint_url": endpoint_url}.items()
        if v is not None
    }
    settings = settings.replace(**changes)
    if settings.backend == "persistent" and settings.store_path is None:
        raise ValueError("--backend persistent needs --store DIR (made by `blackjanuary load --store DIR`)")
    if settings.backend == "remote" and not settings.endpoint_url:
        raise ValueError("--backend remote needs --endpoint URL (e.g. http://127.0.0.1:7878/query)")
    return settings
