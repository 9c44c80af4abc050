"""Every parameter of the buildings stage, with its default, unit and source.

==========================================  =========  ==========  ==============================================
parameter                                   default    unit        source / reasoning
==========================================  =========  ==========  ==============================================
``pv.module_density``                       0.2        kWp/m²      modules ~20 % efficient (400 Wp on ~2 m²)
``pv.system_losses``                        0.14       —           PVWatts v5 default total losses (Dobos 2014)
``pv.inverter_efficiency``                  0.96       —           PVWatts v5 nominal inverter efficiency
``pv.dc_ac_ratio``                          1.1        —           PVWatts v5 default
``pv.gamma_pdc``                            -0.0037    1/°C        crystalline silicon power coefficient
``pv.temperature_model``                    close_mount_glass_glass  pvlib SAPM parameters (King et al. 2004)
``roofs.min_height``                        2.0        m           nDSM above which a footprint cell is roof
``roofs.flat_slope``                        10.0       degrees     below: flat roof, one face per part
``roofs.max_slope``                         60.0       degrees     steeper: wall or edge (Gagnon et al. 2016)
``roofs.max_face_angle``                    15.0       degrees     region growing tolerance on normals
``roofs.min_fragment_area``                 4.0        m²          smaller faces (ridge/eave artefacts) merged
``roofs.min_face_area``                     10.0       m²          usable area of a suitable face (Gagnon 2016)
``roofs.setback``                           0.5        m           edge set-back removed from each face
``roofs.north_limit``                       45.0       degrees     pitched faces within ± this of north excluded
``roofs.min_irradiation_fraction``          0.7        —           of the unshaded optimal plane (assumption;
                                                                   Gagnon 2016 uses 80 % of the optimum)
``roofs.class_thresholds``                  0.7 0.8 0.9 0.95       fraction of optimum → classes 1–5, after the
                                                                   five classes of Sonnendach (SFOE, CH)
``aggregate.net_reduction``                 0.35       —           share of the gross usable area lost to
                                                                   obstacles, set-backs, structure, heritage:
                                                                   an assumption to review (studies use 25–50 %)
``sky``                                     perez      —           sky model of the unshaded reference planes
``albedo``                                  0.2        —           ground reflectance
==========================================  =========  ==========  ==============================================

References: P. Gagnon et al., Rooftop Solar Photovoltaic Technical Potential in the United States,
NREL/TP-6A20-65298, 2016. A. P. Dobos, PVWatts Version 5 Manual, NREL/TP-6A20-62641, 2014.
D. L. King et al., Photovoltaic Array Performance Model, SAND2004-3535, 2004.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path

from cadastre.errors import InputFileError, OptionError


@dataclasses.dataclass(frozen=True)
class PVConfig:
    """PV system parameters (PVWatts)."""

    module_density: float = 0.2
    system_losses: float = 0.14
    inverter_efficiency: float = 0.96
    dc_ac_ratio: float = 1.1
    gamma_pdc: float = -0.0037
    temperature_model: str = "close_mount_glass_glass"


@dataclasses.dataclass(frozen=True)
class RoofConfig:
    """Roof segmentation and suitability rules."""

    min_height: float = 2.0
    flat_slope: float = 10.0
    max_slope: float = 60.0
    max_face_angle: float = 15.0
    min_fragment_area: float = 4.0
    min_face_area: float = 10.0
    setback: float = 0.5
    north_limit: float = 45.0
    min_irradiation_fraction: float = 0.7
    class_thresholds: tuple[float, ...] = (0.7, 0.8, 0.9, 0.95)


@dataclasses.dataclass(frozen=True)
class AggregateConfig:
    """From gross to net potential."""

    net_reduction: float = 0.35


@dataclasses.dataclass(frozen=True)
class Config:
    """All parameters of the buildings stage."""

    pv: PVConfig = PVConfig()
    roofs: RoofConfig = RoofConfig()
    aggregate: AggregateConfig = AggregateConfig()
    sky: str = "perez"
    albedo: float = 0.2


_RANGES = {
    ("pv", "module_density"): (0.01, 1.0),
    ("pv", "system_losses"): (0.0, 0.99),
    ("pv", "inverter_efficiency"): (0.5, 1.0),
    ("pv", "dc_ac_ratio"): (0.5, 3.0),
    ("pv", "gamma_pdc"): (-0.02, 0.0),
    ("roofs", "min_height"): (0.0, 100.0),
    ("roofs", "flat_slope"): (0.0, 45.0),
    ("roofs", "max_slope"): (0.0, 90.0),
    ("roofs", "max_face_angle"): (1.0, 90.0),
    ("roofs", "min_fragment_area"): (0.0, 1000.0),
    ("roofs", "min_face_area"): (0.0, 1e6),
    ("roofs", "setback"): (0.0, 10.0),
    ("roofs", "north_limit"): (0.0, 180.0),
    ("roofs", "min_irradiation_fraction"): (0.0, 1.0),
    ("aggregate", "net_reduction"): (0.0, 1.0),
    (None, "albedo"): (0.0, 1.0),
}
_SECTIONS = {"pv": PVConfig, "roofs": RoofConfig, "aggregate": AggregateConfig}


def _check(where: str, section: str | None, key: str, value, default):
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple) or not all(isinstance(v, int | float) for v in value):
            raise OptionError(f"{where}: {key} must be a list of numbers, got {value!r}")
        value = tuple(float(v) for v in value)
        if list(value) != sorted(value) or not all(0 <= v <= 1 for v in value) or len(value) != 4:
            raise OptionError(f"{where}: {key} must be 4 increasing fractions in 0-1, got {list(value)}")
        return value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise OptionError(f"{where}: {key} must be a string, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OptionError(f"{where}: {key} must be a number, got {value!r}")
    lo, hi = _RANGES.get((section, key), (-float("inf"), float("inf")))
    if not lo <= value <= hi:
        raise OptionError(f"{where}: {key} = {value} is outside {lo}-{hi}")
    return float(value)


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read a TOML configuration (sections ``[pv]``, ``[roofs]``, ``[aggregate]``, keys ``sky``, ``albedo``).

    Keys left out keep their defaults; ``None`` gives the defaults.

    Raises
    ------
    InputFileError
        Missing or unreadable file.
    OptionError
        Invalid TOML, unknown section or key, wrong type or out-of-range value.
    """
    if path is None:
        return Config()
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{p}: no such file")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{p}: cannot read ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise OptionError(f"{p}: invalid TOML ({exc})") from exc
    parts = {}
    top = {}
    for key, value in data.items():
        if key in _SECTIONS:
            if not isinstance(value, dict):
                raise OptionError(f"{p}: [{key}] must be a table")
            fields = {f.name: f.default for f in dataclasses.fields(_SECTIONS[key])}
            unknown = sorted(set(value) - set(fields))
            if unknown:
                raise OptionError(
                    f"{p}: unknown key {', '.join(f'{key}.{u}' for u in unknown)}; valid keys: {', '.join(fields)}"
                )
            parts[key] = _SECTIONS[key](**{k: _check(str(p), key, k, v, fields[k]) for k, v in value.items()})
        elif key == "sky":
            from cadastre.sky import check_sky

            top["sky"] = check_sky(_check(str(p), None, key, value, "perez"))
        elif key == "albedo":
            top["albedo"] = _check(str(p), None, key, value, 0.2)
        else:
            raise OptionError(f"{p}: unknown key {key}; valid: [pv], [roofs], [aggregate], sky, albedo")
    return Config(**parts, **top)


