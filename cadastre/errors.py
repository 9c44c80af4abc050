"""Exceptions raised by the engine on bad input (public home; see rasters.errors)."""

from rasters.errors import (
    AllNodataError,
    CadastreError,
    CRSError,
    GridError,
    InputFileError,
    NoOverlapError,
    OptionError,
    OutputFileError,
    WeatherColumnsError,
    WeatherError,
)

__all__ = [
    "AllNodataError",
    "CRSError",
    "CadastreError",
    "GridError",
    "InputFileError",
    "NoOverlapError",
    "OptionError",
    "OutputFileError",
    "WeatherColumnsError",
    "WeatherError",
]
