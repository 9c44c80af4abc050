"""Result folders for the report tests (``cadastre report``, ``docs/report.md``).

- :func:`make_run`: a ``cadastre buildings``-like folder written directly (no irradiance run, so
  it builds in a second): 18 buildings of known figures in two PMA communes of the CA de Lens -
  Liévin (62001 Ablain-Saint-Nazaire, 62003 Acheville), one commune listed with no building
  (62019 Aix-Noulette); communes.csv, epci.csv and territory.csv are sums of the buildings.
- :func:`engine_buildings`: a real ``cadastre buildings`` folder, computed by the engine on four
  synthetic houses near Lens (PMA commune, EPCI and population from the shipped tables).
- :func:`engine_run`: a real ``cadastre run`` RUN_DIR, ``cadastre init`` + ``cadastre run`` on the
  shipped LiDAR sample (Montpellier) with 8 horizon directions and no far field (~10 s).
- :func:`key_figures`, :func:`table_rows`, :func:`external_references`: read a report back.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from helpers import X0, Y0, cli_runner
from rasterio.transform import from_origin
from shapely.geometry import box

from cadastre.areas.aggregate import load_communes, pma_table
from cadastre.config import AggregateConfig, Config
from cadastre.roofs.buildings import parameters_record
from rasters.io import to_dataarray, write_bands

COMMUNES = {"62001": 10, "62003": 8}
EMPTY = "62019"  # Aix-Noulette: listed in communes.csv with no building
SECTIONS = ("header", "key-figures", "map", "charts", "top-roofs", "municipal", "method", "sources", "limits")
METRICS = {"roof_area_m2": ("roof_area_m2", 1), "usable_area_m2": ("usable_area_m2", 1),
           "usable_area_net_m2": ("usable_area_net_m2", 1), "mwp_gross": ("kwp", 1000), "mwp_net": ("kwp_net", 1000),
           "gwh_gross": ("mwh", 1000), "gwh_net": ("mwh_net", 1000)}


def make_run(folder: Path) -> Path:
    """Write a small ``cadastre buildings``-like folder into ``folder`` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    polygons = load_communes(None, crs="EPSG:2154").set_index("insee")
    table = pma_table()
    rows, faces = [], []
    number = 0
    for insee, count in COMMUNES.items():
        point = polygons.loc[insee, "geometry"].representative_point()
        for k in range(count):
            number += 1
            x0, y0 = point.x + (k % 5) * 30.0, point.y + (k // 5) * 30.0
            size = 12.0 + 2 * k
            geom = box(x0, y0, x0 + size, y0 + size)
            cls = 1 + (number % 5)
            south = dict(face=2 * number - 1, tilt=35.0, azimuth=180.0, flat=False, cls=cls)
            north = dict(face=2 * number, tilt=35.0, azimuth=0.0 if k % 3 else 90.0, flat=k % 4 == 0,
                         cls=max(1, cls - 2))
            bface = []
            halves = (box(x0, y0, x0 + size, y0 + size / 2), box(x0, y0 + size / 2, x0 + size, y0 + size))
            for f, half in zip((south, north), halves, strict=True):
                area = half.area / np.cos(np.radians(f["tilt"]))
                usable = 0.8 * area
                kwp = 0.2 * usable
                mwh = kwp * (0.8 + 0.1 * f["cls"]) * (1.0 + rng.random() * 0.01)
                faces.append({"face": f["face"], "building_id": number, "tilt": f["tilt"], "azimuth": f["azimuth"],
                              "flat": f["flat"], "area_m2": area, "usable_area_m2": usable,
                              "irradiation": 700 + 90 * f["cls"], "usable_irradiation": 700 + 90 * f["cls"],
                              "class": f["cls"], "suitable": True, "kwp": kwp, "specific_yield": 1000 * mwh / kwp,
                              "mwh": mwh, "geometry": half})
                bface.append((area, usable, kwp, mwh, f["cls"]))
            roof, usable, kwp, mwh = (sum(v[i] for v in bface) for i in range(4))
            rows.append({"building_id": number, "insee": insee, "commune": table.loc[insee, "commune"],
                         "epci_siren": table.loc[insee, "epci_siren"], "epci": table.loc[insee, "epci"],
                         "footprint_area_m2": geom.area, "roof_area_m2": roof, "faces": 2, "suitable_faces": 2,
                         "usable_area_m2": usable, "usable_area_net_m2": 0.7 * usable, "kwp": kwp,
                         "kwp_net": 0.7 * kwp, "mwh": mwh, "mwh_net": 0.7 * mwh, "specific_yield": 1000 * mwh / kwp,
                         "irradiation": 900.0, "best_face": 2 * number - 1, "class": max(v[4] for v in bface),
                         "geometry": geom})
    buildings = gpd.GeoDataFrame(rows, crs="EPSG:2154")
    roofs = gpd.GeoDataFrame(faces, crs="EPSG:2154")
    buildings.to_file(folder / "buildings.gpkg", layer="buildings", driver="GPKG")
    roofs.to_file(folder / "roofs.gpkg", layer="roofs", driver="GPKG")

    def sums(frame):
        out = {"buildings": len(frame), "suitable_buildings": int((frame["suitable_faces"] > 0).sum())}
        out.update({col: frame[src].sum() / div for col, (src, div) in METRICS.items()})
        return pd.Series(out)

    communes = buildings.groupby("insee").apply(sums, include_groups=False).reset_index()
    communes = pd.concat([communes, pd.DataFrame([{"insee": EMPTY, "buildings": 0, "suitable_buildings": 0,
                                                    **{c: 0.0 for c in METRICS}}])], ignore_index=True)
    communes.insert(1, "commune", communes["insee"].map(table["commune"]))
    communes.insert(2, "epci_siren", communes["insee"].map(table["epci_siren"]))
    communes.insert(3, "epci", communes["insee"].map(table["epci"]))
    communes.insert(4, "population", communes["insee"].map(table["population"]))
    communes.to_csv(folder / "communes.csv", index=False)
    epci = buildings.groupby(["epci_siren", "epci"]).apply(sums, include_groups=False).reset_index()
    epci.insert(2, "communes", 3)
    epci.to_csv(folder / "epci.csv", index=False)
    sums(buildings).to_frame().T.to_csv(folder / "territory.csv", index=False)
    config = Config(aggregate=AggregateConfig(net_reduction=0.3))
    parameters = parameters_record(config, resolution=0.5, directions=None, max_distance=None, far_distance=None,
                                   far_cell=None, sky="perez", albedo=0.2, weather="pvgis.csv")
    (folder / "buildings.json").write_text(json.dumps({"weather": "pvgis.csv", "communes": None, "crs": "EPSG:2154",
                                                       "sky": "perez", "net_reduction": 0.3,
                                                       "parameters": parameters}))
    return folder


def _invoke(*args) -> None:
    from cli.main import app

    result = cli_runner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, (args[0], result.stderr, result.exception)


def engine_buildings(folder: Path, cell: float = 0.5, config: str | None = None) -> Path:
    """A ``cadastre buildings`` folder computed by the engine: four houses near Lens, default weather.

    Houses (ground 30 m, ``cell`` [m] cells, 0.5 m by default): a 35° gable facing south/north, a 35°
    gable facing east/west, a flat roof and a 20° single-pitch roof facing south-west. ``config``:
    the text of a ``--config`` TOML file for ``cadastre buildings`` (default: none).
    """
    folder.mkdir(parents=True, exist_ok=True)
    shape, ground = (round(50 / cell), round(60 / cell)), 30.0
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    east, south = (cols + 0.5) * cell, (rows + 0.5) * cell
    z = np.full(shape, ground)
    houses = {"gable_ns": (4, 4, 24, 18), "gable_ew": (32, 4, 46, 24), "flat": (6, 28, 24, 44),
              "shed": (32, 30, 54, 46)}
    for name, (e0, s0, e1, s1) in houses.items():
        inside = (east > e0) & (east < e1) & (south > s0) & (south < s1)
        e, s = east[inside], south[inside]
        if name == "gable_ns":
            roof = 6 + math.tan(math.radians(35)) * ((s1 - s0) / 2 - np.abs(s - (s0 + s1) / 2))
        elif name == "gable_ew":
            roof = 6 + math.tan(math.radians(35)) * ((e1 - e0) / 2 - np.abs(e - (e0 + e1) / 2))
        elif name == "flat":
            roof = np.full(e.shape, 8.0)
        else:  # a plane rising towards the north-east: it faces south-west
            a = math.radians(225.0)
            along = e * math.sin(a) - s * math.cos(a)
            roof = 5 + math.tan(math.radians(20)) * (along.max() - along)
        z[inside] = ground + roof
    transform = from_origin(X0, Y0, cell, cell)
    (folder / "prepared").mkdir(exist_ok=True)
    write_bands([to_dataarray(z, "EPSG:2154", transform, name="dsm", units="m")], folder / "dsm.tif")
    write_bands([to_dataarray(z - ground, "EPSG:2154", transform, name="ndsm", units="m")],
                folder / "prepared" / "ndsm.tif")
    gpd.GeoDataFrame({"name": list(houses)}, crs="EPSG:2154",
                     geometry=[box(X0 + e0, Y0 - s1, X0 + e1, Y0 - s0) for e0, s0, e1, s1 in houses.values()]
                     ).to_file(folder / "footprints.gpkg")
    _invoke("irradiance", folder / "dsm.tif", "-o", folder / "irradiance.tif", "--directions", "8", "-q")
    out = folder / "buildings"
    options = []
    if config is not None:
        (folder / "config.toml").write_text(config, encoding="utf-8")
        options = ["--config", folder / "config.toml"]
    _invoke("buildings", "-i", folder / "irradiance.tif", "-p", folder / "prepared", "-f", folder / "footprints.gpkg",
            "-o", out, "-q", *options)
    return out


def engine_run(folder: Path) -> Path:
    """A ``cadastre run`` RUN_DIR on the shipped sample: 6 tiles of 50 m with 20 m halos, 8 directions, no far
    field (the configuration of ``test_territory``'s LiDAR runs, which share it: ``shared_engine_run``)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "run.toml"
    _invoke("init", "-o", config)
    text = config.read_text()
    text, n_dir = re.subn(r"(?m)^directions = \d+", "directions = 8", text)
    text, n_far = re.subn(r"(?m)^far_distance = [\d.]+", "far_distance = 0", text)
    text, n_halo = re.subn(r"(?m)^halo = [\d.]+", "halo = 20", text)
    assert n_dir == n_far == n_halo == 1, "cadastre init no longer writes 'directions' / 'far_distance' / 'halo'"
    config.write_text(text)
    _invoke("run", config, "-o", folder / "run", "--scheduler", "synchronous", "-q")
    return folder / "run"


def shared_engine_run(tmp_path_factory) -> Path:
    """``engine_run`` built once per session, whatever the xdist workers: only read it (copy it to change it)."""
    from helpers import shared_build

    root, run_dir = shared_build(tmp_path_factory, "engine-run", lambda root: engine_run(root / "sample"))
    return run_dir


def key_figures(text: str) -> dict[str, tuple[str, str]]:
    """``data-key`` -> (``data-value``, text shown) of a report's key figures."""
    return {k: (v, shown) for k, v, shown in
            re.findall(r'data-key="([\w-]+)" data-value="([^"]*)">([^<]*)<', text)}


def shown_number(shown: str, lang: str) -> float:
    """A number as displayed: French 1\u202f234,5 or English 1,234.5."""
    if lang == "fr":
        return float(shown.replace("\u202f", "").replace(",", "."))
    return float(shown.replace(",", ""))


def table_rows(text: str, key: str) -> list[list[str]]:
    """The body cells of ``<table data-key=key>`` (HTML entities left as written)."""
    body = re.search(rf'<table data-key="{key}">.*?<tbody>(.*?)</tbody>', text, re.S).group(1)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]


