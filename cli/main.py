"""The ``cadastre`` console command and its sub-commands."""

from __future__ import annotations

import sys

import typer

from cli.buildings import buildings_command
from cli.demo import demo_command
from cli.footprints import footprints_command
from cli.irradiance import irradiance_command
from cli.prepare import prepare_command
from cli.qualify import qualify_command
from cli.report import report_command
from cli.reweather import reweather_command
from cli.run import init_command, run_command

app = typer.Typer(
    name="cadastre",
    help="PMA solar cadastre engine: rooftop irradiance from LiDAR rasters and PV potential.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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
app.command("reweather")(reweather_command)


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


DASK_COMMANDS = ("run",)
"""The sub-commands that use Dask; the others run in one process without it."""


def _without_dask() -> None:
    """Keep Dask out of a command that does not use it.

    xarray and rioxarray import ``dask.array`` whenever Dask is installed (to recognise dask-backed
    arrays, which the engine never builds outside ``cadastre run``): 0.3-0.4 s of every start. Marking
    Dask as absent for this process makes them take their no-Dask path, as on an install without it.
    """
    if "dask" not in sys.modules:
        sys.modules["dask"] = None  # type: ignore[assignment]  # `import dask` now fails as if not installed


def main() -> None:
    """Console-script entry point."""
    for stream in (sys.stdout, sys.stderr):  # a file name with undecodable bytes prints as \xNN, never crashes
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    bad = next((arg for arg in sys.argv[1:] if not _utf8(arg)), None)
    if bad is not None:  # GDAL, SQLite and the JSON metadata need UTF-8 names
        shown = bad.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        print(f"error: {shown}: this name is not valid UTF-8 (a byte of another encoding); rename the file or folder",
              file=sys.stderr)
        raise SystemExit(2)
    if sys.argv[1:2] and sys.argv[1] not in DASK_COMMANDS:
        _without_dask()
    app()


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


if __name__ == "__main__":
    main()
