"""``cadastre buildings``: roof faces, buildings, communes and EPCI from an irradiance raster."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
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
    hourly: str = typer.Option(
        None, "--hourly", help="Building ids, comma-separated (e.g. 3,17): also write hourly.csv, the AC power of "
        "each of them \\[kW] at every weather row (UTC). Needs the horizon codes (see --horizons).", show_default=False,
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
        wanted = hourly_ids(hourly)
        cfg = load_config(config)
        check_output_folder(output, BUILDINGS_FILES, overwrite=overwrite)
        irr = read_bands(irradiance, required=("global", "slope", "aspect"))
        codes = horizons if horizons is not None else horizon_path(irradiance)
        if horizons is not None or codes.is_file():
            irr = attach_horizons(irr, codes)
        if wanted and "horizon" not in irr:
            raise OptionError(f"--hourly: {irradiance} has no horizon codes ({codes} is missing); give --horizons, "
                              "or compute the irradiance again with 'cadastre irradiance'")
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
        say = (lambda message: None) if quiet else (lambda message: console.print(f"[dim]{escape(message)}[/dim]"))
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
        power = building_hourly(result, wanted, met, cfg.pv) if wanted else None
        seconds = time.perf_counter() - started
        write_buildings(output, result, overwrite=overwrite, hourly=power, sources={
            "footprints": source, "irradiance": str(irradiance), "weather": str(met.source),
            "communes": str(communes or default_communes_path()), "crs": like.rio.crs.to_string(),
            "seconds": seconds})
        if not quiet:
            stdout.print(summary_table(result, output, seconds, hourly=power is not None))
            if top:
                stdout.print(top_table(result.buildings, top))


def hourly_ids(text: str | None) -> list[str]:
    """The building ids of ``--hourly`` (comma-separated), in order, without repeats; [] when not given."""
    if text is None:
        return []
    ids = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not ids:
        raise OptionError(f"--hourly {text!r}: no building id; give ids of buildings.gpkg, comma-separated (e.g. 3,17)")
    return ids


def building_hourly(result, ids: list[str], weather, pv):
    """Hourly AC power [kW] of the buildings ``ids``: per weather row, the sum over each building's faces with
    kWp of kWp x AC power per kWp (:func:`cadastre.solar.hourly.face_production`, the model of the faces'
    annual ``mwh``: a building's rows sum to its ``mwh`` x 1000 / the rows' hours).

    Returns a long table (:data:`cadastre.results.contract.HOURLY_COLUMNS`): ``time`` (the weather row's stamp,
    UTC, ISO 8601), ``building_id``, ``kw_ac``; buildings in the order of ``ids``.

    Raises
    ------
    OptionError
        An id that is not a building of the result.
    """
    import numpy as np
    import pandas as pd

    from cadastre.results.contract import HOURLY_COLUMNS
    from cadastre.solar.hourly import face_production

    known = set(result.buildings["building_id"].astype(str))
    for building in ids:
        if building not in known:
            raise OptionError(f"--hourly: no building '{building}' in the results (ids of buildings.gpkg: "
                              f"{len(known):,} buildings); nothing written")
    roofs = result.roofs[result.roofs["building_id"].astype(str).isin(ids) & (result.roofs["kwp"] > 0)]
    faces = list(roofs["face"])
    stamps = weather.data.index.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    power = np.zeros((len(ids), len(stamps)))
    if faces:
        params = result.report["parameters"]
        site = tuple(float(result.report["site"][k]) for k in ("latitude", "longitude", "altitude"))
        ac = face_production(weather, site, result.profiles.select(faces), pv=pv, sky=params["sky"],
                             albedo=float(params["albedo"]), hourly_faces=faces).hourly_ac  # W/kWp
        row = {building: i for i, building in enumerate(ids)}
        for face, building, kwp in zip(faces, roofs["building_id"].astype(str), roofs["kwp"], strict=True):
            power[row[building]] += float(kwp) * np.nan_to_num(ac[face].to_numpy()) / 1000.0
    return pd.DataFrame({HOURLY_COLUMNS[0]: np.tile(np.asarray(stamps), len(ids)),
                         HOURLY_COLUMNS[1]: np.repeat(ids, len(stamps)), HOURLY_COLUMNS[2]: power.ravel()})


def summary_table(result, output: Path, seconds: float, *, hourly: bool = False) -> Table:
    from cadastre.results.contract import BUILDINGS_FILES, HOURLY, PROFILES

    t = result.territory.iloc[0] if len(result.territory) else None
    table = Table(title="cadastre buildings", show_header=False)
    names = [*BUILDINGS_FILES, *([PROFILES] if result.profiles is not None else []), *([HOURLY] if hourly else [])]
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