def external_references(text: str) -> list[str]:
    """Every URL or file reference in the page other than inline ``data:`` URIs and ``#`` anchors."""
    found = re.findall(r"(?:https?|file|ftp)://[^\s\"'<>)]*", text, re.I)
    found += re.findall(r"""(?<![\w-])//[\w.-]+\.[a-z]{2,}""", text)
    found += [v for v in re.findall(r"""(?:src|href|srcset|poster|data|action)\s*=\s*["']?([^"'\s>]*)""", text, re.I)
              if not v.startswith(("data:", "#"))]
    found += [v for v in re.findall(r"url\(\s*['\"]?([^)'\"]*)", text) if not v.startswith("data:")]
    found += re.findall(r"@import[^;]*", text)
    found += re.findall(r"<(?:link|script|iframe|object|embed)\b[^>]*>", text, re.I)
    return found


def shared_demo(tmp_path_factory) -> tuple[Path, str]:
    """``cadastre demo -q`` (the shipped samples, default options) run once per session, whatever the xdist
    workers: (its output folder, what it printed). Only read the folder."""
    from helpers import shared_build

    from cli.main import app

    def build(root: Path) -> tuple[Path, str]:
        result = cli_runner().invoke(app, ["demo", "-o", str(root / "demo"), "-q"])
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return root / "demo", result.stdout

    return shared_build(tmp_path_factory, "demo", build)[1]
