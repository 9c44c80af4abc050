"""Readers that refuse what they cannot read, and errors that never echo a file's contents.

- The weather reader recognises a file's kind (PVGIS header, EPW ``LOCATION`` line, a CSV header naming
  ``time`` and an irradiance column) before it parses it: any other text file is refused in one line that
  quotes none of it; a device is refused before it is read.
- In a recognised weather file, an error quotes at most a short, escaped excerpt.
- A run configuration (TOML) whose weather is such a file: the same refusal, nothing of the file.
- The metadata and tables of a result folder are checked against the contract (``cadastre.results.contract``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import X0, Y0
from rasterio.transform import from_origin

from cadastre.errors import CadastreError, InputFileError
from cadastre.results.read import check_meta, read_table
from cadastre.solar.weather import load_weather
from rasters.io import to_dataarray, write_bands

SECRET = "SECRET-TOKEN-4f2a"
NOT_WEATHER = {
    "passwd": f"root:x:0:0:{SECRET}:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n",
    "shadow": f"root:$6${SECRET}:19000:0:99999:7:::\n",
    "comma-separated": f"{SECRET},value\nkey,other\n",
    "ini": f"[section]\npassword = {SECRET}\n",
    "one line": SECRET,
}


@pytest.mark.parametrize("name", list(NOT_WEATHER))
@pytest.mark.parametrize("suffix", ["", ".csv", ".txt"])
def test_a_file_that_is_not_weather_is_refused_without_a_word_of_it(tmp_path, name, suffix):
    path = tmp_path / f"file{suffix}"
    path.write_text(NOT_WEATHER[name], encoding="utf-8")
    with pytest.raises(InputFileError, match="not a weather file") as info:
        load_weather(path)
    message = str(info.value)
    assert SECRET not in message and "root" not in message.replace(str(tmp_path), "")
    assert "\n" not in message


def test_a_device_is_refused_before_it_is_read():
    """A device (here /dev/null; /dev/zero read whole would never end) is refused by its kind, unread."""
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null")
    with pytest.raises(InputFileError, match="not a regular file"):
        load_weather("/dev/null")


def test_a_recognised_weather_file_is_quoted_short_and_escaped(tmp_path):
    path = tmp_path / "w.csv"
    cell = "x" * 60 + "\u00e9"
    path.write_text(f"time,ghi,dni,dhi\n2023-06-21T12:00:00Z,{cell},1,1\n", encoding="utf-8")
    with pytest.raises(CadastreError, match="column 'ghi' is not numeric at row 1") as info:
        load_weather(path)
    assert "x" * 25 not in str(info.value) and "\u00e9" not in str(info.value)


def test_a_run_configuration_pointing_at_a_secret_file_does_not_echo_it(tmp_path):
    """``[inputs] weather = ".../shadow"`` in a run's TOML: loading that weather quotes nothing of it."""
    from cadastre.territory.config import load_run_config

    secret = tmp_path / "etc" / "shadow"
    secret.parent.mkdir()
    secret.write_text(NOT_WEATHER["shadow"], encoding="utf-8")
    write_bands([to_dataarray(np.zeros((4, 4)), "EPSG:2154", from_origin(X0, Y0, 1.0, 1.0), name="dsm", units="m")],
                tmp_path / "dsm.tif")
    config = tmp_path / "run.toml"
    config.write_text('[inputs]\ndsm = ["dsm.tif"]\nweather = "etc/shadow"\n', encoding="utf-8")
    weather = load_run_config(config).weather
    assert Path(weather).resolve() == secret.resolve()
    with pytest.raises(InputFileError, match="not a weather file") as info:
        load_weather(weather)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(("meta", "needle"), [
    ([1, 2], "holds a list in JSON, not an object"),
    ("text", "holds a string in JSON"),
    ({"weather": None, "crs": "EPSG:2154"}, "no 'sky' key"),
    ({"weather": 3, "crs": "EPSG:2154", "sky": "perez"}, "'weather' is a number where a string or null belongs"),
    ({"weather": None, "crs": "EPSG:2154", "sky": "perez", "site": {"latitude": "north"}},
     "'site.latitude' is a string where a number or null belongs"),
    ({"weather": None, "crs": "EPSG:2154", "sky": "perez", "parameters": {"roofs": {"max_slope": [60]}}},
     "'parameters.roofs.max_slope' is a list where a number belongs"),
])
def test_metadata_is_checked_against_the_contract(meta, needle):
    with pytest.raises(InputFileError, match="^buildings.json: ") as info:
        check_meta(Path("buildings.json"), meta)
    assert needle in str(info.value)


def test_an_interrupted_run_json_is_left_to_the_run_check():
    check_meta(Path("run.json"), {"complete": False, "started": "2024-01-01T00:00:00"})


@pytest.mark.parametrize(("text", "needle"), [
    ("INSEE,COMMUNE\n62001,A\n", "no 'insee' column (column names are lower-case"),
    ("insee,commune,buildings\n62001,A,nan\n", "column 'buildings' is not an integer at line 2"),
    ("insee,commune,gwh_net\n62001,A,inf\n", "column 'gwh_net' is not a number at line 2"),
    ("insee,commune,gwh_net\n62001,A,1\n62003,B,\n", "column 'gwh_net' is empty at line 3"),
])
def test_a_table_is_checked_against_the_contract(tmp_path, text, needle):
    path = tmp_path / "communes.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        read_table(path, required=("insee", "commune"))
    assert needle in str(info.value) and str(path) in str(info.value)


def test_empty_fields_where_the_contract_allows_them(tmp_path):
    """The row outside the communes: no code, no EPCI, no population, no coverage."""
    path = tmp_path / "communes.csv"
    path.write_text("insee,commune,epci_siren,epci,population,buildings,gwh_net,covered_share\n"
                    "62001,A,246200364,CA,1966,3,0.1,0.5\n,(outside the communes),,,,1,0.01,\n", encoding="utf-8")
    table = read_table(path, required=("insee",))
    assert list(table["insee"]) == ["62001", ""]
    assert list(table["population"]) == ["1966", ""]
