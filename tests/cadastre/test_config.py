"""The buildings-stage configuration: defaults, TOML overrides, and one-line errors naming the key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cadastre._params import params
from cadastre.config import (
    AggregateConfig,
    Config,
    PVConfig,
    ThermalConfig,
    RoofConfig,
    check_config,
    default_config_toml,
    load_config,
)
from cadastre.errors import InputFileError, OptionError


def _write(tmp_path, text: str, name: str = "cadastre.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _assert_one_line(exc: pytest.ExceptionInfo, where: str) -> str:
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"{where}: ")
    assert "; " in message
    return message


def test_defaults():
    c = Config()
    assert c.pv == PVConfig(0.2, 0.14, 0.96, 1.1, -0.0037, "close_mount_glass_glass")
    assert c.roofs.min_height == 2.0
    assert (c.roofs.flat_slope, c.roofs.max_slope, c.roofs.max_face_angle) == (10.0, 60.0, 15.0)
    assert (c.roofs.min_face_area, c.roofs.setback, c.roofs.north_limit) == (10.0, 0.5, 45.0)
    assert c.roofs.min_irradiation_fraction == 0.7
    assert c.roofs.class_thresholds == (0.7, 0.8, 0.9, 0.95)
    assert c.aggregate == AggregateConfig(0.35)
    assert (c.sky, c.albedo) == ("perez", 0.2)
    assert check_config(c) is c


def test_none_gives_defaults():
    assert load_config(None) == Config()


def test_every_key_has_a_documented_rule():
    for cls in (PVConfig, RoofConfig, AggregateConfig):
        assert [f.name for f in dataclasses.fields(cls)] == [f.name for f, _p in params(cls)]
    assert [f.name for f, _p in params(Config)] == ["sky", "albedo"]
    table = (Path(__file__).resolve().parents[2] / "docs" / "parameters.md").read_text(encoding="utf-8")
    for section, cls in (("pv", PVConfig), ("roofs", RoofConfig), ("aggregate", AggregateConfig)):
        for f, declared in params(cls):
            assert f"`{section}.{f.name}`" in table
            assert declared.source


def test_two_overrides_keep_the_other_defaults(tmp_path):
    path = _write(tmp_path, "[pv]\nsystem_losses = 0.1\n\n[roofs]\nmax_slope = 55  # an integer is a number\n")
    c = load_config(path)
    assert c.pv.system_losses == 0.1
    assert c.roofs.max_slope == 55.0 and isinstance(c.roofs.max_slope, float)
    assert c == Config(pv=PVConfig(system_losses=0.1), roofs=RoofConfig(max_slope=55.0))


def test_top_level_keys_and_lists(tmp_path):
    text = 'sky = "Isotropic"\nalbedo = 0.3\n[roofs]\nclass_thresholds = [0.5, 0.6, 0.8, 1]\n'
    c = load_config(_write(tmp_path, text))
    assert (c.sky, c.albedo) == ("isotropic", 0.3)
    assert c.roofs.class_thresholds == (0.5, 0.6, 0.8, 1.0)


def test_empty_file_gives_defaults(tmp_path):
    assert load_config(_write(tmp_path, "# nothing\n")) == Config()


def test_default_toml_round_trips(tmp_path):
    text = default_config_toml()
    assert load_config(_write(tmp_path, text)) == Config()
    # every key is preceded by a comment giving its unit and default
    lines = text.splitlines()
    keys = [i for i, line in enumerate(lines) if " = " in line and not line.startswith("#")]
    assert len(keys) == 2 + sum(len(dataclasses.fields(c)) for c in (PVConfig, RoofConfig, AggregateConfig, ThermalConfig))
    for i in keys:
        assert lines[i - 1].startswith("# ") and "default: " in lines[i - 1] and "[" in lines[i - 1]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[pv]\nmodule_densty = 0.2\n", ["pv.module_densty", "valid keys of [pv]", "module_density"]),
        ("[roofs]\nmaxslope = 50\n", ["roofs.maxslope", "max_slope", "north_limit"]),
        ("[panels]\nmodule_density = 0.2\n", ["[panels]", "[pv], [roofs], [aggregate]"]),
        ("module_density = 0.2\n", ["'module_density'", "sky, albedo", "[pv]"]),
    ],
    ids=["key-in-pv", "key-in-roofs", "section", "top-level-key"],
)
def test_unknown_names(tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(OptionError) as exc:
        load_config(path)
    message = _assert_one_line(exc, str(path))
    for part in expected:
        assert part in message


@pytest.mark.parametrize(
    "text, key",
    [
        ('[roofs]\nmax_slope = "steep"\n', "roofs.max_slope"),
        ("[pv]\nsystem_losses = true\n", "pv.system_losses"),
        ("[pv]\ntemperature_model = 3\n", "pv.temperature_model"),
        ("[roofs]\nclass_thresholds = 0.7\n", "roofs.class_thresholds"),
        ('[roofs]\nclass_thresholds = [0.7, "a", 0.9, 0.95]\n', "roofs.class_thresholds"),
        ("albedo = [0.2]\n", "albedo"),
        ("pv = 3\n", "'pv'"),
        ("[sky]\nmodel = 'perez'\n", "'sky'"),
    ],
)
def test_wrong_types(tmp_path, text, key):
    path = _write(tmp_path, text)
    with pytest.raises(OptionError) as exc:
        load_config(path)
    assert key in _assert_one_line(exc, str(path))


@pytest.mark.parametrize(
    "text, key",
    [
        ("[pv]\nmodule_density = 0\n", "pv.module_density"),
        ("[pv]\nmodule_density = -0.2\n", "pv.module_density"),
        ("[pv]\nsystem_losses = 1.0\n", "pv.system_losses"),
        ("[pv]\ninverter_efficiency = 1.2\n", "pv.inverter_efficiency"),
        ("[pv]\ndc_ac_ratio = 0\n", "pv.dc_ac_ratio"),
        ("[pv]\ngamma_pdc = 0.004\n", "pv.gamma_pdc"),
        ("[pv]\ntemperature_model = 'roof'\n", "pv.temperature_model"),
        ("[roofs]\nmax_slope = 95\n", "roofs.max_slope"),
        ("[roofs]\nflat_slope = -1\n", "roofs.flat_slope"),
        ("[roofs]\nflat_slope = 60\n", "roofs.flat_slope"),
        ("[roofs]\nsetback = -0.5\n", "roofs.setback"),
        ("[roofs]\nmin_irradiation_fraction = 1.1\n", "roofs.min_irradiation_fraction"),
        ("[roofs]\nclass_thresholds = [0.7, 0.9, 0.8, 0.95]\n", "roofs.class_thresholds"),
        ("[roofs]\nclass_thresholds = [0.7, 0.8, 0.9]\n", "roofs.class_thresholds"),
        ("[roofs]\nclass_thresholds = [0.7, 0.8, 0.9, 1.5]\n", "roofs.class_thresholds"),
        ("[aggregate]\nnet_reduction = 1.5\n", "aggregate.net_reduction"),
        ("albedo = -0.1\n", "albedo"),
        ("albedo = nan\n", "albedo"),
        ("sky = 'hay-davies'\n", "sky"),
    ],
)
def test_out_of_range(tmp_path, text, key):
    path = _write(tmp_path, text)
    with pytest.raises(OptionError) as exc:
        load_config(path)
    assert key in _assert_one_line(exc, str(path))


def test_check_config_on_values_built_in_code():
    with pytest.raises(
        OptionError, match=r"^config: pv\.system_losses = 1\.5 is out of range; give a value in \[0, 1\)"
    ):
        check_config(Config(pv=PVConfig(system_losses=1.5)))


def test_invalid_toml_names_the_line(tmp_path):
    path = _write(tmp_path, "[pv]\nsystem_losses 0.1\n")
    with pytest.raises(OptionError) as exc:
        load_config(path)
    message = _assert_one_line(exc, str(path))
    assert "invalid TOML at line 2" in message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputFileError) as exc:
        load_config(tmp_path / "none.toml")
    assert "file not found" in _assert_one_line(exc, str(tmp_path / "none.toml"))
    with pytest.raises(InputFileError) as exc:
        load_config(tmp_path)
    _assert_one_line(exc, str(tmp_path))


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes("# é\n".encode("latin-1"))
    with pytest.raises(InputFileError) as exc:
        load_config(path)
    assert "UTF-8" in _assert_one_line(exc, str(path))
