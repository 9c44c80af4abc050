"""The PMA solar cadastre engine: irradiance, roofs, communes.

Public API: :func:`irradiance` (per-cell irradiation of a DSM) and
:func:`load_weather`. Errors live in :mod:`cadastre.errors`.
"""

from cadastre.solar.irradiance import BANDS, irradiance
from cadastre.solar.weather import Weather, load_weather

__version__ = "0.1.0"

__all__ = ["BANDS", "Weather", "__version__", "irradiance", "load_weather"]
