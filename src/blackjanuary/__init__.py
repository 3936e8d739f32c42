"""blackjanuary: a linked-open-data publisher for Black January (Baku, 19–20 January 1990)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("blackjanuary")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

__all__ = ["__version__"]
