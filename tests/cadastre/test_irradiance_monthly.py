"""The monthly global irradiation of ``irradiance(..., months=True)`` (``cadastre irradiance --monthly``).

The months sum to the annual global; on unobstructed planes each month matches pvlib's
``get_total_irradiance`` summed over the month's rows (0.1 %; the annual test allows 1 %); a wall to
the south takes relatively more of the winter than of the summer.
"""

from __future__ import annotations

import numpy as np
import pvlib
import pytest
from helpers import dsm_array, plane
from pyproj import Transformer

from cadastre import irradiance
from cadastre.solar.irradiance import BANDS, MONTH_BANDS
from cadastre.solar.weather import default_weather_path, load_weather


@pytest.fixture(scope="module")
def tmy():
    return load_weather(default_weather_path())


def _months(ds) -> np.ndarray:
    """(12, rows, cols) float64 of the monthly bands."""
    return np.stack([ds[m].values.astype(np.float64) for m in MONTH_BANDS])


def _pvlib_months(weather, dsm, alt, tilt, azimuth, model, albedo=0.2) -> np.ndarray:
    """(12,) global irradiation [kWh m-2] of each month (UTC stamps) on an unobstructed plane, from pvlib."""
    t = dsm.rio.transform()
    x, y = t.c + t.a * dsm.shape[1] / 2, t.f + t.e * dsm.shape[0] / 2
    lon, lat = Transformer.from_crs(dsm.rio.crs, "EPSG:4326", always_xy=True).transform(x, y)
    pos = pvlib.solarposition.get_solarposition(weather.sun_times, lat, lon, altitude=alt,
                                                temperature=weather.data["temp_air"].to_numpy())
    d = weather.data
    zenith = pos["apparent_zenith"].to_numpy()
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, zenith, pos["azimuth"].to_numpy(), d["dni"].to_numpy(), d["ghi"].to_numpy(),
        d["dhi"].to_numpy(), dni_extra=pvlib.irradiance.get_extra_radiation(weather.sun_times).to_numpy(),
        airmass=pvlib.atmosphere.get_relative_airmass(zenith), albedo=albedo, model=model)
    below = pos["apparent_elevation"].to_numpy() <= 0  # the engine never lets the sun shine from below
    direct = np.where(below, 0.0, np.nan_to_num(np.asarray(poa["poa_direct"])))
    total = direct + np.nan_to_num(np.asarray(poa["poa_sky_diffuse"])) + np.nan_to_num(
        np.asarray(poa["poa_ground_diffuse"]))
    month = d.index.month.to_numpy() - 1
    return np.bincount(month, weights=total, minlength=12) * weather.interval_hours / 1000


@pytest.mark.slow
@pytest.mark.parametrize("model", ["isotropic", "perez"])
def test_months_sum_to_annual_and_leave_the_other_bands_alone(tmy, model):
    """The 12 months add up to ``global`` (1e-5), every cell and listed cells; the 7 bands are bit-identical."""
    z = plane((20, 20), 0.5, 30, 200)
    z[8:12, 4:9] += 6.0  # a block: shade on some cells
    dsm = dsm_array(z)
    plain = irradiance(dsm, tmy, n_directions=16, sky=model)
    ds = irradiance(dsm, tmy, n_directions=16, sky=model, months=True)
    for band in BANDS:
        assert np.array_equal(plain[band].values, ds[band].values, equal_nan=True), band
    assert [ds[m].attrs["units"] for m in MONTH_BANDS] == ["kWh m-2"] * 12
    glob = ds["global"].values.astype(np.float64)
    np.testing.assert_allclose(_months(ds).sum(axis=0), glob, rtol=1e-5)
    assert (_months(ds) > 0).all()
    wanted = np.zeros(z.shape, bool)
    wanted[3:16, 2:14] = True
    listed = irradiance(dsm, tmy, n_directions=16, sky=model, months=True, cells=wanted)
    np.testing.assert_allclose(_months(listed)[:, wanted], _months(ds)[:, wanted], rtol=1e-6)
    assert np.isnan(_months(listed)[:, ~wanted]).all()


@pytest.mark.slow
@pytest.mark.parametrize("model", ["isotropic", "perez"])
@pytest.mark.parametrize("tilt,azimuth", [(0, 180), (35, 180)])
def test_unobstructed_months_match_pvlib(tmy, tilt, azimuth, model):
    """Each month of an unobstructed plane within 0.1 % of pvlib summed over the month's rows.

    The annual test allows 1 %; measured: at most 0.01 % (TMY of Lens, 64 directions).
    """
    dsm = dsm_array(plane((12, 12), 0.5, tilt, azimuth))
    ds = irradiance(dsm, tmy, n_directions=64, sky=model, months=True)
    expected = _pvlib_months(tmy, dsm, ds.attrs["altitude"], tilt, azimuth, model)
    got = _months(ds)[:, 2:-2, 2:-2]
    np.testing.assert_allclose(got, np.broadcast_to(expected[:, None, None], got.shape), rtol=0.001)


def test_wall_to_the_south_takes_more_of_winter(tmy):
    """5 m north of a 3 m wall a flat cell loses more of December's global than of June's."""
    z = np.zeros((40, 40))
    z[20:23, :] = 3.0  # an east-west wall, 3 cells thick, 5 m south of the cells of row 10
    dsm = dsm_array(z)
    open_sky = _months(irradiance(dsm_array(np.zeros((40, 40))), tmy, n_directions=32, months=True))[:, 10, 20]
    shaded = _months(irradiance(dsm, tmy, n_directions=32, months=True))[:, 10, 20]
    kept = shaded / open_sky
    assert kept[11] < kept[5] - 0.2, kept  # December vs June
    assert kept[0] < kept[6] and kept[11] < kept[5]
    assert (kept < 1.0).all()
