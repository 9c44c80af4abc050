"""``cadastre footprints``: building polygons from a building mask raster."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer
from rich.table import Table

from cli.options import OVERWRITE, QUIET, display, handle_errors, stdout


def footprints_command(
    mask: Path = typer.Argument(
        ..., help="Building mask: single-band integer GeoTIFF, 1 = building, 0 = not, 255 = nodata."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Output GeoPackage (.gpkg), layer 'footprints'."),
    min_area: float = typer.Option(10.0, "--min-area", help="Drop buildings smaller than this, in m²."),
    simplify: float = typer.Option(
        None,
        "--simplify",
        help="Simplification tolerance in metres, topology-preserving; 0 keeps the cell outlines. "
        "Default: half a cell.",
        show_default=False,
    ),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Building polygons from a building mask, for places without a footprint layer.

    A building is a 4-connected region of cells at 1 (cells sharing a side;
    buildings touching only at a corner stay apart); holes such as courtyards
    are kept. Writes a GeoPackage, layer 'footprints', in the mask's CRS, with
    building_id (1 = largest), area_m2 (after simplification) and cells (mask
    cells of the building).

    Example:

        cadastre footprints buildings.tif -o footprints.gpkg --min-area 20
    """
    started = time.perf_counter()
    from rasters.footprints import check_options, check_vector_output, footprints_from_mask, read_mask, write_vector

    with handle_errors():
        check_options(min_area=min_area, simplify=simplify)
        check_vector_output(output, overwrite=overwrite)
        buildings = read_mask(mask)
        gdf = footprints_from_mask(buildings, min_area=min_area, simplify=simplify)
        write_vector(gdf, output, overwrite=overwrite)
        if gdf.empty:
            print(
                f"warning: {mask}: no building of at least {min_area:g} m2; {output} holds an empty layer",
                file=sys.stderr,
            )
        if not quiet:
            stdout.print(summary_table(gdf, output, time.perf_counter() - started))


def summary_table(gdf, output: Path, elapsed: float) -> Table:
    """A short table: number of buildings, total and largest area, output, time."""
    table = Table(title="cadastre footprints", show_header=False)
    table.add_row("output", f"{display(Path(output))} (layer footprints)")
    table.add_row("buildings", f"{len(gdf):,}")
    total = float(gdf["area_m2"].sum()) if len(gdf) else 0.0
    table.add_row("total area", f"{total:,.0f} m² ({total / 1e4:,.2f} ha)")
    if len(gdf):
        table.add_row("largest / median", f"{gdf['area_m2'].max():,.0f} / {gdf['area_m2'].median():,.0f} m²")
    table.add_row("time", f"{elapsed:.1f} s")
    return table