def default_config_toml() -> str:
    """A commented TOML file with every key at its default (see the module docstring for sources)."""
    c = Config()

    def fmt(v):
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, tuple):
            return "[" + ", ".join(repr(x) for x in v) + "]"
        return repr(v)

    notes = {
        "module_density": "kWp per m2 of usable roof",
        "system_losses": "PVWatts total losses",
        "inverter_efficiency": "PVWatts nominal",
        "dc_ac_ratio": "DC/AC sizing",
        "gamma_pdc": "1/degC",
        "temperature_model": "pvlib SAPM parameter set",
        "min_height": "m above ground",
        "flat_slope": "degrees",
        "max_slope": "degrees",
        "max_face_angle": "degrees",
        "min_fragment_area": "m2",
        "min_face_area": "m2",
        "setback": "m",
        "north_limit": "degrees either side of north",
        "min_irradiation_fraction": "of the unshaded optimal plane",
        "class_thresholds": "fractions of the optimum for classes 2..5",
        "net_reduction": "share of gross usable area lost (assumption to review)",
    }
    lines = ["# cadastre buildings configuration (defaults; sources in cadastre/config.py)",
             f"sky = {fmt(c.sky)}  # isotropic or perez", f"albedo = {fmt(c.albedo)}", ""]
    for name, section in (("pv", c.pv), ("roofs", c.roofs), ("aggregate", c.aggregate)):
        lines.append(f"[{name}]")
        for f in dataclasses.fields(section):
            lines.append(f"{f.name} = {fmt(getattr(section, f.name))}  # {notes.get(f.name, '')}")
        lines.append("")
    return "\n".join(lines)
