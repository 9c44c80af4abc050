"""The README's stage-by-stage commands on the shipped sample give the demo's ``territory.csv``.

Each stage runs at its defaults, so this also proves that every command uses the same default sky
model and weather as ``cadastre demo`` (the configuration's ``sky``). The commands are read from the
README as a user would copy them, and run in-process.
"""

from __future__ import annotations

import glob
import re
import shlex
from pathlib import Path

import pytest
from helpers import cli_runner
from report_scene import shared_demo

from cli.main import app

pytestmark = pytest.mark.slow  # the demo and four engine stages

ROOT = Path(__file__).resolve().parents[2]
runner = cli_runner()


def readme_stage_commands() -> list[list[str]]:
    """The arguments of each ``cadastre`` command of the README's stage-by-stage block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    block = next(b for b in blocks if "cadastre prepare samples/" in b)
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        words = shlex.split(line)
        if words and words[0] == "cadastre":
            commands.append(words[1:])
    return commands


def test_readme_block_holds_the_four_stages():
    assert [c[0] for c in readme_stage_commands()] == ["prepare", "irradiance", "footprints", "buildings"]


def test_readme_stages_reproduce_the_demo_territory(tmp_path_factory, tmp_path, monkeypatch):
    demo = (shared_demo(tmp_path_factory)[0] / "buildings" / "territory.csv").read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "samples").symlink_to(ROOT / "samples")
    (tmp_path / "cadastre").symlink_to(ROOT / "cadastre")
    for words in readme_stage_commands():
        args = []
        for word in words:
            args += sorted(glob.glob(word)) if "*" in word else [word]
        result = runner.invoke(app, [*args, "-q"])
        assert result.exit_code == 0, (words, result.stdout, result.stderr, result.exception)
    by_hand = (tmp_path / "stages-buildings" / "territory.csv").read_text(encoding="utf-8")
    assert by_hand == demo

