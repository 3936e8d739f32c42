"""Where clients reach this server: the base of every absolute URL the application writes.

It is the configured ``Settings.public_url`` (``BLACKJANUARY_PUBLIC_URL``, ``serve --public-url``);
``blackjanuary serve`` fills it from its own ``--host`` and ``--port`` when it is not set, and anything
else (another WSGI server, the test client) falls back to the base IRI, the dataset's permanent name,
which the w3id.org rules redirect to the deployment. The request's ``Host`` header never decides it:
a cache in front of the server that keys without ``Host`` cannot be fed someone else's links.

>>> from blackjanuary.config import Settings
>>> public_url_of(Settings(public_url="https://kg.example.org/"))
'https://kg.example.org/'
>>> public_url_of(Settings())
'https://w3id.org/blackjanuary/'
>>> serve_url("127.0.0.1", 8080), serve_url("::1", 8080), serve_url("0.0.0.0", 8080)
('http://127.0.0.1:8080/', 'http://[::1]:8080/', None)
"""

from __future__ import annotations

from blackjanuary.config import Settings
from blackjanuary.web.current import current_settings

WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - names, not a bind


def public_url_of(settings: Settings) -> str:
    """The public URL of ``settings`` (ends with ``/``)."""
    return settings.public_url or settings.base_iri


def public_url() -> str:
    """The public URL of the application handling the current request."""
    return public_url_of(current_settings())


def absolute(path: str) -> str:
    """``path`` (``/sparql``) as an absolute URL under the public URL."""
    return public_url() + path.lstrip("/")


def serve_url(host: str, port: int) -> str | None:
    """``http://HOST:PORT/`` for a server bound to one address; ``None`` for a wildcard bind, where the
    address clients use cannot be known (the caller falls back to the base IRI and warns)."""
    if host in WILDCARD_HOSTS:
        return None
    name = f"[{host}]" if ":" in host else host
    return f"http://{name}:{port}/"
