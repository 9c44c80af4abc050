"""Fixtures of the CLI tests: a headless Chromium for the report screenshot test."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless Chromium (``chromium`` or ``chromium-browser`` on PATH).

    The suite installs nothing itself: ``make install`` provides Chromium. When it is missing the
    test fails (a skipped screenshot test would hide a report that no browser can show).
    """
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is missing (no `chromium` or `chromium-browser` on PATH): run `make install`",
                    pytrace=False)
    return found
