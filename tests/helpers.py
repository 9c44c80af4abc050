"""Small builders shared by the tests (synthetic DSMs on a Lambert-93 grid)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rasterio.transform import from_origin

from rasters.io import to_dataarray

# A grid origin inside the PMA (Lens), Lambert-93.
X0, Y0 = 687000.0, 7036000.0


def dsm_array(z: np.ndarray, cellsize: float = 0.5, crs: str = "EPSG:2154"):
    """A DSM DataArray for heights ``z`` (rows north to south) near Lens."""
    return to_dataarray(np.asarray(z, float), crs, from_origin(X0, Y0, cellsize, cellsize), name="dsm", units="m")


def plane(shape, cellsize, tilt, azimuth):
    """Heights of a plane of slope ``tilt`` facing ``azimuth`` (degrees), rows north to south."""
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    east = cols * cellsize
    north = -rows * cellsize
    b, g = np.radians(tilt), np.radians(azimuth)
    return 100.0 - np.tan(b) * (east * np.sin(g) + north * np.cos(g))


def weather_from_rows(times, ghi, dni, dhi, time_label="instant", interval_hours=1.0):
    """A Weather with explicit rows (sun evaluated per ``time_label``)."""
    from cadastre.solar.weather import Weather

    idx = pd.DatetimeIndex(times).tz_convert("UTC")
    data = pd.DataFrame({"ghi": ghi, "dni": dni, "dhi": dhi}, index=idx, dtype=float)
    shift = {"start": 0.5, "middle": 0.0, "end": -0.5, "instant": 0.0}[time_label]
    sun = idx + pd.Timedelta(hours=shift * interval_hours)
    return Weather(
        data=data,
        sun_times=sun,
        interval_hours=interval_hours,
        source="test",
        kind="csv",
        time_label=time_label,
        metadata={},
    )


def cli_runner():
    """A typer CliRunner that keeps stderr apart from stdout.

    Click >= 8.2 always does (``result.stderr``); older Click needs ``mix_stderr=False``.
    """
    from typer.testing import CliRunner

    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()


def tmp_files(folder) -> list:
    """Temporary files (``.NAME.xxxxxxxx.tmp...``) left anywhere below ``folder``."""
    return [p for p in folder.rglob("*") if ".tmp" in p.name]


def error_line(result, *needles: str) -> str:
    """The one ``error: `` line of a failed CLI run (exit 2), holding every needle."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error: "), line
    for needle in needles:
        assert needle in line, (needle, line)
    return line


def shared_build(tmp_path_factory, name: str, build):
    """``build(folder)`` run once per test session, even across pytest-xdist workers.

    The first worker that asks builds in ``<session temp>/shared-<name>/`` and stores the value
    ``build`` returns (pickled); the others wait for it on a file lock and read it. The folder is
    shared: a test that changes it works on a copy. Returns ``(folder, value)``.
    """
    import fcntl
    import os
    import pickle
    import shutil

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, above the workers' own
    folder = root / f"shared-{name}"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            done = root / f"shared-{name}.pickle"
            if done.exists():
                return folder, pickle.loads(done.read_bytes())
            if folder.exists():  # a build that failed halfway
                shutil.rmtree(folder)
            folder.mkdir()
            value = build(folder)
            done.write_bytes(pickle.dumps(value))
            return folder, value
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
