"""What every command receives: the settings the group's options made."""

from __future__ import annotations

import click

from blackjanuary.config import Settings


class CliContext:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


pass_ctx = click.make_pass_decorator(CliContext)
