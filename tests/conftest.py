"""Suite-wide settings: nothing the suite writes lands in the repository.

Hypothesis keeps no example database and puts its caches in a temporary
folder. The helper modules of the suite (``helpers``, ``scenes``,
``report_scene``…) are importable through pytest's ``pythonpath`` setting in
``pyproject.toml``.
"""

import tempfile

from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(tempfile.mkdtemp(prefix="cadastre-hypothesis-"))
settings.register_profile("suite", database=None)
settings.load_profile("suite")
