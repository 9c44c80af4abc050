"""``cadastre demo``: the main job end to end on the sample data of the repository."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from cadastre.errors import InputFileError
from cadastre.irradiance import BANDS, irradiance
from cadastre.weather import default_weather_path, load_weather
from cli.irradiance import summary_table
from cli.options import QUIET, display, handle_errors, progress_bar, stdout
from rasters.io import read_dsm, write_bands

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SAMPLE_DSM = "montpellier_dsm_0.5m.tif"


def demo_command(
    output: Path = typer.Option(Path("demo-output"), "--output", "-o", help="Folder for the demo outputs."),
    samples: Path = typer.Option(SAMPLES, "--samples", help="Folder holding the sample data."),
    quiet: bool = QUIET,
) -> None:
    """Run the cadastre end to end on the sample data shipped in samples/.

    Irradiance of a real 0.5 m LiDAR DSM (IGN LiDAR HD, Montpellier) with the
    Lens proxy TMY; outputs go to ./demo-output/ (replaced on each run).
    """
    with handle_errors():
        started = time.perf_counter()
        dsm_path = samples / SAMPLE_DSM
        if not dsm_path.is_file():
            raise InputFileError(f"{dsm_path}: sample DSM not found; run from a clone of the repository or pass --samples")
        output.mkdir(parents=True, exist_ok=True)
        surface = read_dsm(dsm_path)
        weather = load_weather(default_weather_path())
        with progress_bar("irradiance (64 directions)", 64, quiet=quiet) as update:
            result = irradiance(surface, weather, n_directions=64, sky="perez", progress=update)
        out = write_bands([result[b] for b in BANDS], output / "irradiance.tif", overwrite=True, tags=result.attrs)
        elapsed = time.perf_counter() - started
        stdout.print(summary_table(result, out, elapsed))
        stdout.print(f"Outputs in {display(output)}/ — open irradiance.tif in QGIS (band 1 'global', kWh/m²/yr).")
