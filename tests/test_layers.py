"""The layers of the code base, read from the imports of every module (``docs/design.md``).

Imports point one way::

    cli -> cadastre.report | cadastre.qualify | cadastre.territory -> cadastre.results -> cadastre.roofs
        -> cadastre.areas | cadastre.solar -> rasters -> kernels

A module may import its own layer and the layers below it, never one above. The modules at the
top of ``cadastre/`` (``cadastre.config``, ``cadastre.errors``, the package itself) sit with
``cadastre.areas`` and ``cadastre.solar``, at the bottom of the domain. The kernels are pure
Numba functions: they import nothing but numpy, numba, math and each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kernels", "rasters", "cadastre", "cli")

#: Package (or module prefix) -> layer, higher imports lower. The longest prefix wins.
LAYERS = {
    "cli": 7,
    "cadastre.report": 6,
    "cadastre.qualify": 6,
    "cadastre.territory": 6,
    "cadastre.results": 5,
    "cadastre.pages": 5,  # the HTML layout shared by the report and the qualification, where the tree has it
    "cadastre.roofs": 4,
    "cadastre.areas": 3,
    "cadastre.solar": 3,
    "cadastre": 3,  # the package's own modules: configuration, errors
    "rasters": 2,
    "kernels": 1,
}
KERNEL_IMPORTS = {"__future__", "math", "numpy", "numba", "kernels"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(name: str) -> int | None:
    """Layer of a module of the repository, None for a module from outside."""
    prefixes = [p for p in LAYERS if name == p or name.startswith(p + ".")]
    return LAYERS[max(prefixes, key=len)] if prefixes else None


def imported(module: str, source: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import of ``source``, in functions too.

    ``from a import b`` counts as an import of ``a.b`` when ``b`` is a module of the repository.
    """
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the package holding the module
                package = module.split(".") if is_package else module.split(".")[:-1]
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module
            for alias in node.names:
                name = f"{base}.{alias.name}"
                out.append((node.lineno, name if _is_module(name) else base))
    return out


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """The imports of ``module`` that point against the layers (``module: line -> target``)."""
    own = layer(module)
    found = []
    for line, target in imported(module, source, is_package):
        top = target.split(".")[0]
        if own == LAYERS["kernels"]:
            if top not in KERNEL_IMPORTS:
                found.append(f"{module}:{line} -> {target} (kernels import only numpy, numba and math)")
        elif top in PACKAGES and layer(target) > own:
            found.append(f"{module}:{line} -> {target} (a layer above)")
    return found


def modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_every_package_has_a_layer():
    """A new subpackage of cadastre/ is placed in the table above (and in docs/design.md)."""
    subpackages = {f"cadastre.{p.parent.name}" for p in (ROOT / "cadastre").glob("*/__init__.py")}
    assert {"cadastre.solar", "cadastre.roofs"} <= subpackages and len(modules()) > 40  # the tree was found
    assert subpackages - set(LAYERS) == set(), "add these subpackages to LAYERS and to docs/design.md"
    assert all(layer(module_name(p)) is not None for p in modules())


@pytest.mark.slow
def test_imports_point_down_the_layers():
    found = []
    for path in modules():
        found += violations(module_name(path), path.read_text(encoding="utf-8"), path.name == "__init__.py")
    assert found == [], "imports against the layers (docs/design.md):\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("module", "source", "bad"),
    [
        ("rasters.io", "import cadastre.errors\n", True),
        ("rasters.io", "from kernels import binning\nimport numpy\n", False),
        ("kernels.horizon", "import numpy as np\nfrom numba import prange\nimport math\nfrom ._jit import njit\n", False),
        ("kernels.horizon", "def f():\n    import scipy.ndimage\n", True),  # in a function too
        ("kernels.horizon", "from rasters.grid import check\n", True),
        ("cadastre.roofs.faces", "from cadastre.report.pages import FIGURES\n", True),
        ("cadastre.roofs.faces", "from ..report import pages\n", True),  # relative
        ("cadastre.roofs.faces", "from cadastre.solar.energy import yield_table\nfrom cadastre import config\n", False),
        ("cadastre.solar.sky", "from cadastre.roofs import faces\n", True),
        ("cadastre.config", "from cadastre.territory.config import load_run_config\n", True),
        ("cadastre.results.folder", "import cli.options\n", True),
        ("cadastre.territory.run", "from cadastre.results import folder\nfrom cadastre.roofs.buildings import x\n", False),
        ("cli.run", "from cadastre.territory.run import run\n", False),
    ],
)
def test_the_check_sees_what_points_up(module, source, bad):
    """The check itself, on made-up sources: it flags the imports against the layers and only those."""
    assert bool(violations(module, source)) == bad
