"""Fixtures of the CLI tests: a headless Chromium for the report screenshot test."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless Chromium; installs the Debian package ``chromium`` when missing (skip if impossible)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        pytest.skip("chromium is not installed and apt-get is not available")
    prefix = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            pytest.skip("chromium is not installed; `apt-get install chromium` needs root and sudo is missing")
        prefix = ["sudo", "-n"]
    install = [*prefix, apt, "install", "-y", "--no-install-recommends", "chromium"]
    try:
        if subprocess.run(install, capture_output=True, timeout=600).returncode != 0:  # stale package lists?
            subprocess.run([*prefix, apt, "update"], check=True, capture_output=True, timeout=300)
            subprocess.run(install, check=True, capture_output=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"chromium is not installed and `apt-get install -y chromium` failed ({type(exc).__name__})")
    found = shutil.which("chromium")
    if not found:
        pytest.skip("chromium is still missing after apt-get install")
    return found
