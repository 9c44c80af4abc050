"""The parameter engine on its own (types, ranges, unknown keys, files, TOML writing, docs) and on the three
configurations it declares (round trips, documentation, the digests that resume territory runs)."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from pathlib import Path

import pytest

from cadastre import _params
from cadastre._params import param, params, section
from cadastre.config import Config, PVConfig, RoofConfig, default_config_toml, load_config
from cadastre.errors import InputFileError, OptionError
from cadastre.qualify.config import (
    LoadsConfig,
    QualifyConfig,
    SizingConfig,
    default_qualify_toml,
    load_qualify_config,
)
from cadastre.territory.config import (
    InputsConfig,
    IrradianceConfig,
    RunConfig,
    RunFile,
    TilesConfig,
    example_config_toml,
    load_run_config,
)
from cli import parameters as docs

# --------------------------------------------------------------------------- a small configuration


@dataclasses.dataclass(frozen=True)
class Part:
    ratio: float = param(0.5, "", "a fraction (test)", ge=0.0, lt=1.0)
    count: int = param(3, "", "a count (test)", ge=1, le=10)
    length: float = param(2.0, "m", "a length (test)", gt=0.0)
    name: str = param("a", "", "a name (test)", choices=("a", "b"))
    levels: tuple[float, ...] = param((0.1, 0.2), "", "fractions (test)", ge=0.0, le=1.0)
    reach: float | None = param(None, "m", "a reach, none = computed (test)", gt=0.0, example=5.0)


@dataclasses.dataclass(frozen=True)
class Whole:
    part: Part = section(Part, "the part (test)")
    other: Part = section(lambda: Part(ratio=0.25), "another part with its own defaults (test)")
    scale: float = param(1.0, "", "a scale (test)")


def _build(table: dict) -> Whole:
    return _params.build(Whole(), table, "w.toml")


def _error(table: dict) -> str:
    with pytest.raises(OptionError) as caught:
        _build(table)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("w.toml: ") and "; " in message, message
    return message


def test_keys_left_out_keep_their_defaults_and_numbers_take_their_type():
    assert _build({}) == Whole()
    built = _build({"part": {"ratio": 0, "count": 7.0, "levels": [1, 0.5]}, "other": {"name": "b"}, "scale": -2})
    assert built.part == Part(ratio=0.0, count=7, levels=(1.0, 0.5))
    assert isinstance(built.part.ratio, float) and isinstance(built.part.count, int)
    assert isinstance(built.part.levels, tuple) and all(isinstance(v, float) for v in built.part.levels)
    assert built.other == Part(ratio=0.25, name="b")  # the section's own defaults are kept
    assert built.scale == -2.0 and isinstance(built.scale, float)


@pytest.mark.parametrize(("table", "expected"), [
    ({"part": {"ratio": "0.5"}}, "w.toml: part.ratio must be a number, got '0.5' (str); write e.g. ratio = 0.5"),
    ({"part": {"ratio": True}}, "w.toml: part.ratio must be a number, got True (bool); write e.g. ratio = 0.5"),
    ({"part": {"count": 2.5}}, "w.toml: part.count must be a whole number, got 2.5 (float); write e.g. count = 3"),
    ({"part": {"count": True}}, "w.toml: part.count must be a whole number, got True (bool); write e.g. count = 3"),
    ({"part": {"name": 1}}, "w.toml: part.name must be a string, got 1 (int); write e.g. name = \"a\""),
    ({"part": {"levels": 0.5}}, "w.toml: part.levels must be a non-empty list of numbers, got 0.5 (float); "
                                "write e.g. levels = [0.1, 0.2]"),
    ({"part": {"levels": []}}, "w.toml: part.levels must be a non-empty list of numbers, got [] (list); "
                               "write e.g. levels = [0.1, 0.2]"),
    ({"part": {"levels": [0.1, "x"]}}, "w.toml: part.levels must be a non-empty list of numbers"),
    ({"part": {"reach": "far"}}, "w.toml: part.reach must be a number, got 'far' (str); write e.g. reach = 5.0"),
])
def test_wrong_types_name_the_key_the_value_and_an_example(table, expected):
    assert _error(table).startswith(expected)


@pytest.mark.parametrize(("table", "expected"), [
    ({"part": {"ratio": 1.0}}, "w.toml: part.ratio = 1 is out of range; give a value in [0, 1)"),
    ({"part": {"ratio": -0.1}}, "w.toml: part.ratio = -0.1 is out of range; give a value in [0, 1)"),
    ({"part": {"count": 0}}, "w.toml: part.count = 0 is out of range; give a value in [1, 10]"),
    ({"part": {"count": 11}}, "w.toml: part.count = 11 is out of range; give a value in [1, 10]"),
    ({"part": {"length": 0}}, "w.toml: part.length = 0 m is out of range; give a value in (0, inf)"),
    ({"part": {"levels": [0.5, 1.5]}}, "w.toml: part.levels has 1.5, out of range; give values in [0, 1]"),
    ({"part": {"name": "c"}}, "w.toml: part.name = 'c' is not one of the choices; use one of a, b"),
])
def test_values_out_of_range_name_the_allowed_range(table, expected):
    assert _error(table) == expected


def test_bounds_are_inclusive_or_exclusive_as_declared():
    assert _build({"part": {"ratio": 0.0, "count": 1, "length": 1e-9}}).part.count == 1
    assert _build({"part": {"ratio": 0.999, "count": 10}}).part.ratio == 0.999


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinities_are_refused_for_real_numbers(bad):
    assert "part.length" in _error({"part": {"length": bad}})
    assert "scale" in _error({"scale": bad})  # no bounds declared: still refused
    assert "part.levels has" in _error({"part": {"levels": [0.1, bad]}})


def test_nan_and_inf_in_a_toml_file_are_refused(tmp_path):
    for text in ("albedo = nan\n", "albedo = inf\n", "[roofs]\nclass_thresholds = [0.7, 0.8, nan, 0.95]\n"):
        path = tmp_path / "c.toml"
        path.write_text(text)
        with pytest.raises(OptionError, match=r"(albedo|class_thresholds)"):
            load_config(path)


@pytest.mark.parametrize(("table", "needles"), [
    ({"part": {"ratoi": 0.5}}, ["unknown key 'part.ratoi'", "valid keys of [part]: ratio, count, length, name"]),
    ({"sclae": 1.0}, ["unknown key 'sclae'", "valid keys of the top level: scale", "[part], [other]"]),
    ({"parts": {"ratio": 0.5}}, ["unknown section [parts]", "valid sections: [part], [other]"]),
    ({"part": 3}, ["'part' must be a section", "write [part] followed by its keys"]),
    ({"scale": {"x": 1}}, ["'scale' is a value, not a section"]),
])
def test_unknown_keys_and_misplaced_tables_are_refused(table, needles):
    message = _error(table)
    for needle in needles:
        assert needle in message, message


def test_check_of_values_built_in_code():
    assert _params.check(Whole()) == Whole()
    with pytest.raises(OptionError, match=r"^here: other\.count = 0 is out of range; give a value in \[1, 10\]$"):
        _params.check(Whole(other=Part(count=0)), "here")


def test_missing_file_and_bad_toml_syntax(tmp_path):
    with pytest.raises(InputFileError, match=r"none\.toml: file not found; check the path given to --config"):
        _params.read_toml(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[part]\nratio = 0.5\ncount 3\n")
    with pytest.raises(OptionError, match=r"bad\.toml: invalid TOML at line 3 .*; fix the syntax, see 'x --print'"):
        _params.read_toml(bad, example="x --print")


def test_commented_toml_of_the_small_configuration_round_trips():
    changed = Whole(part=Part(ratio=0.75, levels=(0.3,), reach=2.0), scale=3.0)
    for config in (Whole(), changed):
        text = "\n".join(_params.toml_lines(config)) + "\n"
        assert _params.build(Whole(), tomllib.loads(text)) == config
    lines = _params.toml_lines(Whole())
    assert "# reach = 5.0" in lines  # no value: written commented out, with its example
    above = lines[lines.index("ratio = 0.5") - 1]
    assert above.endswith("[-] in [0, 1); default: 0.5")
    above = lines[lines.index("name = \"a\"") - 1]
    assert "a name (test). [-] one of a, b; default: \"a\"" in above
    other = lines[lines.index("[other]"):]
    assert other[other.index("ratio = 0.25") - 1].endswith("default: 0.25")


def test_markdown_table_has_one_row_per_parameter():
    table = _params.markdown_table(Whole()).splitlines()
    assert table[0] == "| key | default | unit | range | source |"
    assert len(table) == 2 + 2 * len(list(params(Part))) + 1
    assert "| `part.length` | `2.0` | m | in (0, inf) | a length (test) |" in table
    assert "| `part.reach` | `none` | m | in (0, inf) | a reach, none = computed (test) |" in table


# --------------------------------------------------------------------------- the three configurations


def test_buildings_toml_round_trips(tmp_path):
    path = tmp_path / "b.toml"
    path.write_text(default_config_toml(), encoding="utf-8")
    assert load_config(path) == Config()


def test_qualify_toml_round_trips(tmp_path):
    path = tmp_path / "q.toml"
    for config in (QualifyConfig(), dataclasses.replace(
            QualifyConfig(), sizing=SizingConfig(mode="roof", min_kwp=6.0),
            loads=dataclasses.replace(LoadsConfig(), school_holidays=(("2026-02-14", "2026-03-01"),)))):
        path.write_text(default_qualify_toml(config), encoding="utf-8")
        assert load_qualify_config(path) == config


def test_run_toml_round_trips(tmp_path):
    (tmp_path / "lidar").mkdir()
    (tmp_path / "lidar" / "a.laz").write_bytes(b"")
    (tmp_path / "communes.geojson").write_text("{}")
    text = example_config_toml(lidar="lidar", communes="communes.geojson", size=50.0, halo=40.0)
    data = tomllib.loads(text)
    sections = {name: data.pop(name) for name in ("inputs", "tiles", "irradiance")}
    assert _params.build(RunFile(), sections) == RunFile(
        inputs=InputsConfig(lidar=("lidar",), communes="communes.geojson"), tiles=TilesConfig(size=50.0, halo=40.0))
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    config = load_run_config(path)
    assert config.config == Config() and (config.size, config.halo) == (50.0, 40.0)
    assert config.lidar == (tmp_path / "lidar" / "a.laz",) and config.communes == tmp_path / "communes.geojson"
    assert (config.max_distance, config.directions, config.cells) == (None, 64, "roofs")


def _all_rows():
    for config in (Config(), RunFile(), QualifyConfig()):
        yield from _params.rows(config)


def test_every_parameter_has_its_unit_range_and_source_documented():
    table = Path(docs.DOCS).read_text(encoding="utf-8")
    names = set()
    for name, value, declared in _all_rows():
        assert isinstance(declared.unit, str), name
        assert declared.source.strip(), name
        assert declared.range_text(value), f"{name}: no range, choices or rule declared"
        names.add(name)
        assert f"`{name}`" in table, name
    assert len(names) > 90


def test_defaults_are_valid_values():
    for config in (Config(), RunFile(), QualifyConfig()):
        assert _params.check(config) is config


def test_run_config_defaults_are_the_declared_ones():
    run = RunConfig()
    for section_ in (TilesConfig(), IrradianceConfig()):
        for f, _declared in params(section_):
            assert getattr(run, f.name) == getattr(section_, f.name)


def test_docs_parameters_md_is_up_to_date(tmp_path, monkeypatch, capsys):
    assert docs.main(["--check"]) == 0, "docs/parameters.md is out of date: run python -m cli.parameters"
    stale = tmp_path / "parameters.md"
    stale.write_text("# Parameters\n", encoding="utf-8")
    monkeypatch.setattr(docs, "DOCS", stale)
    assert docs.main(["--check"]) == 1
    assert stale.read_text(encoding="utf-8") == "# Parameters\n"  # --check writes nothing
    assert docs.main([]) == 0 and docs.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == docs.parameters_markdown()


# --------------------------------------------------------------------------- digests of resumed runs


STAGE_HASHES = {  # RunConfig.stage_hash before the configurations were declared with the engine; the tile's
    # changed twice since, on purpose, with the [thermal] section (issue 21: the tiles' outputs gained its columns)
    # and its household economics (issue 21 section 2: thermal_savings_eur, thermal_co2_t, thermal_payback_years)
    "prepare": ("f06d9f19592dcae10d94d6e3d8489946f0400e1cb01e363b59e7301c964fa876",
                "b83ea2007984f26de27955d9e6892f2ba7d170c4c55753ad89263ba4ca84b956"),
    "coarse": ("d339fa2d07f8c4d8406b9f643002f4fa08937019200c7555df728335241a7c7a",
               "d339fa2d07f8c4d8406b9f643002f4fa08937019200c7555df728335241a7c7a"),
    "tile": ("1abe96927e29b5c847adcab2d65aa04eb789319d042e9c0a31c1cb38661e800b",
             "d47617dce82436a20733bc28114796e7cf426b0c1db3adf1ba6e10b8418ef1db"),
}


def test_stage_hashes_keep_their_values():
    """A run resumed after the change reuses its tasks: the same parameters give the same digests."""
    default = RunConfig()
    changed = RunConfig(config=Config(pv=PVConfig(system_losses=0.2),
                                      roofs=RoofConfig(class_thresholds=(0.5, 0.6, 0.7, 0.8))),
                        max_distance=150.0, far_distance=0.0, crs="EPSG:2154")
    for stage, expected in STAGE_HASHES.items():
        assert (default.stage_hash(stage), changed.stage_hash(stage)) == expected, stage


def test_stage_hash_of_a_loaded_file_equals_the_one_built_in_code(tmp_path):
    (tmp_path / "d.tif").write_bytes(b"")
    path = tmp_path / "run.toml"
    path.write_text('[inputs]\ndsm = ["d.tif"]\n[irradiance]\nmax_distance = 150\nfar_distance = 0\n'
                    '[pv]\nsystem_losses = 0.2\n[roofs]\nclass_thresholds = [0.5, 0.6, 0.7, 0.8]\n')
    loaded = load_run_config(path)
    assert loaded.stage_hash("tile") == STAGE_HASHES["tile"][1]
