"""System errors (disk full, permission denied, undecodable file names) are one line and exit 2."""

from __future__ import annotations

import errno

import pytest
import typer

from cli.options import handle_errors, os_error_line


@pytest.mark.parametrize("exc, needles", [
    (OSError(errno.ENOSPC, "No space left on device", "/data/out/dsm.tif"), ["/data/out/dsm.tif", "disk full"]),
    (PermissionError(errno.EACCES, "Permission denied", "/ro/out"), ["/ro/out", "permission denied"]),
    (OSError(errno.EROFS, "Read-only file system", "/mnt/ro/x.gpkg"), ["/mnt/ro/x.gpkg", "read-only"]),
    # GDAL and pyogrio raise their own types; the disk-full text is what identifies them
    (RuntimeError("/out/roofs.gpkg: sqlite3_exec(COMMIT) failed: No space left on device"), ["disk full"]),
    (OSError(errno.ENOSPC, "No space left on device", "/out/caf\udce9.tif"), [r"/out/caf\xe9.tif", "disk full"]),
])
def test_system_error_is_one_printable_line(exc, needles, capsys):
    with pytest.raises(typer.Exit) as info, handle_errors():
        raise exc
    assert info.value.exit_code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    err.encode("utf-8")  # printable whatever the terminal: no lone surrogate left
    for needle in needles:
        assert needle in err


def test_programming_errors_are_not_hidden():
    with pytest.raises(ZeroDivisionError), handle_errors():
        raise ZeroDivisionError("a bug")
    assert os_error_line(ValueError("bad")) is None


@pytest.mark.parametrize("command", ["prepare", "irradiance", "buildings", "run", "report", "qualify", "footprints"])
@pytest.mark.parametrize("where", ["input", "output"])
def test_non_utf8_names_refused_in_one_line(tmp_path, monkeypatch, capsys, command, where):
    """A Latin-1 byte in a file name (as ``ls`` would pass it) stops every command before any work."""
    import sys

    from cli.main import main

    name = str(tmp_path / "caf\udce9.tif")  # what Python makes of the byte 0xE9 in a UTF-8 locale
    args = [command, name] if where == "input" else [command, str(tmp_path / "in.tif"), "-o", name]
    monkeypatch.setattr(sys, "argv", ["cadastre", *args])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "caf\\xe9.tif" in err and "not valid UTF-8" in err
    assert list(tmp_path.iterdir()) == []
