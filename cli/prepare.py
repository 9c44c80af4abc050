"""``cadastre prepare``: LiDAR tiles to DSM, DTM, nDSM and building/vegetation masks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.table import Table

from cadastre.errors import OutputFileError
from cli.options import OVERWRITE, QUIET, display, handle_errors, progress_bar, stdout
from cli.staging import staged_set

OUTPUTS = ("dsm.tif", "dtm.tif", "ndsm.tif", "buildings.tif", "vegetation.tif", "prepare.json")


def prepare_command(
    tiles: list[Path] = typer.Argument(..., help="LAS/LAZ tiles (LAS 1.2-1.4), merged onto one grid."),
    output: Path = typer.Option(..., "--output", "-o", help="Output folder (created if missing)."),
    resolution: float = typer.Option(0.5, "--resolution", "-r", help="Cell size \\[m]."),
    crs: str = typer.Option(
        None, "--crs", help="CRS of the points, overriding the headers' (needed when a header has none).",
        show_default=False,
    ),
    bounds: tuple[float, float, float, float] = typer.Option(
        None, "--bounds", help="Grid extent: xmin ymin xmax ymax \\[m]. Default: the tiles' extent.", show_default=False,
        metavar="XMIN YMIN XMAX YMAX",
    ),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Turn IGN LiDAR HD tiles into surface rasters (COG, 0.5 m by default).

    Writes into OUTPUT: dsm.tif (highest non-noise return per cell, small holes
    filled), dtm.tif (ground, interpolated under buildings and trees), ndsm.tif
    (dsm - dtm), buildings.tif and vegetation.tif (uint8 masks, 255 = nodata)
    and prepare.json (inputs with checksums, point counts per class, density,
    coverage, time). The grid is aligned to multiples of the resolution, so
    adjacent tiles mosaic without seams.

    Example:

        cadastre prepare tiles/*.laz -o prepared/ --resolution 0.5
    """
    started = time.perf_counter()
    from rasters.io import check_output_path
    from rasters.lidar import check_sources, plan_grid, prepare

    with handle_errors():
        if output.exists() and not output.is_dir():
            raise OutputFileError(f"{output}: exists and is not a folder")
        sources = check_sources(tiles, crs)
        plan_grid(sources, resolution, bounds)
        total = sum(s.points for s in sources)
        if output.is_dir():
            for name in OUTPUTS:
                check_output_path(output / name, overwrite=overwrite)
        elif not output.parent.is_dir():
            raise OutputFileError(f"{output}: parent folder {output.parent} does not exist; create it first")
        with progress_bar("points", total, quiet=quiet) as update:
            ds, report = prepare(tiles, resolution=resolution, crs=crs, bounds=bounds, progress=update)
        report["outputs"] = list(OUTPUTS)
        with staged_set(output, OUTPUTS) as staging:  # the six files appear together, or none of them
            write_prepared(ds, report, staging, started)
        if not quiet:
            stdout.print(summary_table(report, output))


def write_prepared(ds, report: dict, folder: Path, started: float) -> None:
    """Write :data:`OUTPUTS` into ``folder`` (a staging folder): five COGs, then ``prepare.json`` with the time
    taken since ``started`` (``time.perf_counter()``, s)."""
    from rasters.io import NODATA, write_bands
    from rasters.lidar import MASK_NODATA

    for name in ("dsm", "dtm", "ndsm"):
        write_bands([ds[name]], folder / f"{name}.tif", nodata=NODATA)
    for name in ("buildings", "vegetation"):
        write_bands([ds[name]], folder / f"{name}.tif", nodata=MASK_NODATA, dtype="uint8")
    report["seconds_total"] = time.perf_counter() - started
    (folder / "prepare.json").write_text(json.dumps(report, indent=2), encoding="utf-8")


def summary_table(report: dict, output: Path) -> Table:
    table = Table(title="cadastre prepare", show_header=False)
    table.add_row("output", f"{display(output)}/ ({', '.join(OUTPUTS)})")
    table.add_row("tiles", f"{len(report['inputs'])} ({report['points_total']:,} points)")
    table.add_row("grid", f"{report['width']} x {report['height']} cells of {report['resolution']} m, {report['crs']}")
    table.add_row("density / coverage", f"{report['density_points_per_m2']:.1f} pts/m² / {100 * report['coverage']:.1f} %")
    b = report["points_per_class"]
    table.add_row("ground / building / vegetation points", f"{b.get('2', 0):,} / {b.get('6', 0):,} / "
                  f"{sum(b.get(str(k), 0) for k in (3, 4, 5)):,}")
    for warning in report["warnings"]:
        table.add_row("warning", warning)
    table.add_row("time", f"{report['seconds_total']:.1f} s")
    return table
