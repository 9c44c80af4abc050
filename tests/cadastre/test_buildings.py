"""Roofs, buildings and communes: cadastre.roofs.buildings against analytic and independent references.

- A synthetic town of known roofs (tests/cadastre/scenes.py: flat, gable 35° S/N, hip 30°) run
  through :func:`compute_buildings`: face count, tilt and azimuth (1°), true area (2 %); kWp is
  exactly usable area x module density on suitable faces and 0 elsewhere; the north face of the
  gable fails the north rule; building rows are sums of their faces.
- An isolated, unshaded 35° south plane over a full TMY: the face's MWh equals kWp x the annual
  AC yield of pvlib PVWatts written out here, within 0.5 %.
- A scene of eleven buildings on a commune (and EPCI) border near Lens, cut into four tiles with
  a halo: every building is counted once, with the figures of the full-raster run; commune and
  EPCI totals are the sums of their buildings.
- :func:`face_energy`, :func:`classify` and :func:`owned_by_raster` on hand-made inputs.

Irradiance of the synthetic scenes uses one clear-sky day (fast); only the PVWatts comparison
uses the whole TMY.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pvlib
import pytest
from helpers import X0, Y0, dsm_array, plane
from rasterio.transform import from_origin
from scenes import CELL, GROUND, town
from shapely.geometry import Polygon, box

from cadastre import irradiance
from cadastre.areas.aggregate import BUILDING_COLUMNS, aggregate, load_communes
from cadastre.roofs.buildings import (
    RESULT_COLUMNS, building_class, classify, compute_buildings, face_energy, owned_by_raster,
)
from cadastre.config import Config, PVConfig, RoofConfig
from cadastre.solar.energy import YieldTable
from cadastre.errors import CRSError, NoOverlapError
from cadastre.solar.weather import Weather, clearsky_weather, load_weather
from rasters.io import to_dataarray

ROOF_COLUMNS = ("face", "building_id", "tilt", "azimuth", "area_m2", "irradiation", "usable_area_m2", "kwp", "mwh",
                "specific_yield", "class", "suitable")


def one_day(latitude: float, longitude: float, altitude: float, day: str = "2023-06-21") -> Weather:
    """One clear-sky day (24 hourly rows) at the site."""
    w = clearsky_weather(latitude, longitude, altitude)
    start = pd.Timestamp(day, tz="UTC")
    keep = (w.data.index >= start) & (w.data.index < start + pd.Timedelta(days=1))
    return Weather(data=w.data[keep], sun_times=w.sun_times[keep], interval_hours=1.0, source="clearsky-day",
                   kind="clearsky", time_label=w.time_label, metadata={})


def _angle_diff(a, b):
    return abs((a - b + 180.0) % 360.0 - 180.0)


# ---------------------------------------------------------------------------
# 1. the town of known roofs
# ---------------------------------------------------------------------------

DENSITY = 0.18  # not the default: proves kWp follows the configuration


@pytest.fixture(scope="module")
def town_run():
    z, footprints, expected = town()
    footprints = footprints.assign(height=[10.0, 6.0, 5.0])  # an input attribute to keep
    dsm = dsm_array(z, CELL)
    w = one_day(50.43, 2.83, 54.0)
    irr = irradiance(dsm, w, n_directions=16, sky="perez")
    config = Config(pv=PVConfig(module_density=DENSITY))
    result = compute_buildings(irr, footprints, w, ndsm=z - GROUND, config=config)
    return SimpleNamespace(z=z, footprints=footprints, expected=expected, weather=w, irr=irr, result=result)


def _faces_of(result, footprints, name):
    number = int(np.flatnonzero(footprints["name"] == name)[0]) + 1
    return result.roofs[result.roofs["building_id"] == number]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["flat", "gable", "hip"])
def test_known_roofs_through_compute_buildings(town_run, name):
    """Face count; tilt and azimuth within 1°; true area within 2 % (after the whole pipeline)."""
    footprints, expected, r = town_run.footprints, town_run.expected, town_run.result
    faces = _faces_of(r, footprints, name)
    want = expected[name]
    assert len(faces) == len(want), faces.drop(columns="geometry")
    for tilt, azimuth, area in want:
        if azimuth is None:  # the flat roof: one flat face
            row = faces.iloc[0]
            assert bool(row["flat"])
        else:
            row = faces.iloc[int(np.argmin([_angle_diff(a, azimuth) for a in faces["azimuth"]]))]
            assert _angle_diff(row["azimuth"], azimuth) <= 1.0, row
            assert not bool(row["flat"])
        assert abs(row["tilt"] - tilt) <= 1.0, row
        assert row["area_m2"] == pytest.approx(area, rel=0.02), row


@pytest.mark.slow
def test_kwp_is_usable_area_times_density(town_run):
    r = town_run.result
    roofs = r.roofs
    ok = roofs["suitable"].to_numpy(bool)
    assert ok.any() and (~ok).any()
    # exactly the product, not approximately
    assert (roofs.loc[ok, "kwp"].to_numpy() == roofs.loc[ok, "usable_area_m2"].to_numpy() * DENSITY).all()
    assert (roofs.loc[ok, "usable_area_m2"] >= 10.0).all()
    assert (roofs.loc[~ok, "kwp"] == 0).all() and (roofs.loc[~ok, "mwh"] == 0).all()
    np.testing.assert_allclose(roofs["mwh"], roofs["kwp"] * roofs["specific_yield"] / 1000.0, rtol=1e-12)
    b = r.buildings
    np.testing.assert_allclose(b["kwp"], b["usable_area_m2"] * DENSITY, rtol=1e-12, atol=0)


def test_suitability_of_known_faces(town_run):
    """The gable's north face is unsuitable by the north rule alone; south faces and the flat roof are suitable."""
    footprints, r = town_run.footprints, town_run.result
    config = RoofConfig()
    flat = _faces_of(r, footprints, "flat")
    assert len(flat) == 1 and bool(flat["suitable"].iloc[0]) and flat["tilt"].iloc[0] < config.flat_slope
    gable = _faces_of(r, footprints, "gable").set_index(
        _faces_of(r, footprints, "gable")["azimuth"].map(lambda a: "S" if _angle_diff(a, 180) < 45 else "N")
    )
    assert sorted(gable.index) == ["N", "S"]
    assert bool(gable.loc["S", "suitable"]) and gable.loc["S", "kwp"] > 0
    north = gable.loc["N"]
    assert not bool(north["suitable"]) and north["kwp"] == 0 and north["mwh"] == 0
    # everything but the orientation would pass: the north rule is what excludes it
    assert north["tilt"] <= config.max_slope and north["usable_area_m2"] >= config.min_face_area
    assert north["fraction_of_optimum"] >= config.min_irradiation_fraction  # a June day lights north roofs well
    hip = _faces_of(r, footprints, "hip")
    for _, face in hip.iterrows():
        if _angle_diff(face["azimuth"], 0) < 45:
            assert not bool(face["suitable"])
        if _angle_diff(face["azimuth"], 180) < 45:
            assert bool(face["suitable"])
    table = pd.DataFrame(r.roofs.drop(columns="geometry"))
    assert (table["class"] == classify(table["fraction_of_optimum"].to_numpy(), config.class_thresholds)).all()


