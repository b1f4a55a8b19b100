"""Docs are tested: every CLI command and every ARCHIVER_* setting is in the README."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from archiver import settings
from archiver.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def commands(group: click.Group, prefix: str = "archiver") -> list[str]:
    names = []
    for name, command in group.commands.items():
        names.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            names.extend(commands(command, f"{prefix} {name}"))
    return names


@pytest.mark.parametrize("command", commands(cli))
def test_every_command_is_documented(command):
    assert f"`{command}" in README, f"{command} is missing from README.md"


@pytest.mark.parametrize("name", [n for n in dir(settings) if n.startswith("ARCHIVER_")])
def test_every_setting_is_documented(name):
    assert re.search(rf"\\| `{name}` \\|", README), f"{name} is missing from README's settings table"


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    lines = [line for line in first_block.splitlines() if line.strip() and not line.startswith("bash")]
    assert lines[0].startswith("pip install -e . && archiver demo")
    assert lines[1].startswith("pip install -e '.[test]' && python -m pytest")
