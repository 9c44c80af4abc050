"""``cadastre reweather``: a finished cadastre under another weather, from its faces' shading profiles."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.table import Table

from cadastre.errors import OutputFileError
from cli.irradiance import TIME_LABELS
from cli.options import OVERWRITE, QUIET, display, handle_errors, stdout


def reweather_command(
    result_dir: Path = typer.Argument(..., help="Output folder of 'cadastre buildings' or 'cadastre demo' "
                                      "(buildings/), or a 'cadastre run' RUN_DIR, with its profiles.parquet."),
    weather: str = typer.Option(..., "--weather", "-w", help="The new weather: PVGIS TMY (CSV/JSON), EPW, plain "
                                "CSV (time,ghi,dni,dhi) or 'clearsky'."),
    output: Path = typer.Option(..., "--output", "-o", help="Output folder (created if missing): a complete result "
                                "set, as 'cadastre buildings' writes."),
    time_label: str = typer.Option(
        None, "--time-label", help=f"What the stamps of a plain CSV mark: {'|'.join(TIME_LABELS)} (default middle).",
        show_default=False),
    hourly: str = typer.Option(
        None, "--hourly", help="Building ids, comma-separated (e.g. 3,17, or run ids such as 0650_7025-17): also "
        "write hourly.csv, the AC power \\[kW] of those buildings at every row of the new weather (as 'cadastre "
        "buildings --hourly').", show_default=False),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Recompute the production of every roof face, building, commune and EPCI under another weather.

    Reads RESULT_DIR (its roofs, buildings, coverage, profiles.parquet and the parameters its metadata
    records), computes each face's PV production hour by hour from its shading profile under the new
    weather (no raster, no horizon traced again) and writes a complete result set to OUTPUT: annual and
    monthly tables, buildings.json naming the new weather. Faces, kWp, suitability and classes stay those
    of RESULT_DIR. A run folder is read and computed tile by tile (memory of one tile).

    Example:

        cadastre reweather demo-output/buildings -w other_tmy.csv -o reweathered/
    """
    started = time.perf_counter()
    from cadastre.results.contract import BUILDINGS_FILES, HOURLY, PROFILES
    from cadastre.results.reweather import load_for, parts_folder, read_source, reweather, write_reweathered
    from cli.buildings import hourly_ids
    from rasters.io import check_output_folder

    with handle_errors():
        wanted = hourly_ids(hourly)
        if output.resolve() == result_dir.resolve():
            raise OutputFileError(f"{output}: the folder being reweathered; give another output folder")
        check_output_folder(output, [*BUILDINGS_FILES, PROFILES, *([HOURLY] if wanted else [])], overwrite=overwrite)
        source = read_source(result_dir)
        met = load_for(source, weather, time_label)
        with parts_folder(output) as work:
            result = reweather(source, met, work, hourly=wanted, started=started)
            write_reweathered(output, result, overwrite=overwrite)
        if not quiet:
            stdout.print(summary_table(source, result, output, time.perf_counter() - started))


def summary_table(source, result, output: Path, seconds: float) -> Table:
    """Before and after: the territory's GWh/yr (and of solar heat), and the months."""
    import pandas as pd

    table = Table(title="cadastre reweather", show_header=False)
    table.add_row("output", f"{display(output)}/")
    table.add_row("weather", f"{source.meta.get('weather')} -> {result.meta['weather']}")
    table.add_row("faces / buildings", f"{result.meta['faces']:,} / {result.meta['buildings']:,}")
    before = pd.to_numeric(source.communes_table["gwh_gross"]).sum()
    after = result.territory["gwh_gross"].iloc[0] if len(result.territory) else 0.0
    table.add_row("GWh/yr gross: before / after", f"{before:,.4f} / {after:,.4f}")
    if "thermal_gwh" in source.communes_table and "thermal_gwh" in result.territory:
        heat = pd.to_numeric(source.communes_table["thermal_gwh"], errors="coerce").sum()
        table.add_row("solar heat GWh/yr: before / after", f"{heat:,.4f} / {result.territory['thermal_gwh'].iloc[0]:,.4f}")
    months = result.monthly["territory_monthly.csv"]["gwh_gross"].to_numpy()
    table.add_row("GWh gross by month", " ".join(f"{v:.4g}" for v in months))
    table.add_row("time", f"{seconds:.1f} s")
    return table