def test_building_rows_are_sums_of_their_faces(town_run):
    footprints, r = town_run.footprints, town_run.result
    roofs, b = r.roofs, r.buildings
    assert list(b.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    assert list(b["building_id"]) == [1, 2, 3]
    assert list(b["name"]) == list(footprints["name"]) and list(b["height"]) == [10.0, 6.0, 5.0]
    np.testing.assert_allclose(b["footprint_area_m2"], footprints.geometry.area, rtol=1e-12)
    g = roofs.groupby("building_id")
    for column in ("area_m2", "kwp", "mwh"):
        target = "roof_area_m2" if column == "area_m2" else column
        np.testing.assert_allclose(b.set_index("building_id")[target], g[column].sum(), rtol=1e-12)
    usable = roofs["usable_area_m2"].where(roofs["suitable"], 0.0).groupby(roofs["building_id"]).sum()
    np.testing.assert_allclose(b.set_index("building_id")["usable_area_m2"], usable, rtol=1e-12)
    assert (b.set_index("building_id")["faces"] == g.size()).all()
    assert (b.set_index("building_id")["suitable_faces"] == g["suitable"].sum()).all()
    # area-weighted irradiation, specific yield from the sums
    weighted = (roofs["irradiation"] * roofs["area_m2"]).groupby(roofs["building_id"]).sum() / g["area_m2"].sum()
    np.testing.assert_allclose(b.set_index("building_id")["irradiation"], weighted, rtol=1e-12)
    np.testing.assert_allclose(b["specific_yield"], 1000.0 * b["mwh"] / b["kwp"], rtol=1e-12)
    # net = gross x (1 - 0.35)
    for gross, net in (("usable_area_m2", "usable_area_net_m2"), ("kwp", "kwp_net"), ("mwh", "mwh_net")):
        np.testing.assert_allclose(b[net], b[gross] * 0.65, rtol=1e-12)
    # best face: the suitable face of highest specific yield; the building takes its class
    for _, row in b.iterrows():
        faces = roofs[roofs["building_id"] == row["building_id"]]
        good = faces[faces["suitable"]]
        best = good.loc[good["specific_yield"].idxmax()]
        assert row["best_face"] == best["face"]
        assert row["class"] == best["class"] == good["class"].max()
    # faces lie on their own building, and polygons cover their cells
    for _, face in roofs.iterrows():
        fp = footprints.geometry.iloc[int(face["building_id"]) - 1]
        assert face.geometry.buffer(-1e-6).within(fp)
        assert face.geometry.area == pytest.approx(face["cells"] * CELL * CELL)
    assert set(ROOF_COLUMNS) <= set(roofs.columns) and roofs["face"].is_unique
    report = r.report
    assert report["buildings"] == 3 and report["faces"] == len(roofs) == 7
    assert report["suitable_faces"] == int(roofs["suitable"].sum())
    assert report["footprints_repaired"] == 0 and report["buildings_outside_raster"] == 0
    assert report["sky"] == "perez"


# ---------------------------------------------------------------------------
# 2. face_energy, classify, owned_by_raster on hand-made inputs
# ---------------------------------------------------------------------------


def _flat_table(poa: float = 1000.0, spec: float = 900.0, best=(35.0, 180.0, 1000.0)) -> YieldTable:
    """A yield table that returns ``poa`` and ``spec`` for every orientation."""
    tilts = np.linspace(0, 90, 37)
    azimuths = np.arange(72) * 5.0
    return YieldTable(tilts=tilts, azimuths=azimuths, poa=np.full((37, 72), poa), yield_=np.full((37, 72), spec),
                      best=best)


def test_face_energy_rules():
    faces = pd.DataFrame(
        {
            "face": np.arange(1, 11),
            "tilt": [30.0, 30.0, 30.0, 5.0, 61.0, 30.0, 30.0, 30.0, 30.0, 30.0],
            "azimuth": [180.0, 44.9, 315.1, 0.0, 180.0, 180.0, 180.0, 45.0, 180.0, 180.0],
            "flat": [False, False, False, True, False, False, False, False, False, False],
            "usable_area_m2": [50.0, 50.0, 50.0, 50.0, 50.0, 9.99, 50.0, 50.0, 50.0, 0.0],
            "usable_irradiation": [1100.0, 900.0, 900.0, 900.0, 900.0, 900.0, 690.0, 900.0, 850.0, np.nan],
        }
    )
    config = Config()
    out = face_energy(faces, _flat_table(), config)
    expected_suitable = [
        True,   # south, brighter than the unshaded plane (ratio capped at 1)
        False,  # pitched, 44.9° from north
        False,  # pitched, 44.9° from north on the west side
        True,   # flat faces have no orientation: the north rule does not apply
        False,  # steeper than max_slope
        False,  # usable area below 10 m2
        False,  # below 70 % of the optimum
        True,   # exactly 45° from north is allowed
        True,
        False,  # no usable cell
    ]
    assert out["suitable"].tolist() == expected_suitable
    np.testing.assert_allclose(out["shading_ratio"], [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.69, 0.9, 0.85, 0.0])
    np.testing.assert_allclose(out["specific_yield"], 900.0 * out["shading_ratio"])
    np.testing.assert_allclose(out["fraction_of_optimum"][:9], faces["usable_irradiation"][:9] / 1000.0)
    assert out["class"].tolist() == [5, 4, 4, 4, 4, 4, 1, 4, 3, 1]
    assert (out["kwp"] == np.where(out["suitable"], faces["usable_area_m2"] * 0.2, 0.0)).all()
    np.testing.assert_allclose(out["mwh"], out["kwp"] * out["specific_yield"] / 1000.0)
    assert out.loc[0, "mwh"] == pytest.approx(50 * 0.2 * 900 / 1000)
    # north_limit is a parameter
    wider = face_energy(faces, _flat_table(), Config(roofs=RoofConfig(north_limit=0.0)))
    assert bool(wider.loc[1, "suitable"]) and bool(wider.loc[2, "suitable"])


def test_building_class_ignores_unsuitable_faces():
    """A building's class is the highest class of its suitable faces, 0 when none is suitable.

    Building 1: a bright but tiny face (class 5, 4 m2) and a suitable class-3 face -> 3 (the highest class of
    any face would say 5). Building 2: a bright north face and a steep one, both unusable -> 0 (not 5).
    Building 3: two suitable faces, classes 2 and 4 -> 4.
    """
    faces = pd.DataFrame(
        {
            "face": np.arange(1, 7),
            "building": [1, 1, 2, 2, 3, 3],
            "tilt": [30.0, 30.0, 30.0, 70.0, 30.0, 30.0],
            "azimuth": [180.0, 180.0, 0.0, 180.0, 180.0, 200.0],
            "flat": [False] * 6,
            "usable_area_m2": [4.0, 40.0, 40.0, 40.0, 40.0, 40.0],
            "usable_irradiation": [990.0, 850.0, 990.0, 990.0, 750.0, 920.0],
        }
    )
    out = face_energy(faces, _flat_table(), Config())
    assert out["class"].tolist() == [5, 3, 5, 5, 2, 4]  # per face, whatever its suitability
    assert out["suitable"].tolist() == [False, True, False, False, True, True]
    got = building_class(out).reindex([1, 2, 3]).fillna(0).astype(int)
    assert got.tolist() == [3, 0, 4]


def test_classify_thresholds():
    got = classify(np.array([0.0, 0.6999, 0.7, 0.7999, 0.8, 0.9, 0.9499, 0.95, 1.2, np.nan]), (0.7, 0.8, 0.9, 0.95))
    assert got.tolist() == [1, 1, 2, 2, 3, 4, 4, 5, 5, 1]


def test_owned_by_raster_half_open_bounds():
    """[xmin, xmax) x (ymin, ymax]: a point on a shared tile edge belongs to exactly one tile."""
    squares = gpd.GeoSeries([box(x - 1, y - 1, x + 1, y + 1) for x, y in [(0, 5), (10, 5), (5, 0), (5, 10), (5, 5)]])
    fp = gpd.GeoDataFrame(geometry=squares, crs="EPSG:2154")
    assert owned_by_raster(fp, (0, 0, 10, 10)).tolist() == [True, False, False, True, True]
    left, right = owned_by_raster(fp, (-10, 0, 5, 10)), owned_by_raster(fp, (5, 0, 15, 10))
    assert not (left & right).any()


# ---------------------------------------------------------------------------
# 3. an unshaded plane against pvlib PVWatts run directly
# ---------------------------------------------------------------------------


def _pvwatts_direct(weather: Weather, lat: float, lon: float, alt: float, tilt: float, azimuth: float) -> float:
    """Annual AC energy per kWp [kWh kWp-1] from pvlib's functions, written out independently of cadastre.solar.energy."""
    d = weather.data
    pos = pvlib.solarposition.get_solarposition(weather.sun_times, lat, lon, altitude=alt,
                                                temperature=d["temp_air"].to_numpy())
    zenith = pos["apparent_zenith"].to_numpy()
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, zenith, pos["azimuth"].to_numpy(), d["dni"].to_numpy(), d["ghi"].to_numpy(),
        d["dhi"].to_numpy(), dni_extra=pvlib.irradiance.get_extra_radiation(weather.sun_times).to_numpy(),
        airmass=pvlib.atmosphere.get_relative_airmass(zenith), albedo=0.2, model="perez",
    )
    up = pos["apparent_elevation"].to_numpy() > 0  # beam only while the sun is up
    g = np.where(up, np.nan_to_num(np.asarray(poa["poa_direct"])), 0.0) + np.nan_to_num(np.asarray(poa["poa_diffuse"]))
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["close_mount_glass_glass"]
    cell = pvlib.temperature.sapm_cell(g, d["temp_air"].to_numpy(), d["wind_speed"].to_numpy(), **params)
    dc = pvlib.pvsystem.pvwatts_dc(g, cell, 1000.0, -0.0037) * (1 - 0.14)
    pac0 = 1000.0 / 1.1
    ac = pvlib.inverter.pvwatts(dc, pac0 / 0.96, eta_inv_nom=0.96)
    return float(np.clip(np.nan_to_num(np.asarray(ac)), 0.0, pac0).sum() * weather.interval_hours / 1000.0)


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_unshaded_plane_production_equals_pvlib_pvwatts():
    """The whole raster is one 35° south plane (no edge, no shade); its footprint lies 5 m inside."""
    tmy = load_weather(None)
    shape = (60, 60)
    dsm = dsm_array(plane(shape, CELL, 35.0, 180.0), CELL)
    irr = irradiance(dsm, tmy, n_directions=16, sky="perez")
    fp = gpd.GeoDataFrame({"name": ["plane"]}, geometry=[box(X0 + 5, Y0 - 25, X0 + 25, Y0 - 5)], crs="EPSG:2154")
    r = compute_buildings(irr, fp, tmy)
    assert len(r.roofs) == 1
    face = r.roofs.iloc[0]
    assert bool(face["suitable"]) and abs(face["tilt"] - 35) < 0.1 and _angle_diff(face["azimuth"], 180) < 0.1
    assert face["area_m2"] == pytest.approx(400 / math.cos(math.radians(35)), rel=1e-6)
    assert face["kwp"] == face["usable_area_m2"] * 0.2
    lat, lon, alt = (irr.attrs[k] for k in ("latitude", "longitude", "altitude"))
    direct = _pvwatts_direct(tmy, lat, lon, alt, 35.0, 180.0)
    assert 950 < direct < 1150  # kWh/kWp near Lens, south 35°: a lost cosine or a W/kW slip breaks this
    assert face["mwh"] == pytest.approx(face["kwp"] * direct / 1000.0, rel=0.005)
    assert r.buildings["mwh"].iloc[0] == pytest.approx(face["kwp"] * direct / 1000.0, rel=0.005)
    # the raster's irradiation of the plane is the unshaded POA (the shading ratio is ~1, not capped from above)
    assert face["usable_irradiation"] == pytest.approx(face["poa_unshaded"], rel=0.005)
    assert 1150 < face["usable_irradiation"] < 1450


