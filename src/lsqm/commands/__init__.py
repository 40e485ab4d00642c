"""One module per CLI command (or family). Each exposes ``COMMANDS``: click commands that
take options, call into the stages, and print; :func:`register_all` attaches them."""

from __future__ import annotations

import importlib

import click

# Modules listed here are attached in this order; add a new command module to this tuple.
MODULES = ("setup", "add", "mine", "generate", "validate", "status", "run")


def register_all(group: click.Group) -> None:
    for name in MODULES:
        try:
            module = importlib.import_module(f"lsqm.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"lsqm.commands.{name}":
                continue  # command not built yet in this checkout
            raise
        for command in module.COMMANDS:
            group.add_command(command)
