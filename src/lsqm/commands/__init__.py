"""One module per CLI command. Each exposes ``COMMANDS``: click commands that take
options, call into the stages, and print; :func:`register_all` attaches them."""

from __future__ import annotations

import importlib

import click

# Attached in this order; a new command module is added to this tuple.
MODULES = ("setup", "add", "mine", "generate", "validate", "status", "run")


def register_all(group: click.Group) -> None:
    for name in MODULES:
        module = importlib.import_module(f"lsqm.commands.{name}")
        for command in module.COMMANDS:
            group.add_command(command)