# ---------------------------------------------------------------------------
# 4. tiles with a halo, communes and EPCIs
# ---------------------------------------------------------------------------

# Lambert-93 origin on the border of Fouquières-lès-Lens (CA de Lens - Liévin) and
# Montigny-en-Gohelle (CA d'Hénin-Carvin): the border crosses the scene from (19.8 m, 100 m south)
# to (83 m, 0 m south) of the origin.
TX0, TY0 = 694500.0, 7037600.0
TSHAPE = (200, 400)  # 100 m (N-S) x 200 m (W-E)
EQUINOX = "2023-03-21"
HALO = 60  # cells (30 m): more than the largest building (24 m)


def _add(z, x, y, kind, bounds, height, tilt=30.0, azimuth=180.0):
    """Raise a roof of ``kind`` on the cells whose centres lie in ``bounds`` (metres from the origin, y south)."""
    e0, s0, e1, s1 = bounds
    inside = (x > e0) & (x < e1) & (y > s0) & (y < s1)
    xs, ys = x[inside], y[inside]
    cx, cy = (e0 + e1) / 2, (s0 + s1) / 2
    t = math.tan(math.radians(tilt))
    if kind == "flat":
        roof = np.full(xs.shape, height)
    elif kind == "gable_ns":  # ridge along x: faces north and south
        roof = height + t * ((s1 - s0) / 2 - np.abs(ys - cy))
    elif kind == "gable_ew":  # ridge along y: faces east and west
        roof = height + t * ((e1 - e0) / 2 - np.abs(xs - cx))
    elif kind == "hip":
        roof = height + t * (min(e1 - e0, s1 - s0) / 2 - np.maximum(np.abs(xs - cx), np.abs(ys - cy)))
    elif kind == "shed":  # one plane facing azimuth, lowest edge at ``height``
        a = math.radians(azimuth)
        along = (xs - cx) * math.sin(a) - (ys - cy) * math.cos(a)  # metres towards azimuth (y is south)
        roof = height + t * (along.max() - along)
    z[inside] = GROUND + roof


