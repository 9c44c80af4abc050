"""``cadastre irradiance``: per-cell irradiation of a DSM GeoTIFF."""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer
from rich.table import Table

from cadastre.errors import OptionError
from cli.options import OVERWRITE, QUIET, display, handle_errors, progress_bar, stdout

TIME_LABELS = ("start", "middle", "end", "instant")
"""What the stamps of a plain weather CSV may mark (those of :mod:`cadastre.solar.weather`, kept here so that
``--help`` does not load the engine)."""


def irradiance_command(
    dsm: Path = typer.Argument(..., help="Surface model: single-band GeoTIFF, projected CRS in metres, square pixels."),
    output: Path = typer.Option(..., "--output", "-o", help="Output GeoTIFF (COG), 7 float32 bands (19 with --monthly)."),
    weather: str = typer.Option(
        None,
        "--weather",
        "-w",
        help="PVGIS TMY (CSV/JSON), EPW, plain CSV (time,ghi,dni,dhi) or 'clearsky'. "
        "Default: the Lens proxy PVGIS TMY shipped with the package.",
        show_default=False,
    ),
    directions: int = typer.Option(64, "--directions", help="Horizon directions (>= 8)."),
    max_distance: float = typer.Option(1000.0, "--max-distance", help="Reach of the horizon search \\[m]."),
    albedo: float = typer.Option(0.2, "--albedo", help="Ground reflectance, 0-1."),
    sky: str = typer.Option(
        None, "--sky", help="Diffuse sky model: perez or isotropic. Default: the 'sky' of the buildings "
        "configuration (perez), as 'cadastre run' and 'cadastre demo'.", show_default=False,
    ),
    time_label: str = typer.Option(
        None,
        "--time-label",
        help=f"What the stamps of a plain CSV mark: {'|'.join(TIME_LABELS)} (default middle). "
        "PVGIS and EPW files have their own conventions.",
        show_default=False,
    ),
    far_distance: float = typer.Option(
        0.0, "--far-distance", help="Far field: trace the horizon from --max-distance up to this distance \\[m] on the "
        "DSM max-pooled to --far-cell cells (hills, slag heaps). 0 = off.",
    ),
    far_cell: float = typer.Option(5.0, "--far-cell", help="Cell of the far field's max-pooled surface \\[m], a whole "
                                   "multiple of the DSM's."),
    horizons: bool = typer.Option(
        True, "--horizons/--no-horizons", help="Also write the horizon codes beside the output, as "
        "NAME.horizons.tif (uint8, one band per direction): 'cadastre buildings' then gives each roof face its "
        "shading profile and its production month by month.",
    ),
    monthly: bool = typer.Option(
        False, "--monthly", help="Also 12 bands global_01...global_12: the global irradiation of each month "
        "\\[kWh/m²] (months of the weather rows' UTC stamps), shaded month by month; they sum to global. "
        "The raster grows by 12 float32 bands.",
    ),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Irradiation of every cell of a DSM over a weather period.

    Writes 7 bands on the DSM's grid: global, beam, diffuse, reflected
    (kWh/m² on the tilted surface of each cell, summed over the weather rows:
    per year for a TMY), svf (sky-view factor, 0-1), slope (degrees) and
    aspect (degrees clockwise from north). Nodata where the DSM is nodata.
    With --monthly, 12 more: global_01 ... global_12, the global of each month.
    With --horizons (the default), also NAME.horizons.tif: the horizon codes
    (elevation in steps of 0.5°, 255 = none), one band per direction.

    Example:

        cadastre irradiance dsm.tif -o irradiance.tif --weather clearsky
    """
    started = time.perf_counter()
    from cadastre.solar.farfield import FarField
    from cadastre.solar.horizon_file import horizon_path, staged_horizons
    from cadastre.solar.irradiance import BANDS, MONTH_BANDS, check_options, irradiance, site_of
    from cadastre.solar.weather import load_weather
    from rasters.coarse import coarse_surface
    from rasters.io import check_output_path, read_dsm, write_bands

    with handle_errors():
        if sky is None:
            from cadastre.config import Config  # here: the configuration loads pvlib

            sky = Config().sky
        check_options(n_directions=directions, max_distance=max_distance, albedo=albedo, sky=sky,
                      far_distance=far_distance, far_cell=far_cell)
        check_output_path(output, overwrite=overwrite)
        if horizons:
            check_output_path(horizon_path(output), overwrite=overwrite)
        surface = read_dsm(dsm)
        far = None
        if far_distance:
            cell = abs(surface.rio.transform().a)
            ratio = far_cell / cell
            if ratio < 1 or abs(ratio - round(ratio)) > 1e-6:
                raise OptionError(f"--far-cell: {far_cell:g} m is not a whole multiple of the DSM's {cell:g} m cells")
            far = FarField(coarse_surface(surface, far_cell), far_distance)
        lat, lon, alt = site_of(surface)
        met = load_weather(weather, time_label=time_label, latitude=lat, longitude=lon, altitude=alt)
        with progress_bar("horizon directions", directions, quiet=quiet) as update:
            result = irradiance(
                surface,
                met,
                n_directions=directions,
                max_distance=max_distance,
                albedo=albedo,
                sky=sky,
                far_field=far,
                progress=update,
                horizons=horizons,
                months=monthly,
            )
        staged = staged_horizons(result, output) if horizons else None
        try:  # the raster and its horizon codes together, or neither
            names = BANDS + (MONTH_BANDS if monthly else ())
            write_bands([result[b] for b in names], output, overwrite=overwrite, tags=result.attrs)
            if staged is not None:
                os.replace(staged, horizon_path(output))
            else:  # an earlier raster's horizon codes are not this one's
                horizon_path(output).unlink(missing_ok=True)
        finally:
            if staged is not None:
                staged.unlink(missing_ok=True)
        elapsed = time.perf_counter() - started
        if not quiet:
            stdout.print(summary_table(result, output, elapsed))


def summary_table(result, output: Path, elapsed: float) -> Table:
    """A short table: area computed, mean/max annual global irradiation, time."""
    g = result["global"].values
    valid = g[~(g != g)]
    cell = abs(result.rio.transform().a)
    table = Table(title="cadastre irradiance", show_header=False)
    table.add_row("output", display(Path(output)))
    table.add_row("cells", f"{valid.size:,} of {g.size:,} ({valid.size * cell * cell / 1e4:,.2f} ha)")
    source = Path(str(result.attrs["weather"])).name
    table.add_row("weather", f"{source} ({result.attrs['rows']:,} rows, GHI {result.attrs['ghi_sum']:,.0f} kWh/m²)")
    table.add_row("sky / directions", f"{result.attrs['sky']} / {result.attrs['directions']}")
    if valid.size:
        table.add_row("global mean / max", f"{valid.mean():,.0f} / {valid.max():,.0f} kWh/m²")
    table.add_row("time", f"{elapsed:.1f} s")
    return table
