"""Exceptions raised by the engine on bad input.

The errors of the raster layer are defined here, in the lowest layer that
raises them, so that imports keep pointing one way (``cli -> cadastre ->
rasters -> kernels``); import them from :mod:`cadastre.errors`, their public
home, which adds the errors of the layers above (weather files).

Every error the engine raises on bad input derives from :class:`CadastreError`;
the command line turns these into a one-line ``error: ...`` message and exit
code 2. Messages read ``"<file>: <problem>; <fix>"``.
"""

from __future__ import annotations


class CadastreError(Exception):
    """Base class of every error raised by the engine on bad input."""


class InputFileError(CadastreError, OSError):
    """An input file is missing, unreadable, truncated or of the wrong format."""


class OutputFileError(CadastreError, OSError):
    """An output path cannot be written, or exists and may not be overwritten."""


class CRSError(CadastreError, ValueError):
    """A raster has no CRS, a geographic CRS, or a CRS not in metres."""


class GridError(CadastreError, ValueError):
    """A raster grid is unusable: rectangular or rotated pixels, several bands."""


class NoOverlapError(CadastreError, ValueError):
    """Two inputs do not overlap."""


class AllNodataError(CadastreError, ValueError):
    """A raster holds nodata everywhere."""


class OptionError(CadastreError, ValueError):
    """An option is out of its valid range."""
