"""The irradiance engine against independent references (``docs/method.md``).

(a) pvlib's ``get_total_irradiance`` on unobstructed planes, (b) the
weather's own GHI sum on a flat cell, (c) analytic sky-view factors of a
street canyon and a circular pit, (d) the analytic length of a wall's shadow,
(e) solar noon from pvlib. Tolerances are stated per test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest
from helpers import dsm_array, plane, weather_from_rows
from pyproj import Transformer

from cadastre import irradiance
from cadastre.solar.weather import clearsky_weather, default_weather_path, load_weather
from helpers import X0, Y0


@pytest.fixture(scope="module")
def tmy():
    return load_weather(default_weather_path())


def _site(dsm):
    """Latitude, longitude of the raster centre computed here with pyproj, altitude as the engine takes it."""
    t = dsm.rio.transform()
    x = t.c + t.a * dsm.shape[1] / 2
    y = t.f + t.e * dsm.shape[0] / 2
    lon, lat = Transformer.from_crs(dsm.rio.crs, "EPSG:4326", always_xy=True).transform(x, y)
    return lat, lon


def _pvlib_total(weather, lat, lon, alt, tilt, azimuth, model, albedo):
    """Annual POA components [kWh m-2] from pvlib, row by row (independent reference)."""
    temp = weather.data["temp_air"].to_numpy() if "temp_air" in weather.data else 12.0
    pos = pvlib.solarposition.get_solarposition(weather.sun_times, lat, lon, altitude=alt, temperature=temp)
    dni_extra = pvlib.irradiance.get_extra_radiation(weather.sun_times)
    d = weather.data
    poa = pvlib.irradiance.get_total_irradiance(
        tilt,
        azimuth,
        pos["apparent_zenith"].to_numpy(),
        pos["azimuth"].to_numpy(),
        d["dni"].to_numpy(),
        d["ghi"].to_numpy(),
        d["dhi"].to_numpy(),
        dni_extra=dni_extra.to_numpy(),
        airmass=pvlib.atmosphere.get_relative_airmass(pos["apparent_zenith"].to_numpy()),
        albedo=albedo,
        model=model,
    )
    # the engine never lets the sun shine from below the horizontal (terrain horizon >= 0)
    below = pos["apparent_elevation"].to_numpy() <= 0
    beam = np.where(below, 0.0, np.nan_to_num(np.asarray(poa["poa_direct"])))
    kwh = weather.interval_hours / 1000
    return {
        "beam": beam.sum() * kwh,
        "diffuse": np.nan_to_num(np.asarray(poa["poa_sky_diffuse"])).sum() * kwh,
        "reflected": np.nan_to_num(np.asarray(poa["poa_ground_diffuse"])).sum() * kwh,
    }


@pytest.mark.slow
@pytest.mark.parametrize("model", ["isotropic", "perez"])
@pytest.mark.parametrize(
    "tilt,azimuth",
    [(0, 180), (15, 180), (30, 180), (35, 135), (45, 90), (45, 270), (60, 180), (60, 225), (30, 0), (20, 315)],
)
def test_unobstructed_plane_matches_pvlib(tmy, tilt, azimuth, model):
    """Annual global on an unobstructed plane within 1 % of pvlib (same weather and sky model)."""
    z = plane((24, 24), 0.5, tilt, azimuth)
    dsm = dsm_array(z)
    ds = irradiance(dsm, tmy, n_directions=64, sky=model, albedo=0.2)
    lat, lon = _site(dsm)
    ref = _pvlib_total(tmy, lat, lon, ds.attrs["altitude"], tilt, azimuth, model, 0.2)
    inner = (slice(2, -2), slice(2, -2))
    glob = ds["global"].values[inner]
    expected = ref["beam"] + ref["diffuse"] + ref["reflected"]
    assert np.allclose(glob, expected, rtol=0.01), (glob.mean(), expected, ref)
    assert np.allclose(ds["slope"].values[inner], tilt, atol=1e-6)
    if tilt:
        assert np.allclose(ds["aspect"].values[inner], azimuth, atol=1e-6)
    assert np.allclose(ds["svf"].values[inner], (1 + np.cos(np.radians(tilt))) / 2, atol=1e-3)
    assert np.allclose(ds["reflected"].values[inner], ref["reflected"], rtol=0.01)


@pytest.mark.parametrize("model", ["isotropic", "perez"])
def test_flat_cell_equals_ghi_sum(tmy, model):
    """A flat unobstructed cell receives the weather's GHI sum (within 0.5 %)."""
    ds = irradiance(dsm_array(np.full((9, 9), 50.0)), tmy, n_directions=32, sky=model)
    ghi = tmy.data["ghi"].sum() * tmy.interval_hours / 1000
    assert np.allclose(ds["global"].values, ghi, rtol=0.005)
    assert np.allclose(ds["svf"].values, 1.0, atol=1e-9)
    assert np.allclose(ds["reflected"].values, 0.0, atol=1e-9)


