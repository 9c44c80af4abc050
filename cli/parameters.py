"""Write docs/parameters.md, the table of every parameter, from their declarations.

``python -m cli.parameters`` (re)writes the file; ``python -m cli.parameters
--check`` writes nothing and exits 1 when the file is out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cadastre._params import markdown_table
from cadastre.config import Config
from cadastre.qualify.config import QualifyConfig
from cadastre.territory.config import RunFile

DOCS = Path(__file__).resolve().parents[1] / "docs" / "parameters.md"


def parameters_markdown() -> str:
    """The text of docs/parameters.md."""
    return f"""# Parameters

Every parameter of the three configuration files, with its default, unit, allowed range and source.
Generated from the declarations in `cadastre/config.py`, `cadastre/territory/config.py` and
`cadastre/qualify/config.py` by `python -m cli.parameters`: edit those, not this file.
A unit `-` is a ratio or a name; a range `in [a, b)` includes `a` and excludes `b`.

## Buildings stage: `cadastre buildings --config FILE.toml`

`cadastre buildings --print-config` prints this configuration as a commented TOML file. Top-level keys
first, then the sections `[pv]`, `[roofs]`, `[aggregate]` and `[thermal]`.

{markdown_table(Config())}
## Territory run: `cadastre run FILE.toml`

`cadastre init` writes an example. The file holds the sections below and, besides them, every key of the
buildings stage (top-level `sky` and `albedo`, sections `[pv]`, `[roofs]`, `[aggregate]`, `[thermal]`).
Relative paths are relative to the folder of the file.

{markdown_table(RunFile())}
## Municipal buildings: `cadastre qualify --config FILE.toml`

`cadastre qualify --print-config` prints this configuration as a commented TOML file. Prices, tariffs,
subsidies and costs are public orders of magnitude of 2024 that change every quarter: review them.

{markdown_table(QualifyConfig())}"""


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) docs/parameters.md; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m cli.parameters", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/parameters.md is out of date")
    args = parser.parse_args(argv)
    text = parameters_markdown()
    current = DOCS.read_text(encoding="utf-8") if DOCS.is_file() else None
    if args.check:
        if current != text:
            print(f"{DOCS.name} is out of date; run: python -m cli.parameters", file=sys.stderr)
            return 1
        print(f"{DOCS.name} is up to date")
        return 0
    if current != text:
        DOCS.write_text(text, encoding="utf-8")
    print(f"wrote {DOCS}" if current != text else f"{DOCS.name} was up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
