"""Exceptions raised by the engine on bad input: their public home.

Every error derives from :class:`CadastreError`; the command line turns it
into a one-line ``error: ...`` message and exit code 2. Messages read
``"<file>: <problem>; <fix>"``. The errors the raster layer raises are defined
in :mod:`rasters.errors` (imports point one way) and re-exported here.
"""

from rasters.errors import (
    AllNodataError,
    CadastreError,
    CRSError,
    GridError,
    InputFileError,
    NoOverlapError,
    OptionError,
    OutputFileError,
)


class WeatherError(CadastreError, ValueError):
    """A weather file cannot be used: unreadable times, bad values."""


class WeatherColumnsError(WeatherError):
    """A weather file lacks required columns."""


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