def _canyon(width_cells, height, length_cells, along, cellsize=0.5, block_cells=40):
    z = np.zeros((length_cells, width_cells + 2 * block_cells))
    z[:, :block_cells] = height
    z[:, -block_cells:] = height
    return z if along == "ns" else z.T


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
@pytest.mark.parametrize("along", ["ns", "ew"])
def test_street_canyon_svf(along):
    """Centre of an infinite canyon floor: SVF = W / sqrt(W^2 + 4 H^2), within 0.01.

    The DSM holds heights at cell centres: the wall tops are the centres of
    the innermost roof cells, ``(cells + 1) * cellsize`` apart.
    """
    cells, h, cs = 81, 20.0, 0.5
    z = _canyon(cells, h, 800, along, cs)
    ds = irradiance(dsm_array(z, cs), clearsky_day(), n_directions=64, max_distance=1000)
    svf = ds["svf"].values
    centre = svf[400, 40 + cells // 2] if along == "ns" else svf[40 + cells // 2, 400]
    w = (cells + 1) * cs
    assert centre == pytest.approx(w / np.sqrt(w**2 + 4 * h**2), abs=0.01)
    assert centre == pytest.approx(cells * cs / np.sqrt((cells * cs) ** 2 + 4 * h**2), abs=0.01)


@pytest.mark.slow
def test_circular_pit_svf():
    """Centre of a circular pit of radius R and depth D: SVF = 1 / (1 + (D/R)^2), within 0.01."""
    cs, r, d = 0.5, 20.0, 10.0
    n = 121
    rows, cols = np.mgrid[0:n, 0:n]
    dist = np.hypot(rows - n // 2, cols - n // 2) * cs
    z = np.where(dist <= r, -d, 0.0)
    ds = irradiance(dsm_array(z, cs), clearsky_day(), n_directions=64)
    assert ds["svf"].values[n // 2, n // 2] == pytest.approx(1 / (1 + (d / r) ** 2), abs=0.01)


def clearsky_day():
    """A clear summer day at Lens (hourly, pvlib Ineichen), enough to run the engine."""
    w = clearsky_weather(50.43, 2.83, 54.0)
    keep = (w.data.index >= "2023-06-21") & (w.data.index < "2023-06-22")
    return type(w)(
        data=w.data[keep],
        sun_times=w.sun_times[keep],
        interval_hours=1.0,
        source="clearsky",
        kind="clearsky",
        time_label=w.time_label,
        metadata=w.metadata,
    )


@pytest.mark.parametrize("when", ["2023-03-21T12:00Z", "2023-06-21T11:45Z", "2023-12-21T11:50Z", "2023-09-10T11:45Z"])
def test_wall_shadow_length(when):
    """A wall of height H south of flat ground casts a shadow H / tan(e) long, to a pixel."""
    cs, h = 0.5, 6.0
    z = np.zeros((240, 40))
    z[200:, :] = h  # a long building along the south edge; its north wall faces the ground
    dsm = dsm_array(z, cs)
    lat, lon = _site(dsm)
    w = weather_from_rows([pd.Timestamp(when)], [500.0], [800.0], [100.0], time_label="instant")
    pos = pvlib.solarposition.get_solarposition(w.sun_times, lat, lon, altitude=h, temperature=12.0)
    e = float(pos["apparent_elevation"].iloc[0])
    assert abs(float(pos["azimuth"].iloc[0]) - 180) < 360 / 64 / 2  # the sun in the sector due south
    ds = irradiance(dsm, w, n_directions=64)
    beam = ds["beam"].values[:200, 20]
    shaded = np.flatnonzero(beam[::-1] < 1e-9)  # cells counted northwards from the wall
    length = (shaded.max() + 1) * cs if shaded.size else 0.0
    expected = h / np.tan(np.radians(e))
    assert abs(length - expected) <= cs, (length, expected, e)
    assert shaded.size == shaded.max() + 1  # one contiguous shadow


@pytest.mark.slow
def test_hour_of_max_beam_on_south_wall_is_solar_noon():
    """On a clear day, the beam on a steep south-facing plane peaks in the hour of pvlib's solar transit.

    Each hour is run separately through the engine, from a plain weather table
    whose stamps mark the middle of the hour.
    """
    lat_lon_dsm = dsm_array(plane((10, 10), 0.5, 80, 180))
    lat, lon = _site(lat_lon_dsm)
    day = pd.date_range("2023-04-15T04:30Z", periods=16, freq="1h")
    cs = pvlib.location.Location(lat, lon, altitude=100).get_clearsky(day)
    beams = []
    for k, t in enumerate(day):
        w = weather_from_rows([t], [cs["ghi"].iloc[k]], [cs["dni"].iloc[k]], [cs["dhi"].iloc[k]], "middle")
        beams.append(float(irradiance(lat_lon_dsm, w, n_directions=64)["beam"].values[5, 5]))
    peak = day[int(np.argmax(beams))]
    transit = pvlib.solarposition.sun_rise_set_transit_spa(pd.DatetimeIndex([day[0].normalize()]), lat, lon)
    noon = transit["transit"].iloc[0]
    assert abs((peak - noon).total_seconds()) <= 30 * 60, (peak, noon)


@pytest.mark.slow
def test_east_and_west_planes_symmetric_under_clear_sky():
    """Under a clear-sky year (sun at mid-interval) east and west planes get equal beam (0.5 %).

    A half-hour error in the sun times would move 3-4 % of the energy between them.
    """
    east = dsm_array(plane((12, 12), 0.5, 40, 90))
    west = dsm_array(plane((12, 12), 0.5, 40, 270))
    lat, lon = _site(east)
    w = clearsky_weather(lat, lon, 100.0)
    be = irradiance(east, w, n_directions=64)["beam"].values[6, 6]
    bw = irradiance(west, w, n_directions=64)["beam"].values[6, 6]
    assert be == pytest.approx(bw, rel=0.005)


def test_nodata_propagates_and_does_not_shade():
    z = np.zeros((30, 30))
    z[10:14, 10:14] = np.nan
    ds = irradiance(dsm_array(z), clearsky_day(), n_directions=16)
    for name in ds.data_vars:
        assert np.isnan(ds[name].values[10:14, 10:14]).all()
        assert np.isfinite(ds[name].values[~np.isnan(z)]).all()
    assert np.allclose(ds["svf"].values[~np.isnan(z)], 1.0)


def test_south_up_raster_equals_north_up():
    from rasters.io import to_dataarray
    from rasterio.transform import Affine

    z = np.zeros((40, 30))
    z[25:, :] = 8.0
    north = dsm_array(z)
    t = north.rio.transform()
    flipped = to_dataarray(z[::-1].copy(), "EPSG:2154", Affine(t.a, 0, t.c, 0, -t.e, t.f + t.e * 40), name="dsm", units="m")
    day = clearsky_day()
    a = irradiance(north, day, n_directions=16)["global"].values
    b = irradiance(flipped, day, n_directions=16)["global"].values
    assert np.allclose(a, b[::-1], rtol=1e-6)


@pytest.mark.slow
def test_api_rejects_bad_options():
    from cadastre.errors import OptionError

    dsm = dsm_array(np.zeros((5, 5)))
    for kwargs in ({"n_directions": 4}, {"albedo": 1.5}, {"max_distance": 0}, {"sky": "hay"}):
        with pytest.raises(OptionError):
            irradiance(dsm, clearsky_day(), **kwargs)


_ = (X0, Y0)


@pytest.fixture(scope="module")
def canyon_year():
    """An east-west canyon of 1 m box cells (20 m block north, 18 m south, 12 m street, walls on cell edges)
    and a clear-sky year at its site, with the sun's position hour by hour."""
    from cadastre.solar.irradiance import site_of
    from cadastre.solar.sky import solar_position

    cs, hn, hs, w, b, n = 1.0, 20.0, 18.0, 12, 20, 300
    z = np.zeros((2 * b + w, n))
    z[:b], z[b + w:] = hn, hs
    dsm = dsm_array(z, cs)
    lat, lon, alt = site_of(dsm)
    weather = clearsky_weather(lat, lon, alt)
    pos = solar_position(weather, lat, lon, alt)
    up = pos["apparent_elevation"].to_numpy() > 0
    sun = (pos["apparent_elevation"].to_numpy()[up], pos["azimuth"].to_numpy()[up],
           weather.data["dni"].to_numpy()[up] * weather.interval_hours / 1000)
    return dsm, weather, sun, (hn, hs, w, b, n)


def _canyon_beam(sun, azimuths, d_north, d_south, hn, hs):
    """Annual beam [kWh m-2] on a floor point, hour by hour, with the analytic horizon of each hour's sun
    taken at ``azimuths`` (the sun's own, or its sector's)."""
    elevation, _azimuth, dni_kwh = sun
    north = np.cos(np.radians(azimuths))
    tan_h = np.where(north > 0, hn * north / d_north, np.where(north < 0, hs * -north / d_south, 0.0))
    lit = np.degrees(np.arctan(tan_h)) < elevation
    return float((dni_kwh * np.sin(np.radians(elevation)) * lit).sum())


@pytest.mark.slow
@pytest.mark.parametrize("n", [64, 256])
def test_canyon_floor_beam_and_svf(canyon_year, n):
    """Every floor point of the canyon, against the analytic horizons (walls on cell edges):

    - SVF: the closed form (cos b_n + cos b_s) / 2, b the walls' elevations across the street, within
      0.01 (64 directions) — at the foot of a wall too (its slope is its own floor's, not the wall's);
    - annual beam: within 1 % of the hour-by-hour sum with the exact horizon at each hour's sector
      azimuth (what n sectors can resolve), and within 3 % on average of the hour-by-hour sum at the
      sun's own azimuth at 256 directions (the sectors' share; 7 % on average at 64, 30 % at worst,
      since the horizon of a floor point changes fast with azimuth along the street).
    """
    dsm, weather, sun, (hn, hs, w, b, n_cols) = canyon_year
    ds = irradiance(dsm, weather, n_directions=n, max_distance=400.0, sky="isotropic")
    beam, svf = ds["beam"].values, ds["svf"].values
    sector = np.round(sun[1] / (360 / n)) % n * (360 / n)
    errors = []
    for i in range(w):
        d_north, d_south = i + 0.5, w - i - 0.5
        cells = slice(n_cols // 2 - 30, n_cols // 2 + 30)
        binned = _canyon_beam(sun, sector, d_north, d_south, hn, hs)
        exact = _canyon_beam(sun, sun[1], d_north, d_south, hn, hs)
        np.testing.assert_allclose(beam[b + i, cells], binned, rtol=0.01, err_msg=f"row {i}")
        errors.append(abs(beam[b + i, cells].mean() / exact - 1))
        closed = (1 / np.hypot(1, hn / d_north) + 1 / np.hypot(1, hs / d_south)) / 2
        np.testing.assert_allclose(svf[b + i, cells], closed, atol=0.01 if n == 64 else 0.002, err_msg=f"row {i}")
    if n == 256:
        assert np.mean(errors) < 0.03
