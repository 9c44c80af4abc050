"""``cadastre buildings``: roof faces, buildings, communes and EPCI from an irradiance raster."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from cadastre.errors import InputFileError, NoOverlapError, OptionError
from cli.options import OVERWRITE, QUIET, console, display, handle_errors, stdout

if TYPE_CHECKING:
    import geopandas as gpd


def read_footprints(path: Path) -> gpd.GeoDataFrame:
    """Any vector file GDAL reads (GeoPackage, shapefile, GeoJSON...)."""
    import geopandas as gpd

    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio/GDAL errors have no common base class
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputFileError(f"{path}: cannot read footprints ({first})") from exc
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
        raise InputFileError(f"{path}: has no geometry; give building polygons (GeoPackage, shapefile, GeoJSON)")
    return frame


def _print_config(value: bool) -> None:
    if value:
        from cadastre.config import default_config_toml

        typer.echo(default_config_toml())
        raise typer.Exit()


def buildings_command(
    irradiance: Path = typer.Option(..., "--irradiance", "-i", help="Output of 'cadastre irradiance' (7-band GeoTIFF)."),
    output: Path = typer.Option(..., "--output", "-o", help="Output folder (created if missing)."),
    footprints: Path = typer.Option(
        None, "--footprints", "-f", help="Building polygons (GeoPackage, shapefile, GeoJSON). "
        "Default: derived from the building mask of --prepared.", show_default=False,
    ),
    prepared: Path = typer.Option(
        None, "--prepared", "-p", help="Folder written by 'cadastre prepare' on the same grid (ndsm, vegetation, "
        "buildings masks).", show_default=False,
    ),
    communes: Path = typer.Option(
        None, "--communes", help="Commune polygons with an INSEE code column. Default: the 150 PMA communes.",
        show_default=False,
    ),
    weather: str = typer.Option(
        None, "--weather", "-w", help="Weather for the PV production (as for 'cadastre irradiance'). "
        "Default: the Lens proxy TMY.", show_default=False,
    ),
    config: Path = typer.Option(
        None, "--config", "-c", help="TOML parameters (see 'cadastre buildings --print-config').", show_default=False
    ),
    print_config: bool = typer.Option(
        False, "--print-config", help="Print the default configuration (TOML) and exit.", is_eager=True,
        callback=lambda value: _print_config(value),
    ),
    horizons: Path = typer.Option(
        None, "--horizons", help="Horizon codes of the irradiance raster (written by 'cadastre irradiance'). "
        "Default: NAME.horizons.tif beside --irradiance NAME.tif, if there; without them the production is the "
        "annual one of the unshaded plane x shading ratio, split into months as the unshaded plane's.",
        show_default=False,
    ),
    top: int = typer.Option(10, "--top", help="How many of the best buildings the summary lists."),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """PV potential of every roof face and building, by commune, EPCI and territory.

    Writes into OUTPUT: roofs.gpkg (one polygon per roof face: tilt, azimuth,
    true and usable area, irradiation, kWp, MWh/yr, specific yield, class 1-5),
    buildings.gpkg (one row per building with its commune and EPCI; input
    attributes kept), communes.csv, epci.csv and territory.csv (gross and net
    GWh/yr and MWp) and buildings.json (counts, parameters). Exit code 2, and
    nothing written, when no roof face is found.

    Example:

        cadastre buildings -i irradiance.tif -p prepared/ -f footprints.gpkg -o buildings/
    """
    started = time.perf_counter()
    import numpy as np

    from cadastre.areas.aggregate import default_communes_path, load_communes
    from cadastre.config import load_config
    from cadastre.results.contract import BUILDINGS_FILES
    from cadastre.results.write import write_buildings
    from cadastre.roofs.buildings import compute_buildings
    from cadastre.solar.horizon_file import attach_horizons, horizon_path
    from cadastre.solar.irradiance import site_of
    from cadastre.solar.weather import load_weather
    from rasters.footprints import footprints_from_mask
    from rasters.io import check_output_folder, read_bands, read_on_grid

    with handle_errors():
        if top < 0:
            raise OptionError(f"--top: {top}; give a number >= 0")
        cfg = load_config(config)
        check_output_folder(output, BUILDINGS_FILES, overwrite=overwrite)
        irr = read_bands(irradiance, required=("global", "slope", "aspect"))
        codes = horizons if horizons is not None else horizon_path(irradiance)
        if horizons is not None or codes.is_file():
            irr = attach_horizons(irr, codes)
        like = irr["global"]
        ndsm = vegetation = mask = None
        if prepared is not None:
            if not prepared.is_dir():
                raise InputFileError(f"{prepared}: not a folder; give the output folder of 'cadastre prepare'")
            if (prepared / "ndsm.tif").is_file():
                ndsm = read_on_grid(prepared / "ndsm.tif", like)
            if (prepared / "vegetation.tif").is_file():
                vegetation = read_on_grid(prepared / "vegetation.tif", like)
            if (prepared / "buildings.tif").is_file():
                mask = read_on_grid(prepared / "buildings.tif", like)
        if footprints is not None:
            fp = read_footprints(footprints)
            source = str(footprints)
        elif mask is not None:
            fp = footprints_from_mask(
                np.nan_to_num(mask, nan=255).astype("uint8"), transform=like.rio.transform(), crs=like.rio.crs,
                min_area=cfg.roofs.min_face_area,
            )
            source = f"derived from {prepared / 'buildings.tif'}"
        else:
            raise InputFileError(
                f"{irradiance}: no footprints; pass --footprints, or --prepared with the buildings.tif of 'cadastre prepare'"
            )
        comm = load_communes(communes, crs=like.rio.crs)
        lat, lon, alt = site_of(like)
        met = load_weather(weather, latitude=lat, longitude=lon, altitude=alt)
        say = (lambda message: None) if quiet else (lambda message: console.print(f"[dim]{message}[/dim]"))
        data = None  # cells with data: the DSM's when the prepared folder has it, else the irradiance's
        if prepared is not None and (prepared / "dsm.tif").is_file():
            data = np.isfinite(read_on_grid(prepared / "dsm.tif", like))
        result = compute_buildings(irr, fp, met, communes=comm, ndsm=ndsm, vegetation=vegetation, config=cfg,
                                   progress=say, data=data, given_footprints=footprints is not None)
        if not result.report["faces"]:
            above = f" at least roofs.min_height = {cfg.roofs.min_height:g} m above the ground," if ndsm is not None else ""
            raise NoOverlapError(
                f"{irradiance}: no roof face on the {result.report['buildings']:,} buildings of the raster, nothing "
                f"written (a roof cell lies in a footprint,{above} with an irradiance value); check that the "
                "footprints match the raster's buildings")
        seconds = time.perf_counter() - started
        write_buildings(output, result, overwrite=overwrite, sources={
            "footprints": source, "irradiance": str(irradiance), "weather": str(met.source),
            "communes": str(communes or default_communes_path()), "crs": like.rio.crs.to_string(),
            "seconds": seconds})
        if not quiet:
            stdout.print(summary_table(result, output, seconds))
            if top:
                stdout.print(top_table(result.buildings, top))


def summary_table(result, output: Path, seconds: float) -> Table:
    from cadastre.results.contract import BUILDINGS_FILES, PROFILES

    t = result.territory.iloc[0] if len(result.territory) else None
    table = Table(title="cadastre buildings", show_header=False)
    names = [*BUILDINGS_FILES, *([PROFILES] if result.profiles is not None else [])]
    table.add_row("output", f"{display(output)}/ ({', '.join(names)})")
    table.add_row("buildings / faces", f"{result.report['buildings']:,} / {result.report['faces']:,} "
                  f"({result.report['suitable_faces']:,} suitable)")
    if t is not None:
        table.add_row("usable area gross / net", f"{t['usable_area_m2']:,.0f} / {t['usable_area_net_m2']:,.0f} m²")
        table.add_row("MWp gross / net", f"{t['mwp_gross']:,.3f} / {t['mwp_net']:,.3f}")
        table.add_row("GWh/yr gross / net", f"{t['gwh_gross']:,.4f} / {t['gwh_net']:,.4f}")
    monthly = getattr(result, "territory_monthly", None)
    if monthly is not None and len(monthly):
        gwh = monthly["gwh_gross"].to_numpy()
        table.add_row("GWh gross by month", " ".join(f"{v:.4g}" for v in gwh))
        table.add_row("monthly method", str(result.report.get("monthly")))
    table.add_row("communes", f"{len(result.communes):,}")
    table.add_row("time", f"{seconds:.1f} s")
    return table


def top_table(buildings, n: int) -> Table:
    import pandas as pd

    best = buildings.sort_values("mwh", ascending=False).head(n)
    table = Table(title=f"top {len(best)} buildings by production")
    for column in ("building", "commune", "usable m²", "kWp", "MWh/yr", "kWh/kWp", "class"):
        table.add_column(column, justify="right" if column != "commune" else "left")
    for _, row in best.iterrows():
        table.add_row(
            str(row["building_id"]), "" if pd.isna(row["commune"]) else str(row["commune"]),
            f"{row['usable_area_m2']:,.0f}", f"{row['kwp']:,.1f}", f"{row['mwh']:,.1f}",
            "" if row["specific_yield"] != row["specific_yield"] else f"{row['specific_yield']:,.0f}",
            str(row["class"]),
        )
    return table
