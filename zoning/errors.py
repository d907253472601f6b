"""One error root for the toolkit; each class also inherits a builtin.

The CLI catches :class:`ZoningError` once and prints its message as a one-line reason.
Messages name the file, feature or row at fault and say how to fix it.
"""

from __future__ import annotations


class ZoningError(Exception):
    """Root of every error the toolkit raises on purpose."""


class SchemeError(ZoningError, ValueError):
    """A scheme file, published table or facts file is missing, malformed or inconsistent."""


class LayerError(ZoningError, ValueError):
    """A vector input is unreadable, empty, has no CRS, bad geometry, bad codes or missing columns."""


class CRSError(ZoningError, ValueError):
    """A coordinate reference system is missing, unknown or implausible for the data."""


class CoordinateError(ZoningError, ValueError):
    """A coordinate cannot be parsed or lies where it cannot belong."""


class InputFileError(ZoningError, ValueError):
    """A tabular input (CSV, Excel) cannot be read or lacks the needed columns."""


class OutputError(ZoningError, OSError):
    """An output cannot be written (or would clobber an input)."""


class ZonesNotBuiltError(ZoningError, FileNotFoundError):
    """A consumer needs the zones GeoPackage and it does not exist yet."""


class RuleQueryError(ZoningError, ValueError):
    """A rule query names an unknown choice (event, scope, flag, sector, premises) or a bad date or month."""
