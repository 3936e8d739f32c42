"""The README cannot drift from the code: every command and every setting is documented there."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from blackjanuary.cli.main import cli
from blackjanuary.config import ENV_PREFIX, Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme() -> None:
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        assert f"blackjanuary {name}" in README, f"`blackjanuary {name}` is missing from README.md"


def test_every_setting_is_in_the_readme() -> None:
    for f in dataclasses.fields(Settings):
        variable = ENV_PREFIX + f.name.upper()
        assert f"`{variable}`" in README, f"{variable} is missing from README.md's settings table"


def test_the_quick_start_is_the_two_make_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make run" in quick_start and "make test" in quick_start
