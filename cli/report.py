"""``cadastre report``: self-contained HTML reports of a commune, an EPCI or every commune."""

from __future__ import annotations

from pathlib import Path

import typer

from cadastre.errors import OptionError
from cli.options import OVERWRITE, QUIET, display, handle_errors, progress_bar, stdout
from cli.staging import missing_folders

NO_DATA_SHOWN = 20
"""How many communes without data the summary names (index.html lists them all)."""


def report_command(
    run_dir: Path = typer.Argument(..., help="Output folder of `cadastre buildings` or `cadastre run`."),
    output: Path = typer.Option(..., "-o", "--output", help="report.html (--commune/--epci) or a folder (--all)."),
    commune: str = typer.Option(None, "--commune", help="INSEE code or name of the commune."),
    epci: str = typer.Option(None, "--epci", help="SIREN or name of the EPCI."),
    all_: bool = typer.Option(False, "--all", help="One report per commune and EPCI, plus index.html."),
    lang: str = typer.Option("fr", "--lang", help="Language of the report: fr or en."),
    qualification: Path = typer.Option(None, "--qualification",
                                       help="Folder or qualification.csv of `cadastre qualify` (default: found in "
                                            "RUN_DIR/qualification/, RUN_DIR/ or beside RUN_DIR)."),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Write the solar report of a commune or EPCI: one self-contained HTML page, printable to A4.

    RUN_DIR is the output folder of `cadastre buildings` or of `cadastre run`. The page
    (French by default) holds the key figures of communes.csv / epci.csv as written, a map of
    the roofs by class over the commune boundary, charts, the 20 best buildings, the municipal
    buildings of `cadastre qualify` when its folder is found, the method, sources and limits.
    Beside report.html: report-buildings.csv and report-buildings.gpkg. With --all: one page
    per commune with data (<insee>.html), one per EPCI (epci-<siren>.html) and index.html,
    which also lists the communes without data.

    Examples:

        cadastre report demo-output/buildings --commune Montpellier -o report.html

        cadastre report run/ --epci "CA de Lens - Liévin" -o cali.html --lang en

        cadastre report run/ --all -o reports/
    """
    with handle_errors():
        if sum([commune is not None, epci is not None, all_]) != 1:
            raise OptionError("report: give exactly one of --commune, --epci or --all")
        with missing_folders(output.parent):
            _report(run_dir, output, commune, epci, all_, lang, qualification, overwrite, quiet)



def _report(run_dir, output, commune, epci, all_, lang, qualification, overwrite, quiet) -> None:
    from cadastre.report.pages import write_all, write_report

    if all_:
        with progress_bar("reports", 1, quiet=quiet) as update:
            result = write_all(run_dir, output, lang=lang, qualification=qualification, overwrite=overwrite,
                               progress=update)
        if not quiet:
            stdout.print(f"{len(result.communes)} commune and {len(result.epcis)} EPCI reports; "
                         f"index: {display(result.index)}")
            if result.no_data:
                names = ", ".join(f"{name} ({code})" for code, name in result.no_data[:NO_DATA_SHOWN])
                more = f", ... (all in {display(result.index)})" if len(result.no_data) > NO_DATA_SHOWN else ""
                stdout.print(f"communes with no data ({len(result.no_data)}): {names}{more}")
        return
    out = write_report(run_dir, output, commune=commune, epci=epci, lang=lang, qualification=qualification,
                       overwrite=overwrite)
    if not quiet:
        stdout.print(f"report: {display(out)}")
