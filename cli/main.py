"""The ``cadastre`` console command and its sub-commands."""

from __future__ import annotations

import typer

from cli.buildings import buildings_command
from cli.demo import demo_command
from cli.footprints import footprints_command
from cli.irradiance import irradiance_command
from cli.prepare import prepare_command
from cli.qualify import qualify_command
from cli.report import report_command
from cli.run import init_command, run_command

app = typer.Typer(
    name="cadastre",
    help="PMA solar cadastre engine: rooftop irradiance from LiDAR rasters and PV potential.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("prepare")(prepare_command)
app.command("footprints")(footprints_command)
app.command("irradiance")(irradiance_command)
app.command("buildings")(buildings_command)
app.command("run")(run_command)
app.command("init")(init_command)
app.command("demo")(demo_command)
app.command("qualify")(qualify_command)
app.command("report")(report_command)


def _version(value: bool) -> None:
    if value:
        from cadastre import __version__

        typer.echo(f"cadastre {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """PMA solar cadastre engine."""


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
