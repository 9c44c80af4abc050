"""``cadastre demo``: the main job end to end on the sample data of the repository."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import typer

from cadastre.errors import InputFileError, OutputFileError
from cli.buildings import summary_table as buildings_table
from cli.buildings import top_table
from cli.irradiance import summary_table as irradiance_table
from cli.options import QUIET, display, handle_errors, progress_bar, stdout
from cli.prepare import summary_table as prepare_table
from cli.prepare import write_prepared
from cli.staging import missing_folders, staged_set

SAMPLE_COMMUNES = "communes-lidar-samples.geojson"

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def demo_command(
    output: Path = typer.Option(Path("demo-output"), "--output", "-o", help="Folder for the demo outputs."),
    samples: Path = typer.Option(SAMPLES, "--samples", help="Folder holding the sample data (lidar/*.laz)."),
    quiet: bool = QUIET,
) -> None:
    """Run the cadastre end to end on the sample data shipped in samples/.

    1. prepare: six IGN LiDAR HD tiles of central Montpellier (150 x 100 m) to
       DSM, DTM, nDSM and building/vegetation masks at 0.5 m;
    2. irradiance: 64 directions, Perez sky, the Lens proxy TMY;
    3. buildings: footprints from the building mask, roof faces, kWp and
       MWh/yr per face and building, totals by commune (the communes around
       the sample: it lies in Montpellier, outside the PMA);
    4. qualify: the example samples/municipal.csv (invented municipal
       buildings on the demo roofs) to demo-output/qualification/.
    Last, the commune report of the demo area: demo-output/report.html.
    Outputs go to ./demo-output/ (replaced on each run, all together at the end: a failure
    leaves the previous outputs as they were).
    """
    with handle_errors():
        tiles = sorted((samples / "lidar").glob("*.laz"))
        if not tiles:
            raise InputFileError(f"{samples / 'lidar'}: no sample LAZ tile; run from a clone of the repository")
        if output.exists() and not output.is_dir():
            raise OutputFileError(f"{output}: exists and is not a folder; give a folder for the demo outputs")
        with missing_folders(output.parent), staged_set(output) as staging:
            _demo(tiles, samples, output, staging, quiet)


def _demo(tiles: list[Path], samples: Path, output: Path, staging: Path, quiet: bool) -> None:
    """The stages of the demo, writing into ``staging``; the files record and print their final paths in
    ``output``, where the whole set is moved at the end."""
    from cadastre.areas.aggregate import default_communes_path, load_communes
    from cadastre.config import Config
    from cadastre.results.write import write_buildings
    from cadastre.roofs.buildings import compute_buildings
    from cadastre.solar.horizon_file import horizon_path, write_horizons
    from cadastre.solar.irradiance import BANDS, irradiance
    from cadastre.solar.weather import default_weather_path, load_weather
    from rasters.footprints import footprints_from_mask, write_vector
    from rasters.io import write_bands
    from rasters.lidar import prepare

    prepared = output / "prepared"
    (staging / "prepared").mkdir()

    started = time.perf_counter()
    total = sum(t.stat().st_size for t in tiles)
    with progress_bar("1/2 prepare (points)", total, quiet=quiet) as update:
        ds, report = prepare(tiles, resolution=0.5, progress=update)
    write_prepared(ds, report, staging / "prepared", started)

    started = time.perf_counter()
    weather = load_weather(default_weather_path())
    with progress_bar("2/2 irradiance (directions)", 64, quiet=quiet) as update:
        result = irradiance(ds["dsm"], weather, n_directions=64, sky=Config().sky, progress=update, horizons=True)
    write_bands([result[b] for b in BANDS], staging / "irradiance.tif", tags=result.attrs)
    write_horizons(result, horizon_path(staging / "irradiance.tif"))
    out = output / "irradiance.tif"
    elapsed = time.perf_counter() - started

    started_b = time.perf_counter()
    config = Config()
    footprints = footprints_from_mask(ds["buildings"], min_area=config.roofs.min_face_area)
    write_vector(footprints, staging / "footprints.gpkg")
    communes = load_communes(default_communes_path().with_name(SAMPLE_COMMUNES), crs=ds["dsm"].rio.crs)
    result_b = compute_buildings(
        result, footprints, weather, communes=communes, ndsm=ds["ndsm"].values,
        vegetation=ds["vegetation"].values, config=config, data=np.isfinite(ds["dsm"].values),
        given_footprints=False,
    )
    folder = output / "buildings"
    elapsed_b = time.perf_counter() - started_b
    write_buildings(staging / "buildings", result_b, sources={
        "footprints": f"derived from {prepared / 'buildings.tif'}", "irradiance": str(out),
        "weather": str(weather.source), "communes": str(default_communes_path().with_name(SAMPLE_COMMUNES)),
        "crs": ds["dsm"].rio.crs.to_string(), "seconds": elapsed_b})

    stdout.print(prepare_table(report, prepared))
    stdout.print(irradiance_table(result, out, elapsed))
    stdout.print(buildings_table(result_b, folder, elapsed_b))
    stdout.print(top_table(result_b.buildings, 5))

    stdout.print(
        f"Outputs in {display(output)}/: prepared/ (dsm, dtm, ndsm, buildings, vegetation .tif, prepare.json), "
        "irradiance.tif (band 1 'global', kWh/m²/yr), irradiance.horizons.tif (horizon codes), footprints.gpkg and "
        f"buildings/ ({', '.join(p.name for p in sorted((staging / 'buildings').iterdir()))}). Open the .tif "
        "and .gpkg in QGIS, the .csv in a spreadsheet, the .xlsx in Excel."
    )

    # ---- qualification: the example samples/municipal.csv on the demo buildings ----
    municipal = samples / "municipal.csv"
    if municipal.is_file():
        from cadastre.qualify.operation import qualify
        from cadastre.qualify.outputs import OUTPUTS, write_qualification
        from cli.qualify import print_summary

        started_q = time.perf_counter()
        qualified_dir = output / "qualification"
        with progress_bar("qualify (buildings)", 1, quiet=quiet) as update:
            result_q = qualify(staging / "buildings", municipal, progress=update)
        result_q.meta["run"] = str(folder)  # where it will be, not the staging folder
        write_qualification(result_q, staging / "qualification")
        print_summary(result_q, qualified_dir, time.perf_counter() - started_q)
        stdout.print(f"Qualification of the example municipal buildings: {display(qualified_dir)}/ "
                     f"({', '.join(name for name in OUTPUTS if (staging / 'qualification' / name).is_file())})")

    # ---- report: the commune report of the demo area; keep this block last ----
    from cadastre.report.pages import main_commune, write_report  # here: matplotlib costs 0.4 s at every start

    qualification = staging / "qualification"
    write_report(staging / "buildings", staging / "report.html", commune=main_commune(staging / "buildings"),
                 qualification=qualification if qualification.is_dir() else None)
    stdout.print(f"Commune report (open it in a browser): {display(output / 'report.html')}")
