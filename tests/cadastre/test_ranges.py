"""Every parameter that sizes the work has a physical range, checked before any work.

Without the upper bounds, ``--directions 1000000`` grew to 22 GB before the system killed it, and
``far_distance = 1e12``, ``setback = 1e9`` or ``directions = 1000000`` in a run file passed the
configuration and ``--dry-run``, then failed on every tile.
"""

from __future__ import annotations

import math

import pytest

from cadastre.config import load_config
from cadastre.errors import CRSError, OptionError
from cadastre.solar.irradiance import check_options
from cadastre.territory.config import load_run_config

GOOD = dict(n_directions=64, max_distance=1000.0, albedo=0.2, sky="perez", far_distance=5000.0, far_cell=5.0)


@pytest.mark.parametrize("key, value, needle", [
    ("n_directions", 1_000_000, "--directions"),
    ("n_directions", 7, "--directions"),
    ("n_directions", 64.5, "--directions"),
    ("max_distance", math.nan, "--max-distance"),
    ("max_distance", math.inf, "--max-distance"),
    ("max_distance", 1e9, "--max-distance"),
    ("far_distance", 1e12, "--far-distance"),
    ("far_distance", math.nan, "--far-distance"),
    ("far_distance", 500.0, "--far-distance"),  # not beyond max_distance
    ("far_cell", math.nan, "--far-cell"),
    ("far_cell", 0.0, "--far-cell"),
    ("far_cell", 1e4, "--far-cell"),
    ("albedo", math.nan, "--albedo"),
])
def test_irradiance_options_out_of_range(key, value, needle):
    with pytest.raises(OptionError, match=needle):
        check_options(**{**GOOD, key: value})


def test_irradiance_options_in_range():
    assert check_options(**GOOD) == "perez"
    assert check_options(**{**GOOD, "n_directions": 360, "far_distance": 0.0}) == "perez"


@pytest.mark.parametrize("table, needle", [
    ("[irradiance]\nfar_distance = 1e12\n", "irradiance.far_distance"),
    ("[irradiance]\ndirections = 1000000\n", "irradiance.directions"),
    ("[irradiance]\nfar_cell = nan\n", "irradiance.far_cell"),
    ("[tiles]\nhalo = 1e9\n", "tiles.halo"),
    ("[tiles]\nsize = 1e7\n", "tiles.size"),
    ("[roofs]\nsetback = 1e9\n", "roofs.setback"),
    ("[roofs]\nmin_face_area = 1e9\n", "roofs.min_face_area"),
])
def test_run_file_out_of_range(tmp_path, table, needle):
    """Refused when the file is loaded: before any tile, and by ``--dry-run``, which loads it the same way."""
    path = tmp_path / "run.toml"
    path.write_text('[inputs]\nlidar = ["tiles"]\n' + table)
    with pytest.raises(OptionError, match=needle) as info:
        load_run_config(path)
    assert "\n" not in str(info.value) and "run.toml" in str(info.value)


def test_buildings_config_out_of_range(tmp_path):
    path = tmp_path / "buildings.toml"
    path.write_text("[roofs]\nsetback = 1e9\n")
    with pytest.raises(OptionError, match=r"roofs\.setback.*\[0, 10\]"):
        load_config(path)


@pytest.mark.parametrize("crs, needle", [
    ("EPSG:99999", "is not a CRS pyproj knows"),
    ("EPSG:4326", "geographic"),
])
def test_run_file_crs_reported_as_its_key(tmp_path, crs, needle):
    """A bad CRS in a run file names the key of the file (not the ``--crs`` option of another command)."""
    (tmp_path / "tiles").mkdir()
    (tmp_path / "tiles" / "a.laz").write_bytes(b"")
    path = tmp_path / "run.toml"
    path.write_text(f'[inputs]\nlidar = ["tiles"]\ncrs = "{crs}"\n')
    with pytest.raises(CRSError, match=rf"run\.toml: inputs\.crs = '{crs}'.*{needle}") as info:
        load_run_config(path)
    assert "--crs" not in str(info.value)
