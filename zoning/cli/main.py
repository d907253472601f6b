"""The `zoning` command group: sets up logging, catches toolkit errors once, and registers subcommands."""

from __future__ import annotations

import importlib
import logging
import sys

import click

from zoning import __version__
from zoning.errors import ZoningError

#: Subcommand modules under zoning.cli; each defines a click command (or group) named ``command``,
#: or a list of them named ``commands``.
COMMAND_MODULES = ("build", "reconcile", "check", "map", "raster", "rules")


class ZoningGroup(click.Group):
    """A click group that turns :class:`ZoningError` into a one-line message and exit code 1."""

    def invoke(self, ctx: click.Context):  # noqa: D102
        try:
            return super().invoke(ctx)
        except ZoningError as exc:
            click.echo(f"zoning: error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("zoning: interrupted", err=True)
            sys.exit(130)


@click.group(cls=ZoningGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zoning")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def cli(verbose: int, quiet: bool) -> None:
    """Livestock-farming exclusion zones (畜禽养殖禁养区): build, reconcile, map, check sites."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


for _name in COMMAND_MODULES:
    _module = importlib.import_module(f"zoning.cli.{_name}")
    for _command in getattr(_module, "commands", None) or [_module.command]:
        cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="zoning")


if __name__ == "__main__":
    main()
