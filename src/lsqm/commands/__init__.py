"""One module per CLI command, each a thin click command over the library. :data:`COMMANDS`
is what ``lsqm`` offers, in the order ``--help`` lists them."""

from __future__ import annotations

import click

from lsqm.commands.add import add
from lsqm.commands.bisect import bisect
from lsqm.commands.clean import clean
from lsqm.commands.compare import compare
from lsqm.commands.coverage import coverage
from lsqm.commands.generate import generate
from lsqm.commands.merge import merge
from lsqm.commands.mine import mine
from lsqm.commands.notify import notify
from lsqm.commands.push import push
from lsqm.commands.reduce import reduce
from lsqm.commands.report import report
from lsqm.commands.run import run
from lsqm.commands.sensitivity import sensitivity
from lsqm.commands.setup import setup
from lsqm.commands.status import status
from lsqm.commands.sync import sync
from lsqm.commands.validate import validate

COMMANDS: list[click.Command] = [
    setup,
    add,
    mine,
    generate,
    validate,
    merge,
    bisect,
    reduce,
    status,
    compare,
    coverage,
    sensitivity,
    report,
    clean,
    sync,
    push,
    notify,
    run,
]
