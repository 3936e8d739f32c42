"""The command line: ``blackjanuary validate | build | load | serve | stats | export ...``."""

from blackjanuary.cli.main import main

__all__ = ["main"]