TOWN = [  # name, kind, (e0, s0, e1, s1) metres from the origin, eaves height, tilt, azimuth
    ("flat_nw", "flat", (10, 10, 30, 25), 10, 0, 0),
    ("gable_border", "gable_ns", (50, 30, 70, 46), 6, 35, 0),  # across the commune border
    ("tower", "flat", (50, 52, 70, 64), 20, 0, 0),  # south of the gable: shades it; across the tile line
    ("hip_core_line", "hip", (88, 20, 112, 44), 5, 30, 0),  # across the W-E tile line
    ("shed_sw", "shed", (130, 60, 150, 80), 7, 20, 225),
    ("gable_ew", "gable_ew", (150, 10, 166, 30), 6, 40, 0),
    ("flat_small", "flat", (20, 70, 26, 76), 4, 0, 0),
    ("hip_se", "hip", (160, 60, 184, 84), 5, 30, 0),
    ("tiny", "flat", (180, 20, 183, 23), 4, 0, 0),  # 9 m2: no suitable face
    ("flat_low_s", "flat", (100, 48, 120, 56), 8, 0, 0),  # across the N-S tile line
]
OUTSIDE = ("outside", (210, 10, 220, 20))  # east of the raster


def _ndsm():
    """Heights of the tiled scene above its flat ground (rows north to south). [m]"""
    rows, cols = np.mgrid[0 : TSHAPE[0], 0 : TSHAPE[1]]
    x, y = (cols + 0.5) * CELL, (rows + 0.5) * CELL  # metres east and south of the origin
    z = np.full(TSHAPE, GROUND)
    for _, kind, bounds, height, tilt, azimuth in TOWN:
        _add(z, x, y, kind, bounds, height, tilt, azimuth)
    return z - GROUND


