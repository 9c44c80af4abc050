"""``cadastre demo``: the main job end to end on the sample data of the repository."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from cadastre.errors import InputFileError
from cadastre.irradiance import BANDS, irradiance
from cadastre.weather import default_weather_path, load_weather
from cli.irradiance import summary_table as irradiance_table
from cli.options import QUIET, display, handle_errors, progress_bar, stdout
from cli.prepare import summary_table as prepare_table
from rasters.io import NODATA, atomic_path, write_bands
from rasters.lidar import MASK_NODATA, prepare

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def demo_command(
    output: Path = typer.Option(Path("demo-output"), "--output", "-o", help="Folder for the demo outputs."),
    samples: Path = typer.Option(SAMPLES, "--samples", help="Folder holding the sample data (lidar/*.laz)."),
    quiet: bool = QUIET,
) -> None:
    """Run the cadastre end to end on the sample data shipped in samples/.

    1. prepare: six IGN LiDAR HD tiles of central Montpellier (150 x 100 m) to
       DSM, DTM, nDSM and building/vegetation masks at 0.5 m;
    2. irradiance: 64 directions, Perez sky, the Lens proxy TMY.
    Outputs go to ./demo-output/ (replaced on each run).
    """
    with handle_errors():
        tiles = sorted((samples / "lidar").glob("*.laz"))
        if not tiles:
            raise InputFileError(f"{samples / 'lidar'}: no sample LAZ tile; run from a clone of the repository")
        prepared = output / "prepared"
        prepared.mkdir(parents=True, exist_ok=True)

        started = time.perf_counter()
        total = sum(t.stat().st_size for t in tiles)
        with progress_bar("1/2 prepare (points)", total, quiet=quiet) as update:
            ds, report = prepare(tiles, resolution=0.5, progress=update)
        for name in ("dsm", "dtm", "ndsm"):
            write_bands([ds[name]], prepared / f"{name}.tif", overwrite=True, nodata=NODATA)
        for name in ("buildings", "vegetation"):
            write_bands([ds[name]], prepared / f"{name}.tif", overwrite=True, nodata=MASK_NODATA, dtype="uint8")
        report["seconds_total"] = time.perf_counter() - started
        with atomic_path(prepared / "prepare.json") as tmp:
            tmp.write_text(json.dumps(report, indent=2))

        started = time.perf_counter()
        weather = load_weather(default_weather_path())
        with progress_bar("2/2 irradiance (directions)", 64, quiet=quiet) as update:
            result = irradiance(ds["dsm"], weather, n_directions=64, sky="perez", progress=update)
        out = write_bands([result[b] for b in BANDS], output / "irradiance.tif", overwrite=True, tags=result.attrs)
        elapsed = time.perf_counter() - started

        stdout.print(prepare_table(report, prepared))
        stdout.print(irradiance_table(result, out, elapsed))
        stdout.print(
            f"Outputs in {display(output)}/: prepared/ (dsm, dtm, ndsm, buildings, vegetation .tif, prepare.json) "
            "and irradiance.tif (band 1 'global', kWh/m²/yr). Open them in QGIS."
        )
