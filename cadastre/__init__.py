"""The PMA solar cadastre engine: irradiance, roofs, communes.

Public API: :func:`irradiance` (per-cell irradiation of a DSM) and
:func:`load_weather`. Errors live in :mod:`cadastre.errors`.

The API is imported on first use (``cadastre.irradiance``), not with the package: the
command line and the light modules (errors, configuration) start without loading
Numba, GDAL or pvlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cadastre.solar.irradiance import BANDS, irradiance
    from cadastre.solar.weather import Weather, load_weather

__version__ = "0.1.0"

__all__ = ["BANDS", "Weather", "__version__", "irradiance", "load_weather"]

_LAZY = {
    "BANDS": "cadastre.solar.irradiance",
    "irradiance": "cadastre.solar.irradiance",
    "Weather": "cadastre.solar.weather",
    "load_weather": "cadastre.solar.weather",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cadastre' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