@pytest.fixture(scope="module")
def tiled():
    z = GROUND + _ndsm()
    transform = from_origin(TX0, TY0, CELL, CELL)
    dsm = to_dataarray(z, "EPSG:2154", transform, name="dsm", units="m")
    names = [t[0] for t in TOWN] + [OUTSIDE[0]]
    boxes = [t[2] for t in TOWN] + [OUTSIDE[1]]
    footprints = gpd.GeoDataFrame(
        {"name": names}, geometry=[box(TX0 + e0, TY0 - s1, TX0 + e1, TY0 - s0) for e0, s0, e1, s1 in boxes],
        crs="EPSG:2154",
    )
    # an equinox day: the tower's shadow reaches the gable
    irr = irradiance(dsm, one_day(50.42, 2.93, 40.0, EQUINOX), n_directions=16, sky="perez")
    w = one_day(irr.attrs["latitude"], irr.attrs["longitude"], irr.attrs["altitude"], EQUINOX)
    communes = load_communes(None, crs="EPSG:2154")
    ndsm = z - GROUND
    # looser suitability than the default: most faces count, so the comparisons below bite on kWp and MWh
    config = Config(roofs=RoofConfig(min_irradiation_fraction=0.5))
    full = compute_buildings(irr, footprints, w, communes=communes, ndsm=ndsm, config=config)
    # 2 x 2 tiles: cores split the raster at its middle; each tile carries a halo of HALO cells
    h, wd = TSHAPE
    tiles = []
    for r0, r1 in ((0, h // 2), (h // 2, h)):
        for c0, c1 in ((0, wd // 2), (wd // 2, wd)):
            rs, cs = slice(max(0, r0 - HALO), min(h, r1 + HALO)), slice(max(0, c0 - HALO), min(wd, c1 + HALO))
            tile = irr.isel(y=rs, x=cs)
            tile = tile.rio.write_crs(irr.rio.crs).rio.write_transform(tile.rio.transform(recalc=True))
            core = (TX0 + c0 * CELL, TY0 - r1 * CELL, TX0 + c1 * CELL, TY0 - r0 * CELL)
            tiles.append((tile, core, compute_buildings(tile, footprints, w, communes=communes, ndsm=ndsm[rs, cs],
                                                        core=core, config=config)))
    return SimpleNamespace(footprints=footprints, irr=irr, weather=w, communes=communes, config=config, full=full,
                           tiles=tiles)


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_tiles_keep_the_site_and_grid(tiled):
    irr = tiled.irr
    for tile, _, _ in tiled.tiles:
        assert tile.attrs["latitude"] == irr.attrs["latitude"] and tile.attrs["sky"] == "perez"
        t = tile.rio.transform()
        assert (t.a, t.e) == (CELL, -CELL) and tile.rio.crs == irr.rio.crs
        assert float(tile["x"][0]) == pytest.approx(t.c + CELL / 2) and float(tile["y"][0]) == pytest.approx(t.f - CELL / 2)


@pytest.mark.slow
def test_scene_straddles_communes_and_epcis(tiled):
    full = tiled.full
    b = full.buildings
    assert b["insee"].notna().all()
    assert set(b["insee"]) == {"62351", "62587"}  # Fouquières-lès-Lens and Montigny-en-Gohelle
    assert set(b["epci_siren"]) == {"246200364", "246200299"}
    assert full.report["buildings"] == len(TOWN) and full.report["buildings_outside_raster"] == 1
    assert "outside" not in set(b["name"])
    # the tower shades the gable's south face
    faces = full.roofs[full.roofs["building_id"] == int(b.loc[b["name"] == "gable_border", "building_id"].iloc[0])]
    south = faces.loc[[_angle_diff(a, 180) < 45 for a in faces["azimuth"]]]
    assert len(south) == 1 and south["shading_ratio"].iloc[0] < 0.9


@pytest.mark.slow
def test_every_building_counted_once_with_the_full_raster_figures(tiled):
    full, tiles = tiled.full, tiled.tiles
    parts = pd.concat([r.buildings for _, _, r in tiles], ignore_index=True)
    assert sorted(parts["name"]) == sorted(full.buildings["name"])  # none twice, none lost
    assert parts["name"].is_unique
    assert sum(r.report["buildings"] for *_, r in tiles) == full.report["buildings"]
    columns = ["faces", "suitable_faces", "roof_area_m2", "usable_area_m2", "kwp", "mwh", "kwp_net", "mwh_net",
               "irradiation", "class", "insee", "epci_siren"]
    got = parts.set_index("name").sort_index()[columns]
    ref = full.buildings.set_index("name").sort_index()[columns]
    for column in columns:
        if column in ("insee", "epci_siren"):
            assert (got[column] == ref[column]).all(), column
        else:
            np.testing.assert_allclose(got[column].astype(float), ref[column].astype(float), rtol=1e-9, atol=0,
                                       err_msg=column)
    # every tile owns buildings, most buildings produce
    assert all(r.report["buildings"] >= 2 for *_, r in tiles)
    assert (ref["kwp"] > 0).sum() >= 7
    # faces too: same orientation, area and energy
    face_cols = ["tilt", "azimuth", "area_m2", "usable_area_m2", "irradiation", "kwp", "mwh"]

    def faces(result):
        names = result.buildings.set_index("building_id")["name"]
        table = pd.DataFrame(result.roofs.drop(columns="geometry")).assign(name=lambda d: d["building_id"].map(names))
        return table.sort_values(["name", "azimuth", "area_m2"])[["name", *face_cols]].reset_index(drop=True)

    tiled_faces = pd.concat([faces(r) for *_, r in tiles]).sort_values(["name", "azimuth", "area_m2"])
    ref_faces = faces(full)
    assert list(tiled_faces["name"]) == list(ref_faces["name"])
    np.testing.assert_allclose(tiled_faces[face_cols].to_numpy(float), ref_faces[face_cols].to_numpy(float),
                               rtol=1e-9, atol=1e-9)


def _metric_columns():
    return ["buildings", "suitable_buildings", "roof_area_m2", "usable_area_m2", "usable_area_net_m2", "mwp_gross",
            "mwp_net", "gwh_gross", "gwh_net"]


@pytest.mark.slow
def test_commune_epci_territory_totals_are_sums_of_buildings(tiled):
    communes, full, tiles = tiled.communes, tiled.full, tiled.tiles
    b = full.buildings
    for table, key in ((full.communes, "insee"), (full.epci, "epci_siren")):
        assert len(table) == table[key].nunique()  # no 'outside' row: every building is in a PMA commune
        got = table.set_index(key)
        sums = b.groupby(key).agg(buildings=("building_id", "size"), kwp=("kwp", "sum"), kwp_net=("kwp_net", "sum"),
                                  mwh=("mwh", "sum"), mwh_net=("mwh_net", "sum"), usable=("usable_area_m2", "sum"),
                                  roof=("roof_area_m2", "sum"), suitable=("kwp", lambda k: int((k > 0).sum())))
        for code, row in sums.iterrows():
            assert got.loc[code, "buildings"] == row["buildings"]
            assert got.loc[code, "suitable_buildings"] == row["suitable"]
            assert got.loc[code, "mwp_gross"] == pytest.approx(row["kwp"] / 1000, rel=1e-12)
            assert got.loc[code, "mwp_net"] == pytest.approx(row["kwp_net"] / 1000, rel=1e-12)
            assert got.loc[code, "gwh_gross"] == pytest.approx(row["mwh"] / 1000, rel=1e-12)
            assert got.loc[code, "gwh_net"] == pytest.approx(row["mwh_net"] / 1000, rel=1e-12)
            assert got.loc[code, "usable_area_m2"] == pytest.approx(row["usable"], rel=1e-12)
            assert got.loc[code, "roof_area_m2"] == pytest.approx(row["roof"], rel=1e-12)
        others = got.drop(index=sums.index)
        assert (others[_metric_columns()] == 0).all().all()  # every other commune / EPCI: zeros
        for column in _metric_columns():
            assert table[column].sum() == pytest.approx(full.territory[column].iloc[0], rel=1e-12), column
    assert len(full.communes) == 150 and len(full.epci) == 3
    assert full.territory["population"].iloc[0] == communes["population"].sum()
    assert full.territory["gwh_gross"].iloc[0] == pytest.approx(b["mwh"].sum() / 1000, rel=1e-12)
    # tiles: their commune, EPCI and territory tables add up to the full run's
    for attr, key in (("communes", "insee"), ("epci", "epci_siren"), ("territory", "territory")):
        summed = sum(getattr(r, attr).set_index(key)[_metric_columns()] for *_, r in tiles)
        ref = getattr(full, attr).set_index(key)[_metric_columns()]
        np.testing.assert_allclose(summed.loc[ref.index].to_numpy(float), ref.to_numpy(float), rtol=1e-9, atol=1e-12)
    # aggregating the concatenated tile buildings gives the full run's table
    parts = pd.concat([r.buildings for *_, r in tiles], ignore_index=True)
    again = aggregate(parts, "insee", communes=communes).set_index("insee")[_metric_columns()]
    np.testing.assert_allclose(again.to_numpy(float), full.communes.set_index("insee")[_metric_columns()].to_numpy(float),
                               rtol=1e-9, atol=1e-12)
    assert set(BUILDING_COLUMNS) <= set(parts.columns)


def test_no_building_on_the_raster_is_an_error(tiled):
    footprints, irr, w = tiled.footprints, tiled.irr, tiled.weather
    far = footprints.translate(xoff=5000.0)
    with pytest.raises(NoOverlapError, match="none of the 11 buildings"):
        compute_buildings(irr, far, w)
    with pytest.raises(CRSError):
        compute_buildings(irr, footprints.set_crs(None, allow_override=True), w)


@pytest.mark.slow
def test_reprojected_footprints_give_the_same_result(tiled):
    t = tiled
    again = compute_buildings(t.irr, t.footprints.to_crs("EPSG:4326"), t.weather, communes=t.communes, ndsm=_ndsm(),
                              config=t.config)
    ref = t.full.buildings.set_index("name").sort_index()
    got = again.buildings.set_index("name").sort_index()
    assert got.crs.to_epsg() == 2154  # the raster's CRS
    np.testing.assert_allclose(got[["kwp", "mwh"]].to_numpy(float), ref[["kwp", "mwh"]].to_numpy(float), rtol=1e-9)


@pytest.mark.slow
def test_buildings_all_outside_the_communes_are_kept(town_run):
    """The module docstring of cadastre.areas.aggregate: buildings outside every commune form one separate row."""
    footprints, z, w, irr = town_run.footprints, town_run.z, town_run.weather, town_run.irr
    elsewhere = load_communes(Path(__file__).resolve().parents[2] / "cadastre" / "data" / "communes-lidar-samples.geojson")
    r = compute_buildings(irr, footprints, w, communes=elsewhere, ndsm=z - GROUND)
    assert r.buildings["insee"].isna().all()
    last = r.communes.iloc[-1]
    assert last["commune"] == "(outside the communes)" and last["buildings"] == 3
    assert r.communes["gwh_gross"].sum() == pytest.approx(r.buildings["mwh"].sum() / 1000)
    assert r.territory["outside_buildings"].iloc[0] == 3


# ---------------------------------------------------------------------------
# 5. invalid footprints
# ---------------------------------------------------------------------------


def _bow_tie(x0, y0, size):
    """A self-intersecting quadrilateral (two triangles touching at the centre)."""
    return Polygon([(x0, y0), (x0 + size, y0 - size), (x0 + size, y0), (x0, y0 - size)])


@pytest.mark.slow
def test_bow_tie_footprint_is_repaired(town_run):
    footprints, z, w, irr = town_run.footprints, town_run.z, town_run.weather, town_run.irr
    fp = footprints.copy()
    fp.loc[0, "geometry"] = _bow_tie(X0 + 10, Y0 - 15, 15)  # over the flat roof
    assert not fp.geometry.is_valid.iloc[0]
    r = compute_buildings(irr, fp, w, ndsm=z - GROUND)
    assert r.report["footprints_repaired"] == 1 and r.report["buildings"] == 3
    bow = r.buildings.iloc[0]
    assert r.buildings.geometry.is_valid.all() and bow.geometry.geom_type == "MultiPolygon"
    assert bow["footprint_area_m2"] == pytest.approx(2 * 15 * 15 / 4)  # two triangles of a quarter square each
    assert bow["roof_area_m2"] > 0


@pytest.mark.slow
def test_bow_tie_repaired_whatever_the_geometry_column_name(town_run):
    footprints, z, w, irr = town_run.footprints, town_run.z, town_run.weather, town_run.irr
    fp = footprints.copy()
    fp.loc[0, "geometry"] = _bow_tie(X0 + 10, Y0 - 15, 15)
    fp = fp.rename_geometry("geom")
    r = compute_buildings(irr, fp, w, ndsm=z - GROUND)
    assert r.report["footprints_repaired"] == 1
    assert r.buildings.geometry.is_valid.all()
    assert r.buildings["footprint_area_m2"].iloc[0] == pytest.approx(2 * 15 * 15 / 4)
    assert "geometry" not in r.buildings.columns or r.buildings.geometry.name == "geometry"
